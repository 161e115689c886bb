import { describe, expect, it } from 'vitest';
import { fillNormal, streamState } from './prng.js';

describe('fillNormal', () => {
  it('is a pure function of (seed, stream)', () => {
    const a = fillNormal(new Float32Array(1001), 42, 'encoder.encoders.0.weight', 1);
    const b = fillNormal(new Float32Array(1001), 42, 'encoder.encoders.0.weight', 1);
    expect(b).toEqual(a);
  });

  it('gives different values for another seed or another stream name', () => {
    const base = fillNormal(new Float32Array(64), 42, 'a', 1);
    expect(fillNormal(new Float32Array(64), 43, 'a', 1)).not.toEqual(base);
    expect(fillNormal(new Float32Array(64), 42, 'b', 1)).not.toEqual(base);
  });

  it('draws N(mean, std²): sample moments of 200k values', () => {
    const values = fillNormal(new Float32Array(200_000), 7, 'moments', 0.5, 2);
    let sum = 0;
    let sumSquares = 0;
    for (const v of values) {
      sum += v;
      sumSquares += v * v;
    }
    const mean = sum / values.length;
    const std = Math.sqrt(sumSquares / values.length - mean * mean);
    expect(mean).toBeCloseTo(2, 2);
    expect(std).toBeCloseTo(0.5, 2);
    expect(values.every(Number.isFinite)).toBe(true);
  });

  it('fills odd lengths completely', () => {
    const values = fillNormal(new Float32Array(3).fill(Number.NaN), 1, 'odd', 1);
    expect(values.every(Number.isFinite)).toBe(true);
  });
});

describe('streamState', () => {
  it('never returns the all-zero xoshiro state and rejects non-uint32 seeds', () => {
    expect([...streamState(0, '')].some((word) => word !== 0)).toBe(true);
    expect(() => streamState(-1, 'x')).toThrow(/uint32/);
    expect(() => streamState(2 ** 32, 'x')).toThrow(/uint32/);
  });
});
