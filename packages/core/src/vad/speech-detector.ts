import { detectSpeech } from './detect-speech.js';
import type { SpeechSegment } from './segmenter.js';
import type { SileroVad } from './silero-vad.js';
import type { VadOptions } from './vad-options.js';

/**
 * Voice activity detection as the engine sees it: 16 kHz mono samples → speech segments in
 * seconds, sorted and non-overlapping (empty for silent audio). The engine owns its detector
 * and closes it with itself.
 */
export interface SpeechDetector {
  detect(samples16k: Float32Array, options: VadOptions): Promise<SpeechSegment[]>;
  close(): Promise<void>;
}

/** The production detector: Silero probabilities → segmenter → optional FunASR merge (`detectSpeech`). */
export function createSileroSpeechDetector(vad: SileroVad): SpeechDetector {
  return {
    detect: (samples16k, options) => detectSpeech(vad, samples16k, options),
    close: () => vad.close(),
  };
}
