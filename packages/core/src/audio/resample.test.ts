import { describe, expect, it } from 'vitest';
import { resample, resampledLength, Resampler } from './resample.js';

function sine(frequencyHz: number, sampleRate: number, durationS: number, amplitude = 0.5): Float32Array {
  const out = new Float32Array(Math.round(sampleRate * durationS));
  for (let i = 0; i < out.length; i++) out[i] = amplitude * Math.sin((2 * Math.PI * frequencyHz * i) / sampleRate);
  return out;
}

/** RMS of the middle of a signal, away from the zero-padded edges. */
function middleRms(x: Float32Array, edge = 0.1): number {
  const start = Math.floor(x.length * edge);
  const end = Math.floor(x.length * (1 - edge));
  let sum = 0;
  for (let i = start; i < end; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum / (end - start));
}

/** Magnitude (amplitude units) of a single DFT bin over the middle of the signal. */
function toneAmplitude(x: Float32Array, frequencyHz: number, sampleRate: number): number {
  const start = Math.floor(x.length * 0.1);
  const end = Math.floor(x.length * 0.9);
  let re = 0;
  let im = 0;
  for (let i = start; i < end; i++) {
    const phase = (2 * Math.PI * frequencyHz * i) / sampleRate;
    re += x[i]! * Math.cos(phase);
    im += x[i]! * Math.sin(phase);
  }
  return (2 * Math.hypot(re, im)) / (end - start);
}

/** Frequency estimated from upward zero crossings in the middle of the signal. */
function zeroCrossingHz(x: Float32Array, sampleRate: number): number {
  const start = Math.floor(x.length * 0.1);
  const end = Math.floor(x.length * 0.9);
  let first = -1;
  let last = -1;
  let count = 0;
  for (let i = start + 1; i < end; i++) {
    if (x[i - 1]! < 0 && x[i]! >= 0) {
      const t = i - 1 + x[i - 1]! / (x[i - 1]! - x[i]!); // linear interpolation of the crossing
      if (first < 0) first = t;
      else count++;
      last = t;
    }
  }
  return (count * sampleRate) / (last - first);
}

const db = (ratio: number): number => 20 * Math.log10(ratio);

describe('resample', () => {
  it('returns the same array when the rates are equal', () => {
    const x = sine(440, 16000, 0.1);
    expect(resample(x, 16000, 16000)).toBe(x);
  });

  it.each([
    [44100, 16000],
    [48000, 16000],
    [22050, 16000],
    [8000, 16000],
    [24000, 16000],
    [11025, 16000],
    [44100, 16001],
  ])('produces exactly floor(n × to / from) samples for %i → %i', (from, to) => {
    for (const n of [0, 1, 2, 3, 7, 441, 12345]) {
      const expected = Math.floor((n * to) / from);
      expect(resampledLength(n, from, to)).toBe(expected);
      expect(resample(new Float32Array(n).fill(0.1), from, to).length).toBe(expected);
    }
  });

  it('keeps a 1 kHz tone at 48 kHz → 16 kHz (amplitude within 0.5 dB, same frequency)', () => {
    const y = resample(sine(1000, 48000, 1), 48000, 16000);
    expect(Math.abs(db(toneAmplitude(y, 1000, 16000) / 0.5))).toBeLessThan(0.5);
    expect(zeroCrossingHz(y, 16000)).toBeCloseTo(1000, 0);
  });

  it('removes a 10 kHz tone at 48 kHz → 16 kHz by at least 50 dB (dropping samples would alias it to 6 kHz)', () => {
    const x = sine(10000, 48000, 1);
    const y = resample(x, 48000, 16000);
    expect(db(middleRms(y) / middleRms(x))).toBeLessThan(-50);
    const dropped = new Float32Array(Math.floor(x.length / 3)).map((_, i) => x[3 * i]!);
    expect(db(toneAmplitude(dropped, 6000, 16000) / 0.5)).toBeGreaterThan(-1); // the failure this filter prevents
  });

  it('removes a 9 kHz tone at 44.1 kHz → 16 kHz by at least 50 dB', () => {
    const x = sine(9000, 44100, 1);
    expect(db(middleRms(resample(x, 44100, 16000)) / middleRms(x))).toBeLessThan(-50);
  });

  it.each([
    [44100, 16000],
    [22050, 16000],
    [24000, 16000],
    [44100, 16001], // no small ratio: interpolated filter phases
  ])('keeps a 1 kHz tone at %i → %i', (from, to) => {
    const y = resample(sine(1000, from, 1), from, to);
    expect(Math.abs(db(toneAmplitude(y, 1000, to) / 0.5))).toBeLessThan(0.5);
    expect(zeroCrossingHz(y, to)).toBeCloseTo(1000, 0);
  });

  it('upsamples 8 kHz → 16 kHz keeping a 1 kHz tone without the 7 kHz image', () => {
    const y = resample(sine(1000, 8000, 1), 8000, 16000);
    expect(Math.abs(db(toneAmplitude(y, 1000, 16000) / 0.5))).toBeLessThan(0.5);
    expect(zeroCrossingHz(y, 16000)).toBeCloseTo(1000, 0);
    expect(db(toneAmplitude(y, 7000, 16000) / 0.5)).toBeLessThan(-60);
  });

  it('keeps a constant signal constant (unit DC gain in every phase)', () => {
    for (const [from, to] of [[44100, 16000], [8000, 16000], [44100, 16001]] as const) {
      const y = resample(new Float32Array(from).fill(0.5), from, to);
      const middle = y.subarray(Math.floor(y.length * 0.1), Math.floor(y.length * 0.9));
      for (const v of middle) expect(Math.abs(v - 0.5)).toBeLessThan(1e-5);
    }
  });

  it('gives the same output when fed block by block', () => {
    const x = sine(440, 44100, 0.5);
    for (let i = 0; i < x.length; i += 7) x[i] = -x[i]!; // not a pure tone
    const whole = resample(x, 44100, 16000);
    const streamed = new Resampler(44100, 16000, x.length);
    let pos = 0;
    for (const size of [1, 2, 500, 17, 30000, 3]) {
      streamed.write(x.subarray(pos, pos + size));
      pos += size;
    }
    streamed.write(x.subarray(pos));
    const out = streamed.finish();
    expect(out.length).toBe(whole.length);
    expect(out.every((v, i) => v === whole[i])).toBe(true);
  });

  it('rejects non-integer rates and more input than declared', () => {
    expect(() => resample(new Float32Array(4), 44100.5, 16000)).toThrow(RangeError);
    expect(() => resample(new Float32Array(4), 0, 16000)).toThrow(RangeError);
    const r = new Resampler(48000, 16000, 3);
    expect(() => r.write(new Float32Array(4))).toThrow(RangeError);
  });
});
