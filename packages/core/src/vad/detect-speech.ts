import { mergeSegments } from './merge-segments.js';
import { segmentSpeech } from './segmenter.js';
import { SILERO_FRAME_S, SILERO_SAMPLE_RATE, type SileroVad } from './silero-vad.js';
import { scoreSpans, type ScoredSpeechSegment } from './span-probability.js';
import type { VadOptions } from './vad-options.js';

/**
 * Speech segments from Silero's frame probabilities: segmenter → optional FunASR merge → each
 * final segment's mean and max window probability (`scoreSpans`).
 * (F,) probabilities of `durationS` seconds → K segments in seconds, sorted and non-overlapping;
 * empty for silent audio. With `options.merge` the result is FunASR's contiguous spans (see
 * `mergeSegments`), which may contain silence and exceed `maxSegmentS`: their probabilities
 * are what shows a span of silence or music.
 */
export function segmentsFromProbabilities(probabilities: Float32Array, durationS: number, options: VadOptions): ScoredSpeechSegment[] {
  const segments = segmentSpeech({ probabilities, frameS: SILERO_FRAME_S, durationS }, options);
  return scoreSpans(probabilities, SILERO_FRAME_S, options.merge ? mergeSegments(segments, options.mergeLengthS) : segments);
}

/**
 * Speech segments of 16 kHz mono audio in memory with the serial {@link SileroVad}
 * (the reference the threaded detector is compared with): (N,) samples → K segments.
 */
export async function detectSpeech(vad: SileroVad, samples16k: Float32Array, options: VadOptions): Promise<ScoredSpeechSegment[]> {
  const probabilities = await vad.probabilities(samples16k);
  return segmentsFromProbabilities(probabilities, samples16k.length / SILERO_SAMPLE_RATE, options);
}
