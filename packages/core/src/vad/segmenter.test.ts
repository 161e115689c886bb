import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { segmentSpeech, type SegmenterOptions, type SpeechSegment } from './segmenter.js';

const F = 0.032; // Silero's frame

/** Probabilities from runs: [value, frameCount][]. */
function probs(...runs: [number, number][]): Float32Array {
  return Float32Array.from(runs.flatMap(([value, n]) => Array<number>(n).fill(value)));
}

function segment(p: Float32Array, options: Partial<SegmenterOptions> = {}, durationS = p.length * F): SpeechSegment[] {
  return segmentSpeech({ probabilities: p, frameS: F, durationS }, options);
}

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6;

describe('segmentSpeech', () => {
  it('finds one padded segment between silences', () => {
    const s = segment(probs([0.01, 10], [0.9, 20], [0.01, 10]));
    expect(s).toHaveLength(1);
    expect(s[0]!.startS).toBeCloseTo(10 * F - 0.03, 6);
    expect(s[0]!.endS).toBeCloseTo(30 * F + 0.03, 6);
  });

  it('returns nothing for silence and for no frames', () => {
    expect(segment(probs([0.2, 100]))).toEqual([]);
    expect(segment(new Float32Array(0), {}, 0)).toEqual([]);
  });

  it('clamps padding to the audio, including a zero-padded last frame', () => {
    // 20 speech frames but the audio is 0.6 s long (the last frame was partly padding)
    const s = segment(probs([0.9, 20]), {}, 0.6);
    expect(s).toEqual([{ startS: 0, endS: 0.6 }]);
  });

  it('drops segments shorter than minSpeechMs and keeps those that reach it', () => {
    // 7 frames = 224 ms < 250 ms; 8 frames = 256 ms
    expect(segment(probs([0, 10], [0.9, 7], [0, 10]))).toEqual([]);
    expect(segment(probs([0, 10], [0.9, 8], [0, 10]))).toHaveLength(1);
    expect(segment(probs([0, 10], [0.9, 7], [0, 10]), { minSpeechMs: 200 })).toHaveLength(1);
  });

  it('ends a segment only after minSilenceMs of silence', () => {
    // minSilenceMs 100 (not the default): 3 frames = 96 ms < 100 ms: one segment; 4 frames = 128 ms: two
    const ms100 = { minSilenceMs: 100 };
    expect(segment(probs([0, 5], [0.9, 20], [0.1, 3], [0.9, 20], [0, 5]), ms100)).toHaveLength(1);
    const two = segment(probs([0, 5], [0.9, 20], [0.1, 4], [0.9, 20], [0, 5]), ms100);
    expect(two).toHaveLength(2);
    // the first segment ends where the silence began (+ padding)
    expect(two[0]!.endS).toBeCloseTo(25 * F + 0.03, 6);
    expect(segment(probs([0, 5], [0.9, 20], [0.1, 10], [0.9, 20], [0, 5]), { minSilenceMs: 500 })).toHaveLength(1);
  });

  it('applies hysteresis: frames between negThreshold and threshold neither end nor restart speech', () => {
    // threshold 0.5, negThreshold 0.35, minSilenceMs 100: 0.4 keeps the segment going indefinitely
    const ms100 = { minSilenceMs: 100 };
    expect(segment(probs([0, 5], [0.9, 10], [0.4, 30], [0.9, 10], [0, 5]), ms100)).toHaveLength(1);
    // after a frame < 0.35 started a silence, 0.4 frames do not reset it: 1 + 3 frames ≥ 100 ms
    expect(segment(probs([0, 5], [0.9, 10], [0.1, 1], [0.4, 3], [0.9, 10], [0, 5]), ms100)).toHaveLength(2);
    // with negThreshold 0.05 nothing starts a silence
    expect(segment(probs([0, 5], [0.9, 10], [0.1, 1], [0.4, 3], [0.9, 10], [0, 5]), { ...ms100, negThreshold: 0.05 })).toHaveLength(1);
    // and one above 0.4 makes them silence
    expect(segment(probs([0, 5], [0.9, 10], [0.4, 4], [0.9, 10], [0, 5]), { ...ms100, negThreshold: 0.45 })).toHaveLength(2);
  });

  it('ends a segment where a too-short final silence began when the audio ends', () => {
    const s = segment(probs([0, 5], [0.9, 20], [0.1, 2]));
    expect(s[0]!.endS).toBeCloseTo(25 * F + 0.03, 6);
  });

  it('lets neighbours closer than two paddings meet in the middle of the gap', () => {
    // gap of 1 frame (32 ms < 60 ms), allowed to split with minSilenceMs 30
    const s = segment(probs([0, 10], [0.9, 10], [0, 1], [0.9, 10], [0, 10]), { minSilenceMs: 30 });
    expect(s).toHaveLength(2);
    expect(s[0]!.endS).toBeCloseTo(20.5 * F, 6);
    expect(s[1]!.startS).toBeCloseTo(20.5 * F, 6);
  });

  describe('maxSegmentS', () => {
    // maxSegmentS 2 s without padding → at most floor(2 / 0.032) = 62 frames per piece
    const noPad = { maxSegmentS: 2, speechPadMs: 0, minSilenceMs: 10_000 };

    it('splits at the longest pause inside the window', () => {
      const p = probs([0.9, 20], [0.2, 2], [0.9, 15], [0.2, 5], [0.9, 15], [0.2, 3], [0.9, 30]);
      const s = segment(p, noPad);
      // pauses start at frames 20 (2), 37 (5), 57 (3): the 5-frame one wins
      expect(s[0]!.startS).toBe(0);
      expect(close(s[0]!.endS, 37 * F)).toBe(true);
      expect(close(s[1]!.startS, 42 * F)).toBe(true);
      for (const seg of s) expect(seg.endS - seg.startS).toBeLessThanOrEqual(2 + 1e-9);
    });

    it('prefers the longest pause to a later one and ignores pauses beyond the window', () => {
      // pauses at frames 10 (6 frames) and 40 (2 frames); one at 70 (20 frames) is beyond frame 62
      const p = probs([0.9, 10], [0.1, 6], [0.9, 24], [0.1, 2], [0.9, 28], [0.1, 20], [0.9, 20]);
      const s = segment(p, noPad);
      expect(s[0]!.startS).toBe(0);
      expect(close(s[0]!.endS, 10 * F)).toBe(true);
      // next window starts at frame 16 (≤ 78): the 20-frame pause at 70 is now inside it
      expect(close(s[1]!.startS, 16 * F)).toBe(true);
      expect(close(s[1]!.endS, 70 * F)).toBe(true);
      expect(close(s[2]!.startS, 90 * F)).toBe(true);
    });

    it('hard-cuts at the limit when there is no pause', () => {
      const s = segment(probs([0.9, 200]), noPad);
      expect(s.map((x) => Math.round(x.startS / F))).toEqual([0, 62, 124, 186]);
      expect(s.map((x) => Math.round(x.endS / F))).toEqual([62, 124, 186, 200]);
    });

    it('keeps padded segments within the limit', () => {
      const s = segment(probs([0, 20], [0.9, 2000], [0, 20]), { maxSegmentS: 10 });
      expect(s.length).toBeGreaterThan(5);
      for (const seg of s) expect(seg.endS - seg.startS).toBeLessThanOrEqual(10);
    });
  });

  it('always returns sorted, non-overlapping, bounded segments (random probabilities)', () => {
    let seed = 12345;
    const random = (): number => (seed = (Math.imul(seed, 1_664_525) + 1_013_904_223) >>> 0) / 2 ** 32;
    for (let trial = 0; trial < 50; trial++) {
      // slowly varying probabilities: runs of random length and value
      const runs: [number, number][] = [];
      for (let k = 0; k < 60; k++) runs.push([random(), 1 + Math.floor(random() * 40)]);
      const p = probs(...runs);
      const durationS = p.length * F - random() * F;
      const maxSegmentS = 1 + random() * 10;
      const s = segment(p, { maxSegmentS, minSilenceMs: random() * 1000, speechPadMs: random() * 200 }, durationS);
      for (let k = 0; k < s.length; k++) {
        const seg = s[k]!;
        expect(seg.startS).toBeGreaterThanOrEqual(0);
        expect(seg.endS).toBeLessThanOrEqual(durationS + 1e-6);
        expect(seg.endS).toBeGreaterThan(seg.startS);
        expect(seg.endS - seg.startS).toBeLessThanOrEqual(maxSegmentS + 1e-6);
        if (k > 0) expect(seg.startS).toBeGreaterThanOrEqual(s[k - 1]!.endS - 1e-6);
      }
    }
  });

  it('rejects options it cannot honour', () => {
    const p = probs([0.9, 10]);
    expect(() => segment(p, { maxSegmentS: 0.05 })).toThrow(AppError);
    expect(() => segment(p, { negThreshold: 0.7 })).toThrow(/negThreshold/);
    expect(() => segment(p, { threshold: 0 })).toThrow(/threshold/);
  });
});
