import { mergeSegments } from './merge-segments.js';
import { segmentSpeech, type SpeechSegment } from './segmenter.js';
import { SILERO_FRAME_S, SILERO_SAMPLE_RATE, type SileroVad } from './silero-vad.js';
import type { VadOptions } from './vad-options.js';

/**
 * Speech segments of 16 kHz mono audio: Silero probabilities → segmenter → optional FunASR merge.
 * (N,) samples → K segments in seconds, sorted and non-overlapping; empty for silent audio.
 * With `options.merge` the result is FunASR's contiguous spans (see `mergeSegments`), which may
 * contain silence and exceed `maxSegmentS`.
 */
export async function detectSpeech(vad: SileroVad, samples16k: Float32Array, options: VadOptions): Promise<SpeechSegment[]> {
  const probabilities = await vad.probabilities(samples16k);
  const segments = segmentSpeech(
    { probabilities, frameS: SILERO_FRAME_S, durationS: samples16k.length / SILERO_SAMPLE_RATE },
    options,
  );
  return options.merge ? mergeSegments(segments, options.mergeLengthS) : segments;
}
