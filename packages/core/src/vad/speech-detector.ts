import type { SampleSource } from '../audio/sample-source.js';
import { detectSpeech } from './detect-speech.js';
import type { SpeechSegment } from './segmenter.js';
import { SILERO_FRAME_S, type SileroVad } from './silero-vad.js';
import { scoreSpans, type ScoredSpeechSegment } from './span-probability.js';
import type { VadOptions } from './vad-options.js';

/**
 * Voice activity detection as the engine sees it: 16 kHz mono samples → speech segments in
 * seconds, sorted and non-overlapping (empty for silent audio), each with the mean and max
 * speech probability of the windows it covers. The detector reads the source in pieces (it need
 * not be in memory). The engine owns its detector and closes it with itself.
 */
export interface SpeechDetector {
  detect(source: SampleSource, options: VadOptions, signal?: AbortSignal): Promise<ScoredSpeechSegment[]>;
  /**
   * The given spans (sorted, non-overlapping; e.g. the fixed chunks of a request without VAD)
   * with the mean and max speech probability of the windows each covers: the same VAD run as
   * `detect`, without the segmenter.
   */
  score(source: SampleSource, spans: readonly SpeechSegment[], signal?: AbortSignal): Promise<ScoredSpeechSegment[]>;
  close(): Promise<void>;
}

/**
 * The serial detector: the whole source in memory, one window per ONNX call on the calling
 * thread (`detectSpeech`). The reference for tests; production uses `ThreadedSileroDetector`.
 */
export function createSileroSpeechDetector(vad: SileroVad): SpeechDetector {
  const all = (source: SampleSource): Promise<Float32Array> => source.read(0, source.length);
  return {
    detect: async (source, options) => detectSpeech(vad, await all(source), options),
    score: async (source, spans) => scoreSpans(await vad.probabilities(await all(source)), SILERO_FRAME_S, spans),
    close: () => vad.close(),
  };
}
