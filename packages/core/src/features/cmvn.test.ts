import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { applyCmvnInPlace, validateCmvn } from './cmvn.js';

function modelInvalid(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('MODEL_INVALID');
    return err as AppError;
  }
  throw new Error('expected MODEL_INVALID');
}

describe('applyCmvnInPlace', () => {
  it('computes (x + negMean[d]) · invStddev[d] per dimension, in place', () => {
    const features = Float32Array.of(1, 2, 3, 10, 20, 30);
    const result = applyCmvnInPlace(features, [-1, -2, -4], [0.5, 2, 0.25], 3);
    expect(result).toBe(features);
    expect(Array.from(features)).toEqual([0, 0, -0.25, 4.5, 36, 6.5]);
  });

  it('handles 560-dim SenseVoice stats over many frames', () => {
    const negMean = Float32Array.from({ length: 560 }, (_, d) => -(8 + (d % 80) / 10));
    const invStddev = Float32Array.from({ length: 560 }, (_, d) => 0.15 + (d % 7) / 1000);
    const features = Float32Array.from({ length: 3 * 560 }, (_, i) => i / 100);
    const expected = Float32Array.from(features, (x, i) => (x + negMean[i % 560]!) * invStddev[i % 560]!);
    applyCmvnInPlace(features, negMean, invStddev, 560);
    expect(features).toEqual(expected);
  });

  it('rejects vectors whose length is not the feature dim with MODEL_INVALID', () => {
    const err = modelInvalid(() => applyCmvnInPlace(new Float32Array(560), new Float32Array(559), new Float32Array(560), 560));
    expect(err.details).toEqual({ name: 'neg_mean', length: 559, dim: 560 });
    modelInvalid(() => applyCmvnInPlace(new Float32Array(560), new Float32Array(560), new Float32Array(80), 560));
  });

  it('rejects a feature array that is not whole frames', () => {
    expect(() => applyCmvnInPlace(new Float32Array(561), new Float32Array(560), new Float32Array(560).fill(1), 560)).toThrow(RangeError);
  });
});

describe('validateCmvn', () => {
  it('accepts finite vectors of the right length', () => {
    expect(() => validateCmvn(new Float32Array(560).fill(-8), new Float32Array(560).fill(0.15), 560)).not.toThrow();
  });

  it('rejects non-finite values and a zero inv_stddev', () => {
    const negMean = new Float32Array(560);
    negMean[17] = Number.NaN;
    expect(modelInvalid(() => validateCmvn(negMean, new Float32Array(560).fill(1), 560)).message).toMatch(/neg_mean\[17\]/);
    const invStddev = new Float32Array(560).fill(0.15);
    invStddev[3] = 0;
    expect(modelInvalid(() => validateCmvn(new Float32Array(560), invStddev, 560)).message).toMatch(/inv_stddev\[3\]/);
  });
});
