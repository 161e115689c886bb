import type { SpeechSegment } from './segmenter.js';

/** FunASR's `merge_length_s` default. */
export const DEFAULT_MERGE_LENGTH_S = 15;

/**
 * FunASR's `merge_vad` (funasr/utils/vad_utils.py, as called by `AutoModel.inference_with_vad`
 * when `merge_vad=True`, with `max_length = merge_length_s · 1000` ms and `min_length = 0`),
 * in seconds. What it does, exactly:
 *
 * 1. With 0 or 1 segments, the input is returned unchanged.
 * 2. Every start and end time goes into one sorted list of unique boundaries b₀ < b₁ < … < bₙ.
 * 3. A span start `bg` begins at **0 (the start of the audio, not b₀)**. For i = 0 … n−1: if
 *    bᵢ₊₁ − bg < mergeLengthS, continue; otherwise close the span [bg, bᵢ] (only if bᵢ > bg)
 *    and set bg = bᵢ.
 * 4. The last span [bg, bₙ] is always added.
 *
 * Consequences worth knowing: the spans are contiguous and cover [0, last end] (silences and
 * the leading silence included) — the segments' own edges are lost, except that each span starts
 * and ends on some boundary; a span is shorter than mergeLengthS unless one boundary-to-boundary
 * step alone is longer, and such a step can be a *silence* (segments [0, 2] and [100, 102] with
 * 15 s give [0, 2], [2, 100], [100, 102]: 98 s without speech); nothing caps a span at the VAD's
 * maxSegmentS.
 *
 * FunASR compares integer milliseconds; here the comparison allows 1 ns of float error.
 *
 * Shape: K segments → M ≤ 2K spans.
 */
export function mergeSegments(segments: readonly SpeechSegment[], mergeLengthS: number): SpeechSegment[] {
  if (segments.length <= 1) return segments.map((s) => ({ startS: s.startS, endS: s.endS }));
  const boundaries = [...new Set(segments.flatMap((s) => [s.startS, s.endS]))].sort((a, b) => a - b);
  const spans: SpeechSegment[] = [];
  let bg = 0;
  for (let i = 0; i < boundaries.length - 1; i++) {
    const time = boundaries[i]!;
    if (boundaries[i + 1]! - bg < mergeLengthS - 1e-9) continue;
    if (time > bg) spans.push({ startS: bg, endS: time });
    bg = time;
  }
  spans.push({ startS: bg, endS: boundaries[boundaries.length - 1]! });
  return spans;
}
