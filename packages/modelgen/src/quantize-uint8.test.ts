import { describe, expect, it } from 'vitest';
import { fillNormal } from './prng.js';
import { quantizeUint8PerTensor } from './quantize-uint8.js';

describe('quantizeUint8PerTensor', () => {
  it('reconstructs every weight within half a step, with 0 exactly representable', () => {
    const weights = fillNormal(new Float32Array(10_000), 3, 'w', 0.05);
    const { data, scale, zeroPoint } = quantizeUint8PerTensor(weights);
    expect(Math.fround(scale)).toBe(scale);
    let maxError = 0;
    for (let i = 0; i < weights.length; i++) {
      maxError = Math.max(maxError, Math.abs(((data[i] as number) - zeroPoint) * scale - (weights[i] as number)));
    }
    expect(maxError).toBeLessThanOrEqual(scale / 2 + 1e-7);
    expect(Math.min(...data)).toBe(0);
    expect(Math.max(...data)).toBe(255);
  });

  it('keeps 0 in range for all-positive weights (rmin = 0 ⇒ zero point 0)', () => {
    const { data, scale, zeroPoint } = quantizeUint8PerTensor(Float32Array.of(0.5, 1.2, 2));
    expect(zeroPoint).toBe(0);
    expect(scale).toBe(Math.fround(2 / 255));
    expect([...data]).toEqual([64, 153, 255]);
  });

  it('divides in float32 like numpy: 1 / float32(2/255) = 127.49999 rounds to 127', () => {
    expect([...quantizeUint8PerTensor(Float32Array.of(1, 2)).data]).toEqual([127, 255]);
  });
});
