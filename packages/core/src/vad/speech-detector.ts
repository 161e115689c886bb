import type { SampleSource } from '../audio/sample-source.js';
import { detectSpeech } from './detect-speech.js';
import type { SpeechSegment } from './segmenter.js';
import type { SileroVad } from './silero-vad.js';
import type { VadOptions } from './vad-options.js';

/**
 * Voice activity detection as the engine sees it: 16 kHz mono samples → speech segments in
 * seconds, sorted and non-overlapping (empty for silent audio). The detector reads the source
 * in pieces (it need not be in memory). The engine owns its detector and closes it with itself.
 */
export interface SpeechDetector {
  detect(source: SampleSource, options: VadOptions, signal?: AbortSignal): Promise<SpeechSegment[]>;
  close(): Promise<void>;
}

/**
 * The serial detector: the whole source in memory, one window per ONNX call on the calling
 * thread (`detectSpeech`). The reference for tests; production uses `ThreadedSileroDetector`.
 */
export function createSileroSpeechDetector(vad: SileroVad): SpeechDetector {
  return {
    detect: async (source, options) => detectSpeech(vad, await source.read(0, source.length), options),
    close: () => vad.close(),
  };
}
