/**
 * Per-dimension mean/variance normalisation with the model's `neg_mean` and
 * `inv_stddev` vectors (the `<AddShift>` / `<Rescale>` rows of FunASR's am.mvn):
 * `y[t, d] = (x[t, d] + negMean[d]) · invStddev[d]`, on all LFR dims.
 */
import { AppError } from '../errors/app-error.js';

/**
 * Throws `MODEL_INVALID` unless both vectors hold exactly `dim` finite numbers
 * and no `invStddev` entry is zero.
 */
export function validateCmvn(negMean: ArrayLike<number>, invStddev: ArrayLike<number>, dim: number): void {
  for (const [name, vector] of [
    ['neg_mean', negMean],
    ['inv_stddev', invStddev],
  ] as const) {
    if (vector.length !== dim) {
      throw new AppError('MODEL_INVALID', `${name} has ${vector.length} values, the features have ${dim} dims`, {
        details: { name, length: vector.length, dim },
      });
    }
    for (let d = 0; d < dim; d++) {
      const value = vector[d]!;
      if (!Number.isFinite(value) || (name === 'inv_stddev' && value === 0)) {
        throw new AppError('MODEL_INVALID', `${name}[${d}] is ${value}`, { details: { name, index: d } });
      }
    }
  }
}

/**
 * Normalises `(T, dim)` features **in place** and returns the same array.
 * Both vectors must hold exactly `dim` values (else `MODEL_INVALID`).
 */
export function applyCmvnInPlace(
  features: Float32Array,
  negMean: ArrayLike<number>,
  invStddev: ArrayLike<number>,
  dim: number,
): Float32Array {
  validateCmvn(negMean, invStddev, dim);
  if (dim < 1 || features.length % dim !== 0) {
    throw new RangeError(`CMVN of ${dim} dims cannot apply to ${features.length} feature values`);
  }
  for (let offset = 0; offset < features.length; offset += dim) {
    for (let d = 0; d < dim; d++) {
      features[offset + d] = (features[offset + d]! + negMean[d]!) * invStddev[d]!;
    }
  }
  return features;
}
