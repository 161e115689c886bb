import { describe, expect, it } from 'vitest';
import { applyMelFilterBank, kaldiMelFilterBank, melScale } from './mel-filter-bank.js';

const SENSE_VOICE_BANK = { numBins: 80, fftSize: 512, sampleRate: 16_000, lowFreqHz: 20, highFreqHz: 8_000 };

describe('melScale', () => {
  it('is the HTK mel scale 1127·ln(1 + f/700)', () => {
    expect(melScale(0)).toBe(0);
    expect(melScale(700)).toBeCloseTo(1127 * Math.LN2, 10);
    expect(melScale(8000)).toBeCloseTo(2840.0377117383778, 9);
  });
});

describe('kaldiMelFilterBank', () => {
  const bank = kaldiMelFilterBank(SENSE_VOICE_BANK);

  it('builds 80 filters over FFT bins 1…255 (bin 0 is below 20 Hz, the Nyquist bin is never used)', () => {
    expect(bank.numBins).toBe(80);
    expect(bank.offsets[0]).toBe(1);
    const lastEnd = bank.offsets[79]! + bank.lengths[79]!;
    expect(lastEnd).toBe(256);
    for (let b = 0; b < 80; b++) {
      expect(bank.lengths[b]).toBeGreaterThan(0);
      expect(bank.offsets[b]! + bank.lengths[b]!).toBeLessThanOrEqual(256);
      if (b > 0) expect(bank.offsets[b]).toBeGreaterThanOrEqual(bank.offsets[b - 1]!);
    }
    for (const w of bank.weights) {
      expect(w).toBeGreaterThan(0);
      expect(w).toBeLessThanOrEqual(1);
    }
  });

  it('overlapping triangles sum to 1 between the first and the last centre (linear in mel)', () => {
    const total = new Float64Array(256);
    for (let b = 0; b < 80; b++) {
      for (let k = 0; k < bank.lengths[b]!; k++) total[bank.offsets[b]! + k]! += bank.weights[bank.starts[b]! + k]!;
    }
    const melLow = melScale(20);
    const delta = (melScale(8000) - melLow) / 81;
    for (let i = 0; i < 256; i++) {
      const mel = melScale(i * 31.25);
      if (mel > melLow + delta && mel < melLow + 80 * delta) expect(total[i]).toBeCloseTo(1, 12);
    }
  });

  it('weights follow the triangle of the first filter exactly', () => {
    const melLow = melScale(20);
    const delta = (melScale(8000) - melLow) / 81;
    // bin 1 (31.25 Hz) lies on the rising edge of filter 0.
    expect(bank.weights[bank.starts[0]!]).toBeCloseTo((melScale(31.25) - melLow) / delta, 12);
  });

  it('applies as a sparse matrix product', () => {
    const power = Float64Array.from({ length: 257 }, (_, k) => k + 1);
    const out = new Float64Array(80);
    applyMelFilterBank(bank, power, out);
    let expected = 0;
    for (let k = 0; k < bank.lengths[5]!; k++) expected += bank.weights[bank.starts[5]! + k]! * (bank.offsets[5]! + k + 1);
    expect(out[5]).toBeCloseTo(expected, 10);
  });

  it('rejects options that leave a filter empty or exceed Nyquist', () => {
    expect(() => kaldiMelFilterBank({ ...SENSE_VOICE_BANK, numBins: 200 })).toThrow(/empty/);
    expect(() => kaldiMelFilterBank({ ...SENSE_VOICE_BANK, highFreqHz: 9000 })).toThrow(RangeError);
  });
});
