import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { computeFeatures, FeatureExtractor, featureFrames, featureOptionsOf, type FeatureOptions } from './compute-features.js';
import { computeFbank } from './fbank.js';

/** CMVN stats shaped like SenseVoice's am.mvn: 80 values repeated 7×. */
const OPTIONS: FeatureOptions = {
  lfrWindowSize: 7,
  lfrWindowShift: 6,
  negMean: Float32Array.from({ length: 560 }, (_, d) => -(8.3 + 6.7 * ((d % 80) / 79))),
  invStddev: Float32Array.from({ length: 560 }, (_, d) => 0.155 - 0.012 * ((d % 80) / 79)),
  normalizeSamples: false,
};

function sines(numSamples: number): Float32Array {
  return Float32Array.from({ length: numSamples }, (_, i) => {
    const t = i / 16000;
    return 0.25 * Math.sin(2 * Math.PI * 440 * t) + 0.1 * Math.sin(2 * Math.PI * 1234.5 * t) + 0.05 * Math.sin(2 * Math.PI * 5000 * t);
  });
}

function expectModelInvalid(fn: () => unknown): void {
  expect(fn).toThrow(AppError);
  try {
    fn();
  } catch (err) {
    expect((err as AppError).code).toBe('MODEL_INVALID');
  }
}

describe('featureFrames', () => {
  it('plans ⌈T/6⌉ LFR frames from the sample count', () => {
    expect(featureFrames(16_000, 6)).toBe(17);
    expect(featureFrames(160_000, 6)).toBe(167);
    expect(featureFrames(960_000, 6)).toBe(1000);
    expect(featureFrames(399, 6)).toBe(0);
    expect(featureFrames(400, 6)).toBe(1);
  });
});

describe('FeatureExtractor', () => {
  const extractor = new FeatureExtractor(OPTIONS);

  it('maps (N,) samples to (⌈T/6⌉, 560)', () => {
    expect(extractor.dim).toBe(560);
    for (const [samples, frames] of [
      [16_000, 17],
      [160_000, 167],
      [399, 0],
      [0, 0],
    ] as const) {
      const result = extractor.compute(sines(samples));
      expect(result.frames).toBe(frames);
      expect(result.data.length).toBe(frames * 560);
      expect(extractor.featureFrames(samples)).toBe(frames);
    }
  });

  it('is fbank → LFR → CMVN: frame 0 starts with fbank frame 0 normalised, ends with fbank frame 3', () => {
    const input = sines(16_000);
    const fbank = computeFbank(input);
    const { data } = extractor.compute(input);
    for (const [slot, source] of [
      [0, 0],
      [3, 0],
      [4, 1],
      [6, 3],
    ] as const) {
      for (const m of [0, 40, 79]) {
        const d = slot * 80 + m;
        const expected = (fbank[source * 80 + m]! + OPTIONS.negMean[d]!) * OPTIONS.invStddev[d]!;
        expect(data[d]).toBeCloseTo(expected, 5);
      }
    }
  });

  it('keeps pinned values for a deterministic sum of sines', () => {
    const { data } = extractor.compute(sines(16_000));
    const mean = data.reduce((a, b) => a + b, 0) / data.length;
    expect(data[0]).toBeCloseTo(0.6066127419471741, 5);
    expect(data.at(-1)).toBeCloseTo(-0.36539942026138306, 5);
    expect(mean).toBeCloseTo(0.42529613208276223, 5);
  });

  it('does not scale samples when the model says normalize_samples = 1', () => {
    const identity = { ...OPTIONS, negMean: new Float32Array(560), invStddev: new Float32Array(560).fill(1) };
    const input = sines(4000);
    const int16 = computeFeatures(input, identity).data;
    const unit = computeFeatures(input, { ...identity, normalizeSamples: true }).data;
    for (let i = 0; i < int16.length; i += 37) {
      if (unit[i]! > -10) expect(int16[i]! - unit[i]!).toBeCloseTo(2 * Math.log(32768), 4);
    }
  });

  it('gives the same result as the one-off computeFeatures and across repeated calls', () => {
    const input = sines(20_000);
    const first = extractor.compute(input);
    const identical = (other: { data: Float32Array; frames: number }) =>
      other.frames === first.frames && Buffer.from(other.data.buffer).equals(Buffer.from(first.data.buffer));
    extractor.compute(sines(5_000));
    expect(identical(extractor.compute(input))).toBe(true);
    expect(identical(computeFeatures(input, OPTIONS))).toBe(true);
  });

  it('rejects metadata that cannot describe these features with MODEL_INVALID', () => {
    expectModelInvalid(() => new FeatureExtractor({ ...OPTIONS, negMean: new Float32Array(80) }));
    expectModelInvalid(() => new FeatureExtractor({ ...OPTIONS, invStddev: new Float32Array(561) }));
    expectModelInvalid(() => new FeatureExtractor({ ...OPTIONS, lfrWindowShift: 0 }));
    expectModelInvalid(() => new FeatureExtractor({ ...OPTIONS, lfrWindowSize: 5 })); // stats are 560 = 7 × 80
  });
});

describe('featureOptionsOf', () => {
  it('takes exactly the five feature values from model metadata', () => {
    const metadata = { ...OPTIONS, vocabSize: 25055, comment: 'x', languageIds: { en: 4 } };
    const options = featureOptionsOf(metadata);
    expect(Object.keys(options).sort()).toEqual(['invStddev', 'lfrWindowShift', 'lfrWindowSize', 'negMean', 'normalizeSamples']);
    expect(options).toEqual(OPTIONS);
  });
});
