/**
 * SenseVoice's whole feature pipeline, as sherpa-onnx runs it before the model:
 * samples → fbank `(T, 80)` → LFR `(⌈T/n⌉, 80·m)` → CMVN. The extractor is built
 * once per model from its metadata and keeps the window, mel filters, FFT
 * tables and CMVN vectors; each `compute` allocates only its two outputs.
 */
import { AppError } from '../errors/app-error.js';
import { applyCmvnInPlace, validateCmvn } from './cmvn.js';
import { computeFbank, createFbankPlan, fbankFrameCount, INT16_SAMPLE_SCALE, NUM_MEL_BINS, type FbankPlan } from './fbank.js';
import { applyLfr, lfrFrameCount } from './lfr.js';

/** The model-metadata values the features depend on (sherpa-onnx metadata keys in brackets). */
export interface FeatureOptions {
  /** LFR m [`lfr_window_size`], 7 for SenseVoice. */
  lfrWindowSize: number;
  /** LFR n [`lfr_window_shift`], 6 for SenseVoice. */
  lfrWindowShift: number;
  /** [`neg_mean`], `80·m` values. */
  negMean: ArrayLike<number>;
  /** [`inv_stddev`], `80·m` values. */
  invStddev: ArrayLike<number>;
  /** [`normalize_samples`]: false ⇒ samples are scaled by 32768 before the fbank (SenseVoice: false). */
  normalizeSamples: boolean;
}

/**
 * The feature options of a model, from its metadata (or anything else carrying these fields):
 * exactly the five values, so the result is small and can go to the feature threads as it is.
 */
export function featureOptionsOf(metadata: Readonly<FeatureOptions>): FeatureOptions {
  return {
    lfrWindowSize: metadata.lfrWindowSize,
    lfrWindowShift: metadata.lfrWindowShift,
    negMean: metadata.negMean,
    invStddev: metadata.invStddev,
    normalizeSamples: metadata.normalizeSamples,
  };
}

/** Model input for one segment: `data` is `(frames, 80·m)` row-major. */
export interface Features {
  data: Float32Array;
  frames: number;
}

/** LFR frames the pipeline yields for `numSamples` samples: `⌈T/n⌉` with T the fbank frame count. */
export function featureFrames(numSamples: number, lfrWindowShift: number): number {
  return lfrFrameCount(fbankFrameCount(numSamples), lfrWindowShift);
}

export class FeatureExtractor {
  /** Values per LFR frame (560 for SenseVoice). */
  readonly dim: number;
  readonly lfrWindowSize: number;
  readonly lfrWindowShift: number;
  private readonly sampleScale: number;
  private readonly negMean: Float32Array;
  private readonly invStddev: Float32Array;
  private readonly plan: FbankPlan = createFbankPlan();

  /** Throws `MODEL_INVALID` for a non-positive LFR window or CMVN vectors of the wrong length. */
  constructor(options: FeatureOptions) {
    const { lfrWindowSize, lfrWindowShift } = options;
    if (!Number.isInteger(lfrWindowSize) || !Number.isInteger(lfrWindowShift) || lfrWindowSize < 1 || lfrWindowShift < 1) {
      throw new AppError('MODEL_INVALID', `unsupported LFR window ${lfrWindowSize}/${lfrWindowShift}`);
    }
    this.lfrWindowSize = lfrWindowSize;
    this.lfrWindowShift = lfrWindowShift;
    this.dim = lfrWindowSize * NUM_MEL_BINS;
    validateCmvn(options.negMean, options.invStddev, this.dim);
    this.negMean = Float32Array.from(options.negMean);
    this.invStddev = Float32Array.from(options.invStddev);
    this.sampleScale = options.normalizeSamples ? 1 : INT16_SAMPLE_SCALE;
  }

  /** LFR frames `compute` returns for `numSamples` samples (to plan batches before computing). */
  featureFrames(numSamples: number): number {
    return featureFrames(numSamples, this.lfrWindowShift);
  }

  /** 16 kHz mono samples in [-1, 1] → LFR+CMVN features: `(N,) → (⌈T/n⌉, 80·m)`, T = 1 + ⌊(N − 400)/160⌋. */
  compute(samples16k: Float32Array): Features {
    const fbankFrames = fbankFrameCount(samples16k.length);
    const fbank = computeFbank(samples16k, { sampleScale: this.sampleScale, plan: this.plan });
    const data = applyLfr(fbank, fbankFrames, NUM_MEL_BINS, {
      windowSize: this.lfrWindowSize,
      windowShift: this.lfrWindowShift,
    });
    applyCmvnInPlace(data, this.negMean, this.invStddev, this.dim);
    return { data, frames: lfrFrameCount(fbankFrames, this.lfrWindowShift) };
  }
}

/** One-off {@link FeatureExtractor.compute}; build a `FeatureExtractor` once per model instead when calling repeatedly. */
export function computeFeatures(samples16k: Float32Array, options: FeatureOptions): Features {
  return new FeatureExtractor(options).compute(samples16k);
}
