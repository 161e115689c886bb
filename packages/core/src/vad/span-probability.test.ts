import { describe, expect, it } from 'vitest';
import { scoreSpans, SpanProbabilityFold } from './span-probability.js';

// Windows of 0.1 s make the window arithmetic readable: window i covers [i/10, (i+1)/10).
const FRAME_S = 0.1;
const P = [0.1, 0.2, 0.9, 0.4, 0, 0.05, 0.3, 0.6, 0.7, 0.2];

describe('SpanProbabilityFold', () => {
  it('gives each span the mean and max of the windows it overlaps', () => {
    const spans = [
      { startS: 0, endS: 0.2 }, // windows 0, 1
      { startS: 0.25, endS: 0.4 }, // 2, 3 (window 2 starts before the span: it overlaps it)
      { startS: 0.4, endS: 0.6 }, // 4, 5 (ends on a window boundary: window 6 is not in)
      { startS: 0.65, endS: 0.75 }, // 6, 7
      { startS: 0.75, endS: 1.0 }, // 7, 8, 9: window 7 straddles the cut and counts in both spans
    ];
    expect(scoreSpans(P, FRAME_S, spans)).toEqual([
      { startS: 0, endS: 0.2, speechProbability: { mean: 0.15, max: 0.2 } },
      { startS: 0.25, endS: 0.4, speechProbability: { mean: 0.65, max: 0.9 } },
      { startS: 0.4, endS: 0.6, speechProbability: { mean: 0.025, max: 0.05 } },
      { startS: 0.65, endS: 0.75, speechProbability: { mean: 0.45, max: 0.6 } },
      { startS: 0.75, endS: 1.0, speechProbability: { mean: 0.5, max: 0.7 } },
    ]);
  });

  it('takes blocks in any order, split anywhere, with the same result as the whole array', () => {
    const spans = [
      { startS: 0.05, endS: 0.35 },
      { startS: 0.5, endS: 0.58 }, // inside one window
      { startS: 0.6, endS: 1.0 },
    ];
    const whole = scoreSpans(P, FRAME_S, spans);
    for (const cuts of [[3], [1, 2, 7], [5, 6, 8, 9], [1, 2, 3, 4, 5, 6, 7, 8, 9]]) {
      const bounds = [0, ...cuts, P.length];
      const blocks = bounds.slice(1).map((end, k) => ({ first: bounds[k]!, values: P.slice(bounds[k], end) }));
      const fold = new SpanProbabilityFold(spans, FRAME_S, P.length);
      for (const b of blocks.reverse()) fold.add(b.first, b.values);
      expect(fold.result(), `blocks cut at ${cuts.join(',')}`).toEqual(whole);
    }
    expect(whole.map((s) => s.speechProbability)).toEqual([
      { mean: 0.4, max: 0.9 },
      { mean: 0.05, max: 0.05 },
      { mean: 0.45, max: 0.7 },
    ]);
  });

  it('clamps spans to the audio: a span past its last window is not measured (null)', () => {
    const spans = [
      { startS: 0.9, endS: 1.2 },
      { startS: 1.2, endS: 1.5 },
    ];
    expect(scoreSpans(P, FRAME_S, spans).map((s) => s.speechProbability)).toEqual([{ mean: 0.2, max: 0.2 }, null]);
    expect(scoreSpans([], FRAME_S, [{ startS: 0, endS: 1 }])[0]!.speechProbability).toBeNull();
  });

  it('does not count a window twice when its block is added once, and windows outside every span not at all', () => {
    const fold = new SpanProbabilityFold([{ startS: 0.3, endS: 0.5 }], FRAME_S, P.length);
    fold.add(0, P.slice(0, 3)); // windows 0–2: none in the span
    expect(fold.result()[0]!.speechProbability).toBeNull();
    fold.add(3, P.slice(3, 10));
    expect(fold.result()[0]!.speechProbability).toEqual({ mean: 0.2, max: 0.4 });
  });

  it('folds the 32 ms windows of Silero (times on whole multiples of 0.032 s)', () => {
    // 1.376 s is window 43's start, but 1.376 / 0.032 is 42.99999999999999 in floating point
    const p = Array.from({ length: 60 }, (_, i) => i / 100);
    const [scored] = scoreSpans(p, 0.032, [{ startS: 1.376, endS: 1.632 }]); // windows 43 … 50
    expect(scored!.speechProbability).toEqual({ mean: 0.465, max: 0.5 });
  });
});
