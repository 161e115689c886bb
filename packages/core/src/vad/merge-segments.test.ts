import { describe, expect, it } from 'vitest';
import { mergeSegments } from './merge-segments.js';
import type { SpeechSegment } from './segmenter.js';

const seg = (startS: number, endS: number): SpeechSegment => ({ startS, endS });

describe('mergeSegments (FunASR merge_vad)', () => {
  it('returns zero or one segment unchanged (not extended to 0)', () => {
    expect(mergeSegments([], 15)).toEqual([]);
    expect(mergeSegments([seg(3, 5)], 15)).toEqual([seg(3, 5)]);
  });

  it('builds contiguous spans from 0, closing one before the next boundary reaches the length', () => {
    // boundaries 1 3 4 6 8 12 20 22, length 10 (worked through FunASR's loop by hand):
    // 12 − 0 ≥ 10 closes [0, 8]; 20 − 8 ≥ 10 closes [8, 12]; 22 − 12 = 10 (not < 10) closes [12, 20]
    const spans = mergeSegments([seg(1, 3), seg(4, 6), seg(8, 12), seg(20, 22)], 10);
    expect(spans).toEqual([seg(0, 8), seg(8, 12), seg(12, 20), seg(20, 22)]);
  });

  it('keeps everything in one span from 0 when it all fits', () => {
    expect(mergeSegments([seg(1, 2), seg(3, 4), seg(5, 9)], 15)).toEqual([seg(0, 9)]);
  });

  it('turns a long pause into a span of its own, as FunASR does', () => {
    expect(mergeSegments([seg(0, 2), seg(100, 102)], 15)).toEqual([seg(0, 2), seg(2, 100), seg(100, 102)]);
  });

  it('uses the sorted unique boundaries whatever the input order', () => {
    const a = mergeSegments([seg(20, 22), seg(1, 3), seg(8, 12), seg(4, 6), seg(4, 6)], 10);
    expect(a).toEqual([seg(0, 8), seg(8, 12), seg(12, 20), seg(20, 22)]);
  });

  it('covers [0, last end] without gaps or overlaps and keeps spans short unless one step is long', () => {
    let seed = 7;
    const random = (): number => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 100; trial++) {
      const segments: SpeechSegment[] = [];
      let t = random() * 3;
      for (let k = 0; k < 2 + Math.floor(random() * 30); k++) {
        const start = t + random() * 4;
        const end = start + 0.3 + random() * 12;
        segments.push(seg(start, end));
        t = end;
      }
      const boundaries = segments.flatMap((s) => [s.startS, s.endS]).sort((x, y) => x - y);
      const longestStep = Math.max(...boundaries.slice(1).map((b, i) => b - boundaries[i]!), boundaries[0]!);
      const spans = mergeSegments(segments, 15);
      expect(spans[0]!.startS).toBe(0);
      expect(spans.at(-1)!.endS).toBe(boundaries.at(-1));
      for (let k = 0; k < spans.length; k++) {
        const span = spans[k]!;
        expect(span.endS).toBeGreaterThan(span.startS);
        expect(span.endS - span.startS).toBeLessThanOrEqual(Math.max(15, longestStep) + 1e-9);
        if (k > 0) expect(span.startS).toBe(spans[k - 1]!.endS);
        if (k > 0) expect(boundaries).toContain(span.startS);
      }
    }
  });
});
