import { describe, expect, it } from 'vitest';
import { applyLfr, lfrFrameCount } from './lfr.js';

const SENSE_VOICE = { windowSize: 7, windowShift: 6 };

/** (T, dim) frames where every value of frame t is t, so outputs name their sources. */
function indexedFrames(numFrames: number, dim: number): Float32Array {
  return Float32Array.from({ length: numFrames * dim }, (_, i) => Math.floor(i / dim));
}

/** Source frame index of each of the m stacked slots of output frame i. */
function sources(out: Float32Array, i: number, windowSize: number, dim: number): number[] {
  return Array.from({ length: windowSize }, (_, j) => {
    const block = out.subarray(i * windowSize * dim + j * dim, i * windowSize * dim + (j + 1) * dim);
    expect(new Set(block).size).toBe(1); // a whole input frame was copied
    return block[0]!;
  });
}

describe('lfrFrameCount', () => {
  it('is ⌈T/n⌉', () => {
    expect(lfrFrameCount(98, 6)).toBe(17);
    expect(lfrFrameCount(998, 6)).toBe(167);
    expect(lfrFrameCount(0, 6)).toBe(0);
    expect(lfrFrameCount(1, 6)).toBe(1);
    expect(lfrFrameCount(6, 6)).toBe(1);
    expect(lfrFrameCount(7, 6)).toBe(2);
  });
});

describe('applyLfr (FunASR variant)', () => {
  it('stacks (T, 80) into (⌈T/6⌉, 560)', () => {
    expect(applyLfr(indexedFrames(98, 80), 98, 80, SENSE_VOICE).length).toBe(17 * 560);
    expect(applyLfr(indexedFrames(998, 80), 998, 80, SENSE_VOICE).length).toBe(167 * 560);
    expect(applyLfr(new Float32Array(0), 0, 80, SENSE_VOICE).length).toBe(0);
  });

  it('frame 0 holds fbank frames 0,0,0,0,1,2,3 and frame i holds 6i−3 … 6i+3, oldest first', () => {
    const out = applyLfr(indexedFrames(98, 80), 98, 80, SENSE_VOICE);
    expect(sources(out, 0, 7, 80)).toEqual([0, 0, 0, 0, 1, 2, 3]);
    expect(sources(out, 1, 7, 80)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(sources(out, 10, 7, 80)).toEqual([57, 58, 59, 60, 61, 62, 63]);
  });

  it('repeats the last fbank frame past the end', () => {
    const out = applyLfr(indexedFrames(98, 80), 98, 80, SENSE_VOICE);
    // frame 16 covers 93 … 99; T − 1 = 97.
    expect(sources(out, 16, 7, 80)).toEqual([93, 94, 95, 96, 97, 97, 97]);
    const short = applyLfr(indexedFrames(2, 80), 2, 80, SENSE_VOICE);
    expect(short.length).toBe(560);
    expect(sources(short, 0, 7, 80)).toEqual([0, 0, 0, 0, 1, 1, 1]);
  });

  it('follows other window sizes from the metadata (left padding ⌊(m−1)/2⌋)', () => {
    const out = applyLfr(indexedFrames(10, 3), 10, 3, { windowSize: 5, windowShift: 3 });
    expect(out.length).toBe(4 * 15);
    expect(sources(out, 0, 5, 3)).toEqual([0, 0, 0, 1, 2]);
    expect(sources(out, 3, 5, 3)).toEqual([7, 8, 9, 9, 9]);
  });

  it('writes into a caller-provided buffer and rejects bad sizes', () => {
    const out = new Float32Array(17 * 560);
    expect(applyLfr(indexedFrames(98, 80), 98, 80, { ...SENSE_VOICE, out })).toBe(out);
    expect(() => applyLfr(indexedFrames(98, 80), 98, 80, { ...SENSE_VOICE, out: new Float32Array(10) })).toThrow(RangeError);
    expect(() => applyLfr(indexedFrames(2, 80), 3, 80, SENSE_VOICE)).toThrow(RangeError);
    expect(() => applyLfr(indexedFrames(2, 80), 2, 80, { windowSize: 0, windowShift: 6 })).toThrow(RangeError);
  });
});
