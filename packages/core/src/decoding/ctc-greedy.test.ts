import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { ctcGreedy, ctcGreedyFromCandidates } from './ctc-greedy.js';

/** Logits `(frames, vocab)` whose argmax per frame is `argmax[t]` (value 1 there, 0 elsewhere). */
function oneHot(argmax: number[], vocab: number): Float32Array {
  const out = new Float32Array(argmax.length * vocab);
  argmax.forEach((y, t) => {
    out[t * vocab + y] = 1;
  });
  return out;
}

describe('ctcGreedy', () => {
  it('collapses repeats and drops blanks, recording the emitting frame', () => {
    const logits = oneHot([0, 3, 3, 0, 3, 2, 2, 1, 0], 5);
    expect(ctcGreedy(logits, 9, 5, { blankId: 0 })).toEqual({ ids: [3, 3, 2, 1], frames: [1, 4, 5, 7] });
  });

  it('uses the given blank id', () => {
    const logits = oneHot([4, 0, 4, 0, 0], 5);
    expect(ctcGreedy(logits, 5, 5, { blankId: 4 })).toEqual({ ids: [0, 0], frames: [1, 3] });
  });

  it('returns nothing for zero frames or all blanks', () => {
    expect(ctcGreedy(new Float32Array(0), 0, 5, { blankId: 0 })).toEqual({ ids: [], frames: [] });
    expect(ctcGreedy(oneHot([0, 0], 5), 2, 5, { blankId: 0 })).toEqual({ ids: [], frames: [] });
  });

  it('decodes a single frame', () => {
    expect(ctcGreedy(oneHot([2], 3), 1, 3, { blankId: 0 })).toEqual({ ids: [2], frames: [0] });
  });

  it('takes the first maximum on ties', () => {
    const logits = new Float32Array([0, 5, 5, 5]);
    expect(ctcGreedy(logits, 1, 4, { blankId: 0 }).ids).toEqual([1]);
  });

  it('never picks a banned id, even when it holds the maximum', () => {
    // frame 0: max at 2 (banned) → next best 3; frame 1: max at 0 (banned) → 1; frame 2: max at 4 (banned, last column) → 3
    const logits = new Float32Array([0.1, 0.2, 9, 0.5, 0, 9, 1, 0, 0, 0, 0, 0, 0, 2, 9]);
    expect(ctcGreedy(logits, 3, 5, { blankId: 1, bannedIds: [2, 0, 4] })).toEqual({ ids: [3, 3], frames: [0, 2] });
    expect(ctcGreedy(logits, 3, 5, { blankId: 1 })).toEqual({ ids: [2, 0, 4], frames: [0, 1, 2] });
  });

  it('handles negative logits and reads only the first `frames` rows of a padded buffer', () => {
    const logits = new Float32Array([-3, -1, -2, -5, -9, -4, 7, 7, 7]);
    expect(ctcGreedy(logits, 2, 3, { blankId: 0 })).toEqual({ ids: [1, 2], frames: [0, 1] });
  });

  it('works on a subarray of a batch', () => {
    const batch = new Float32Array([...oneHot([1, 1], 3), ...oneHot([2, 0], 3)]);
    expect(ctcGreedy(batch.subarray(6), 2, 3, { blankId: 0 })).toEqual({ ids: [2], frames: [0] });
  });

  it('rejects inconsistent shapes and ids', () => {
    const logits = oneHot([1, 1], 3);
    expect(() => ctcGreedy(logits, 3, 3, { blankId: 0 })).toThrow(AppError);
    expect(() => ctcGreedy(logits, 2, 3, { blankId: 3 })).toThrow(/blank id/);
    expect(() => ctcGreedy(logits, 2, 3, { blankId: 0, bannedIds: [7] })).toThrow(/banned id/);
    expect(() => ctcGreedy(logits, 2, 3, { blankId: 0, bannedIds: [0, 1, 2] })).toThrow(/every vocabulary id/);
  });

  it('decodes a full-size 30 s segment (504 × 25055) exactly', () => {
    const frames = 504;
    const vocab = 25055;
    const logits = new Float32Array(frames * vocab);
    let seed = 1;
    for (let i = 0; i < logits.length; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      logits[i] = seed / 2 ** 32;
    }
    // Plant a known path: blank everywhere except frames 10..12 → 25009 (banned) with 777 under it.
    const expected: number[] = [];
    for (let t = 0; t < frames; t++) {
      const y = t >= 10 && t <= 12 ? 25009 : t % 3 === 0 ? 0 : 100 + (t % 7);
      logits[t * vocab + y] = 10;
      if (y === 25009) logits[t * vocab + 777] = 9;
      expected.push(y === 25009 ? 777 : y);
    }
    const want: number[] = [];
    for (let t = 0; t < frames; t++) {
      const y = expected[t] as number;
      if (y !== 0 && y !== expected[t - 1]) want.push(y);
    }
    const got = ctcGreedy(logits, frames, vocab, { blankId: 0, bannedIds: [25009] });
    expect(got.ids).toEqual(want);
    expect(got.ids).not.toContain(25009);
    expect(got.ids.filter((y) => y === 777)).toHaveLength(1);
  });
});

describe('ctcGreedyFromCandidates', () => {
  /** Top-2 candidates per frame from logits, best first, lower index first on ties. */
  function top2(logits: Float32Array, frames: number, vocab: number): Int32Array {
    const out = new Int32Array(frames * 2);
    for (let t = 0; t < frames; t++) {
      const row = Array.from(logits.subarray(t * vocab, (t + 1) * vocab));
      const order = row.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
      out[t * 2] = order[0]![1];
      out[t * 2 + 1] = order[1]![1];
    }
    return out;
  }

  it('equals ctcGreedy on the same logits, with and without a banned id', () => {
    let seed = 7;
    const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const frames = 200;
    const vocab = 6;
    const logits = Float32Array.from({ length: frames * vocab }, () => Math.round(rand() * 8) / 8); // ties included
    const candidates = top2(logits, frames, vocab);
    for (const bannedIds of [[], [3], [0]]) {
      expect(ctcGreedyFromCandidates(candidates, frames, 2, { blankId: 0, bannedIds })).toEqual(
        ctcGreedy(logits, frames, vocab, { blankId: 0, bannedIds }),
      );
    }
  });

  it('refuses to ban as many ids as there are candidates', () => {
    expect(() => ctcGreedyFromCandidates(new Int32Array(4), 2, 2, { blankId: 0, bannedIds: [1, 2] })).toThrow(AppError);
    expect(() => ctcGreedyFromCandidates(new Int32Array(3), 2, 2, { blankId: 0 })).toThrow(/cannot hold/);
  });
});
