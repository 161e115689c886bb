import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { computeFbank, createFbankPlan, fbankFrameCount, hammingWindow, LOG_ENERGY_FLOOR } from './fbank.js';

/** Real speech: espeak-ng → sox (no dither) → 16 kHz mono 16-bit; samples in [-1, 1]. */
function generateSpeech(dir: string, text: string): Float32Array {
  const raw = join(dir, 'espeak.wav');
  const wav = join(dir, 'speech.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', raw, text]);
  execFileSync('sox', ['-D', raw, '-r', '16000', '-c', '1', '-b', '16', wav]);
  const bytes = readFileSync(wav);
  expect(bytes.toString('latin1', 36, 40)).toBe('data'); // plain 44-byte header
  const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length - ((bytes.length - 44) % 2)));
  return Float32Array.from(pcm, (v) => v / 32768);
}

/**
 * Independent float64 reference written from the formulas, not from fbank.ts:
 * naive DFT, triangle weights as max(0, min(rising, falling)) in mel.
 */
function referenceFbank(samples: Float32Array, maxFrames: number): Float64Array[] {
  const numFrames = Math.min(maxFrames, samples.length < 400 ? 0 : 1 + Math.floor((samples.length - 400) / 160));
  const mel = (f: number) => 1127 * Math.log(1 + f / 700);
  const melLow = mel(20);
  const melStep = (mel(8000) - melLow) / 81;
  const cosTable = Float64Array.from({ length: 512 }, (_, i) => Math.cos((2 * Math.PI * i) / 512));
  const sinTable = Float64Array.from({ length: 512 }, (_, i) => Math.sin((2 * Math.PI * i) / 512));
  const weights = Array.from({ length: 80 }, (_, m) =>
    Float64Array.from({ length: 256 }, (_, k) => {
      const x = mel((k * 16000) / 512);
      const [left, centre, right] = [melLow + m * melStep, melLow + (m + 1) * melStep, melLow + (m + 2) * melStep];
      return Math.max(0, Math.min((x - left) / (centre - left), (right - x) / (right - centre)));
    }),
  );
  const rows: Float64Array[] = [];
  for (let t = 0; t < numFrames; t++) {
    const x = Array.from({ length: 400 }, (_, n) => samples[t * 160 + n]! * 32768);
    const mean = x.reduce((a, b) => a + b, 0) / 400;
    const centred = x.map((v) => v - mean);
    const emphasised = centred.map((v, n) => v - 0.97 * (n === 0 ? v : centred[n - 1]!));
    const windowed = emphasised.map((v, n) => v * (0.54 - 0.46 * Math.cos((2 * Math.PI * n) / 399)));
    const power = new Float64Array(256);
    for (let k = 0; k < 256; k++) {
      let re = 0;
      let im = 0;
      for (let n = 0; n < 400; n++) {
        re += windowed[n]! * cosTable[(k * n) % 512]!;
        im -= windowed[n]! * sinTable[(k * n) % 512]!;
      }
      power[k] = re * re + im * im;
    }
    rows.push(
      Float64Array.from(weights, (w) => {
        let energy = 0;
        for (let k = 0; k < 256; k++) energy += w[k]! * power[k]!;
        return Math.log(Math.max(energy, 2 ** -23));
      }),
    );
  }
  return rows;
}

/** Deterministic synthetic input: 1 s of three sines. */
function sines(numSamples: number): Float32Array {
  return Float32Array.from({ length: numSamples }, (_, i) => {
    const t = i / 16000;
    return 0.25 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * 1234.5 * t) + 0.05 * Math.sin(2 * Math.PI * 5000 * t);
  });
}

describe('fbankFrameCount (snip_edges)', () => {
  it('is 1 + ⌊(N − 400)/160⌋, 0 below one frame', () => {
    expect(fbankFrameCount(16_000)).toBe(98);
    expect(fbankFrameCount(160_000)).toBe(998);
    expect(fbankFrameCount(399)).toBe(0);
    expect(fbankFrameCount(0)).toBe(0);
    expect(fbankFrameCount(400)).toBe(1);
    expect(fbankFrameCount(559)).toBe(1);
    expect(fbankFrameCount(560)).toBe(2);
  });
});

describe('hammingWindow', () => {
  it('is 0.54 − 0.46·cos(2πn/399) over 400 samples', () => {
    const w = hammingWindow(400);
    expect(w[0]).toBeCloseTo(0.08, 15);
    expect(w[399]).toBeCloseTo(0.08, 15);
    expect(w[100]).toBeCloseTo(0.54 - 0.46 * Math.cos((2 * Math.PI * 100) / 399), 15);
  });
});

describe('computeFbank', () => {
  let dir: string;
  let speech: Float32Array;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'earshot-fbank-'));
    speech = generateSpeech(dir, 'The quick brown fox jumps over the lazy dog, while seven wizards quietly hex the jovial cook.');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('matches an independent float64 reference on real speech (naive DFT)', () => {
    const frames = 300;
    const reference = referenceFbank(speech, frames);
    expect(reference).toHaveLength(frames);
    const ours = computeFbank(speech);
    expect(ours.length).toBe(fbankFrameCount(speech.length) * 80);
    let maxDiff = 0;
    let voiced = 0;
    for (let t = 0; t < frames; t++) {
      for (let m = 0; m < 80; m++) {
        maxDiff = Math.max(maxDiff, Math.abs(ours[t * 80 + m]! - reference[t]![m]!));
      }
      if (reference[t]![10]! > 10) voiced++;
    }
    expect(voiced).toBeGreaterThan(100); // the reference really saw speech, not silence
    // Measured 9.5e-7 (the float32 rounding of the output); the budget asked for is 1e-3.
    expect(maxDiff).toBeLessThan(1e-4);
  });

  it('returns (T, 80) row-major and nothing for fewer than 400 samples', () => {
    expect(computeFbank(sines(16_000)).length).toBe(98 * 80);
    expect(computeFbank(sines(160_000)).length).toBe(998 * 80);
    expect(computeFbank(sines(399)).length).toBe(0);
  });

  it('floors digital silence at log(FLT_EPSILON)', () => {
    const out = computeFbank(new Float32Array(1600));
    expect(out.length).toBe(8 * 80);
    for (const v of out) expect(v).toBeCloseTo(Math.log(LOG_ENERGY_FLOOR), 6);
    expect(Math.log(LOG_ENERGY_FLOOR)).toBeCloseTo(-15.942385, 6);
  });

  it('keeps pinned values for a deterministic sum of sines', () => {
    const out = computeFbank(sines(16_000));
    const mean = out.reduce((a, b) => a + b, 0) / out.length;
    expect(out[0]).toBeCloseTo(12.213630676269531, 5);
    expect(out.at(-1)).toBeCloseTo(12.444759368896484, 5);
    expect(out[50 * 80 + 10]).toBeCloseTo(10.08580493927002, 5);
    expect(mean).toBeCloseTo(14.449782804931914, 5);
  });

  it('scales samples by 32768 by default: log power shifts by 2·ln 32768 against sampleScale 1', () => {
    const input = sines(4000);
    const scaled = computeFbank(input);
    const unscaled = computeFbank(input, { sampleScale: 1 });
    for (let i = 0; i < scaled.length; i++) {
      if (unscaled[i]! > -10) expect(scaled[i]! - unscaled[i]!).toBeCloseTo(2 * Math.log(32768), 4);
    }
  });

  it('gives identical results with a reused plan and a caller-provided output', () => {
    const plan = createFbankPlan();
    const first = computeFbank(speech, { plan });
    computeFbank(sines(8000), { plan });
    const out = new Float32Array(first.length);
    expect(computeFbank(speech, { plan, out })).toBe(out);
    expect(Buffer.from(out.buffer).equals(Buffer.from(first.buffer))).toBe(true); // bit-identical
    expect(() => computeFbank(speech, { out: new Float32Array(10) })).toThrow(RangeError);
  });
});
