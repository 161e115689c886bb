/**
 * Low frame rate (LFR) stacking, FunASR's variant (also sherpa-onnx's since
 * 2026-08; observed in sherpa-onnx-node 1.13.8): `m` consecutive fbank frames
 * every `n`, with `(m − 1) / 2` copies of the first frame in front and the last
 * frame repeated past the end. SenseVoice uses m = 7, n = 6 (from the model's
 * `lfr_window_size` / `lfr_window_shift` metadata): 80 → 560 dims, 10 → 60 ms.
 */

/** LFR frames for T input frames: `⌈T / n⌉` (0 for T = 0). */
export function lfrFrameCount(numFrames: number, windowShift: number): number {
  return Math.ceil(numFrames / windowShift);
}

export interface LfrOptions {
  /** m: input frames stacked into one output frame. */
  windowSize: number;
  /** n: input frames between the starts of consecutive output frames. */
  windowShift: number;
  /** Write here instead of allocating; must hold at least `⌈T/n⌉ · m · dim` values. */
  out?: Float32Array;
}

/**
 * `(T, dim) → (⌈T/n⌉, m·dim)`: output frame i is the concatenation, oldest
 * first, of input frames `n·i − L … n·i − L + m − 1` with L = ⌊(m − 1)/2⌋,
 * each index clamped to [0, T − 1].
 */
export function applyLfr(frames: Float32Array, numFrames: number, dim: number, options: LfrOptions): Float32Array {
  const { windowSize, windowShift } = options;
  if (!Number.isInteger(windowSize) || !Number.isInteger(windowShift) || windowSize < 1 || windowShift < 1) {
    throw new RangeError(`bad LFR window ${windowSize}/${windowShift}`);
  }
  if (frames.length < numFrames * dim) {
    throw new RangeError(`LFR input holds ${frames.length} values, needs ${numFrames} × ${dim}`);
  }
  const outFrames = lfrFrameCount(numFrames, windowShift);
  const outDim = windowSize * dim;
  const out = options.out ?? new Float32Array(outFrames * outDim);
  if (out.length < outFrames * outDim) {
    throw new RangeError(`LFR output holds ${out.length} values, needs ${outFrames * outDim}`);
  }
  const leftPadding = Math.floor((windowSize - 1) / 2);
  const lastFrame = numFrames - 1;
  for (let i = 0; i < outFrames; i++) {
    const first = i * windowShift - leftPadding;
    for (let j = 0; j < windowSize; j++) {
      const from = Math.min(Math.max(first + j, 0), lastFrame) * dim;
      const to = i * outDim + j * dim;
      for (let k = 0; k < dim; k++) out[to + k] = frames[from + k]!;
    }
  }
  return out;
}
