/**
 * Kaldi's triangular mel filter bank (the one kaldi-native-fbank builds for
 * `is_librosa = false`, `htk_mode = false`, no VTLN), stored sparsely: each
 * filter keeps only the run of FFT bins where its weight is non-zero.
 */

/** HTK mel scale: `1127 · ln(1 + f / 700)`. */
export function melScale(freqHz: number): number {
  return 1127 * Math.log(1 + freqHz / 700);
}

export interface MelFilterBankOptions {
  /** Number of triangular filters (80 for SenseVoice). */
  numBins: number;
  /** FFT length the power spectrum came from (512 for SenseVoice). */
  fftSize: number;
  sampleRate: number;
  /** Lower edge of the first filter (Kaldi `low_freq`, 20 Hz for SenseVoice). */
  lowFreqHz: number;
  /** Upper edge of the last filter (Kaldi `high_freq`; the Nyquist frequency for SenseVoice). */
  highFreqHz: number;
}

/**
 * Filter `b` covers power-spectrum bins `offsets[b] … offsets[b] + lengths[b] − 1`;
 * its weights are `weights[starts[b] … starts[b] + lengths[b] − 1]`.
 */
export interface MelFilterBank {
  numBins: number;
  offsets: Int32Array;
  lengths: Int32Array;
  starts: Int32Array;
  weights: Float64Array;
}

/**
 * Builds the filters the way Kaldi does: centres equally spaced in mel between
 * `lowFreqHz` and `highFreqHz` (num_bins + 2 edge points), each FFT bin `i`
 * (centre `i · sampleRate / fftSize`, for i < fftSize/2 — the Nyquist bin is
 * never used) weighted by its linear-in-mel position inside the triangle,
 * strictly between the left and right edges.
 */
export function kaldiMelFilterBank(options: MelFilterBankOptions): MelFilterBank {
  const { numBins, fftSize, sampleRate, lowFreqHz, highFreqHz } = options;
  const nyquistHz = sampleRate / 2;
  if (numBins < 3 || fftSize % 2 !== 0 || lowFreqHz < 0 || highFreqHz > nyquistHz || highFreqHz <= lowFreqHz) {
    throw new RangeError(`bad mel filter bank options ${JSON.stringify(options)}`);
  }
  const numFftBins = fftSize / 2;
  const binWidthHz = sampleRate / fftSize;
  const melLow = melScale(lowFreqHz);
  const melDelta = (melScale(highFreqHz) - melLow) / (numBins + 1);

  const binMel = new Float64Array(numFftBins);
  for (let i = 0; i < numFftBins; i++) binMel[i] = melScale(binWidthHz * i);

  const offsets = new Int32Array(numBins);
  const lengths = new Int32Array(numBins);
  const starts = new Int32Array(numBins);
  const collected: number[] = [];
  for (let b = 0; b < numBins; b++) {
    const left = melLow + b * melDelta;
    const center = melLow + (b + 1) * melDelta;
    const right = melLow + (b + 2) * melDelta;
    let first = -1;
    let last = -1;
    const filter: number[] = [];
    for (let i = 0; i < numFftBins; i++) {
      const mel = binMel[i]!;
      if (mel > left && mel < right) {
        if (first === -1) first = i;
        last = i;
        filter.push(mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center));
      }
    }
    if (first === -1) throw new RangeError(`mel filter ${b} is empty: too many bins for fftSize ${fftSize}`);
    offsets[b] = first;
    lengths[b] = last - first + 1;
    starts[b] = collected.length;
    collected.push(...filter);
  }
  return { numBins, offsets, lengths, starts, weights: Float64Array.from(collected) };
}

/**
 * Applies the filters to one power spectrum: `(≥ fftSize/2,) → (numBins,)`,
 * writing into `out` at `outOffset`.
 */
export function applyMelFilterBank(
  bank: MelFilterBank,
  powerSpectrum: Float64Array,
  out: Float64Array | Float32Array,
  outOffset = 0,
): void {
  const { numBins, offsets, lengths, starts, weights } = bank;
  for (let b = 0; b < numBins; b++) {
    const offset = offsets[b]!;
    const start = starts[b]!;
    const length = lengths[b]!;
    let energy = 0;
    for (let k = 0; k < length; k++) energy += weights[start + k]! * powerSpectrum[offset + k]!;
    out[outOffset + b] = energy;
  }
}
