/**
 * Kaldi-compatible log-mel filterbank ("fbank") with SenseVoice's settings, as
 * sherpa-onnx computes it with kaldi-native-fbank: 16 kHz, 25 ms frames every
 * 10 ms with snip_edges, DC removal, pre-emphasis 0.97, Hamming window, 512-point
 * power spectrum, 80 HTK-mel triangles from 20 Hz to Nyquist, natural log
 * floored at FLT_EPSILON, no dither, no energy coefficient.
 *
 * Precision: everything runs in float64 and only the result is rounded to
 * float32. sherpa-onnx-node 1.13.8 keeps everything in float32, FFT included
 * (kissfft, whose CMake build adds -ffast-math), so its rounding cannot be reproduced bit
 * for bit; float64 keeps our own error out of the budget instead. Measured
 * against it after CMVN (sherpa-parity.test.ts): mean |diff| ≈ 7e-7; the rare
 * larger values (up to 1.6e-4 on espeak speech, 4.3e-4 on a pure chirp) sit in
 * mel bins ~20 nats below the frame's peak, where float32 FFT noise dominates.
 * Emulating kissfft's float32 arithmetic op for op was tried: it halved the
 * mean difference but not the max, presumably because -ffast-math reorders it.
 */
import FFT from 'fft.js';
import { applyMelFilterBank, kaldiMelFilterBank, type MelFilterBank } from './mel-filter-bank.js';

export const FBANK_SAMPLE_RATE = 16_000;
/** 25 ms at 16 kHz. */
export const FRAME_LENGTH_SAMPLES = 400;
/** 10 ms at 16 kHz. */
export const FRAME_SHIFT_SAMPLES = 160;
/** Frame length rounded up to a power of two. */
export const FFT_SIZE = 512;
export const NUM_MEL_BINS = 80;
export const MEL_LOW_FREQ_HZ = 20;
export const MEL_HIGH_FREQ_HZ = FBANK_SAMPLE_RATE / 2;
export const PREEMPHASIS_COEFF = 0.97;
/** C's FLT_EPSILON (2^-23): Kaldi floors mel energies here before the log. */
export const LOG_ENERGY_FLOOR = 1.1920928955078125e-7;
/** Scale applied to [-1, 1] samples when the model says `normalize_samples = 0`. */
export const INT16_SAMPLE_SCALE = 32_768;

/** Number of fbank frames with snip_edges: `1 + ⌊(N − 400) / 160⌋`, 0 when N < 400. */
export function fbankFrameCount(numSamples: number): number {
  if (numSamples < FRAME_LENGTH_SAMPLES) return 0;
  return 1 + Math.floor((numSamples - FRAME_LENGTH_SAMPLES) / FRAME_SHIFT_SAMPLES);
}

/** Kaldi's "hamming" window `0.54 − 0.46·cos(2πn / (L − 1))`: `(L,)`. */
export function hammingWindow(length: number): Float64Array {
  const window = new Float64Array(length);
  const a = (2 * Math.PI) / (length - 1);
  for (let n = 0; n < length; n++) window[n] = 0.54 - 0.46 * Math.cos(a * n);
  return window;
}

interface ComplexFft {
  /** Forward DFT of interleaved (re, im) `data` into interleaved `out`. */
  transform(out: Float64Array, data: Float64Array): void;
}

/**
 * Precomputed tables and scratch buffers for one fbank computation at a time
 * (like an FFTW plan). Create once, reuse for every call; not re-entrant, which
 * is fine because computing is synchronous.
 */
export interface FbankPlan {
  readonly window: Float64Array;
  readonly melBank: MelFilterBank;
  /** Complex FFT of half the frame length (see {@link realPowerSpectrum}). */
  readonly halfFft: ComplexFft;
  /** (FFT_SIZE/2 + 1,) cos and −sin of 2πk/FFT_SIZE. */
  readonly twiddleRe: Float64Array;
  readonly twiddleIm: Float64Array;
  /** (FFT_SIZE,) windowed frame; samples 400…511 stay zero. */
  readonly frame: Float64Array;
  /** (FFT_SIZE,) interleaved spectrum of the half-size complex FFT. */
  readonly spectrum: Float64Array;
  /** (FFT_SIZE/2 + 1,) power spectrum. */
  readonly power: Float64Array;
  /** (NUM_MEL_BINS,) mel energies. */
  readonly mel: Float64Array;
}

export function createFbankPlan(): FbankPlan {
  return {
    window: hammingWindow(FRAME_LENGTH_SAMPLES),
    melBank: kaldiMelFilterBank({
      numBins: NUM_MEL_BINS,
      fftSize: FFT_SIZE,
      sampleRate: FBANK_SAMPLE_RATE,
      lowFreqHz: MEL_LOW_FREQ_HZ,
      highFreqHz: MEL_HIGH_FREQ_HZ,
    }),
    halfFft: new FFT(FFT_SIZE / 2) as ComplexFft,
    twiddleRe: Float64Array.from({ length: FFT_SIZE / 2 + 1 }, (_, k) => Math.cos((2 * Math.PI * k) / FFT_SIZE)),
    twiddleIm: Float64Array.from({ length: FFT_SIZE / 2 + 1 }, (_, k) => -Math.sin((2 * Math.PI * k) / FFT_SIZE)),
    frame: new Float64Array(FFT_SIZE),
    spectrum: new Float64Array(FFT_SIZE),
    power: new Float64Array(FFT_SIZE / 2 + 1),
    mel: new Float64Array(NUM_MEL_BINS),
  };
}

export interface FbankOptions {
  /**
   * Multiplier for the input samples.
   * @defaultValue {@link INT16_SAMPLE_SCALE} (the model's `normalize_samples = 0`); use 1 for `normalize_samples = 1`.
   */
  sampleScale?: number;
  /** Reuse precomputed tables; a fresh plan is built when omitted. */
  plan?: FbankPlan;
  /** Write here instead of allocating; must hold at least `fbankFrameCount(N) · 80` values. */
  out?: Float32Array;
}

/**
 * Log-mel fbank of 16 kHz mono samples in [-1, 1]:
 * `(N,) → (T, 80)` row-major, T = {@link fbankFrameCount}(N).
 */
export function computeFbank(samples: Float32Array, options: FbankOptions = {}): Float32Array {
  const scale = options.sampleScale ?? INT16_SAMPLE_SCALE;
  const plan = options.plan ?? createFbankPlan();
  const numFrames = fbankFrameCount(samples.length);
  const out = options.out ?? new Float32Array(numFrames * NUM_MEL_BINS);
  if (out.length < numFrames * NUM_MEL_BINS) {
    throw new RangeError(`fbank output holds ${out.length} values, needs ${numFrames * NUM_MEL_BINS}`);
  }
  const { window, melBank, frame, power, mel } = plan;

  for (let t = 0; t < numFrames; t++) {
    const start = t * FRAME_SHIFT_SAMPLES;

    let sum = 0;
    for (let i = 0; i < FRAME_LENGTH_SAMPLES; i++) sum += samples[start + i]!;
    const mean = (sum * scale) / FRAME_LENGTH_SAMPLES;

    // DC removal, then pre-emphasis on the DC-free values (x[0] −= 0.97·x[0]), then the window.
    let previous = samples[start]! * scale - mean;
    frame[0] = (previous - PREEMPHASIS_COEFF * previous) * window[0]!;
    for (let i = 1; i < FRAME_LENGTH_SAMPLES; i++) {
      const current = samples[start + i]! * scale - mean;
      frame[i] = (current - PREEMPHASIS_COEFF * previous) * window[i]!;
      previous = current;
    }

    realPowerSpectrum(plan);

    applyMelFilterBank(melBank, power, mel);
    const rowOffset = t * NUM_MEL_BINS;
    for (let b = 0; b < NUM_MEL_BINS; b++) {
      const energy = mel[b]!;
      out[rowOffset + b] = Math.log(energy > LOG_ENERGY_FLOOR ? energy : LOG_ENERGY_FLOOR);
    }
  }
  return out;
}

/**
 * `plan.frame` (FFT_SIZE real samples) → `plan.power` (|X[k]|², k = 0 … FFT_SIZE/2).
 * Uses the classic half-size trick, about twice as fast as fft.js's own real
 * transform here: the real frame read as FFT_SIZE/2 interleaved complex values
 * z[n] = x[2n] + i·x[2n+1] gives Z = DFT(z); with E[k] = (Z[k] + Z*[M−k]) / 2 and
 * O[k] = (Z[k] − Z*[M−k]) / 2i (M = FFT_SIZE/2, DFTs of the even and odd
 * samples), X[k] = E[k] + e^(−2πik/FFT_SIZE) · O[k].
 */
function realPowerSpectrum(plan: FbankPlan): void {
  const { halfFft, frame, spectrum, power, twiddleRe, twiddleIm } = plan;
  const m = FFT_SIZE / 2;
  halfFft.transform(spectrum, frame);
  for (let k = 0; k <= m; k++) {
    const zk = (k % m) * 2;
    const zc = ((m - k) % m) * 2;
    const a = spectrum[zk]!;
    const b = spectrum[zk + 1]!;
    const c = spectrum[zc]!;
    const d = spectrum[zc + 1]!;
    const evenRe = 0.5 * (a + c);
    const evenIm = 0.5 * (b - d);
    const oddRe = 0.5 * (b + d);
    const oddIm = -0.5 * (a - c);
    const wr = twiddleRe[k]!;
    const wi = twiddleIm[k]!;
    const re = evenRe + wr * oddRe - wi * oddIm;
    const im = evenIm + wr * oddIm + wi * oddRe;
    power[k] = re * re + im * im;
  }
}
