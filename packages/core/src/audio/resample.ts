/**
 * Band-limited sample-rate conversion: a Kaiser-windowed sinc low-pass,
 * evaluated polyphase.
 *
 * Why our own code: no maintained pure-JS library fits. `wavefile` /
 * `wave-resampler` low-pass with an IIR Butterworth (non-linear phase) and
 * then interpolate, on whole arrays only (no streaming, so a full-rate copy of
 * an hour of audio); WASM builds of libsamplerate/speexdsp add a binary and an
 * async init for about 150 lines of DSP; many others drop or linearly
 * interpolate samples, which aliases (a 10 kHz tone at 48 kHz folds to 6 kHz
 * at 16 kHz). ffmpeg's swr is anti-aliased, but WAV input must decode
 * without ffmpeg.
 *
 * Design (fixed, documented constants):
 * - cutoff at CUTOFF_FRACTION (0.95) × the lower Nyquist frequency
 *   (min(fromRate, toRate) / 2), transition band TRANSITION_FRACTION (0.10)
 *   of that Nyquist wide, centred on the cutoff (passband to 0.90, stopband
 *   from 1.00: nothing above the output Nyquist folds back);
 * - Kaiser window with β = 8.6, about 86 dB stopband attenuation; the number
 *   of taps follows from Kaiser's formula N = (A − 7.95) / (2.285 · Δω);
 * - when to/from reduces to L/M with a small L, the L filter phases are
 *   precomputed (44100→16000: L = 160, 48000→16000: L = 1); otherwise 256
 *   phases are tabulated and linearly interpolated (error below −90 dB);
 * - each phase is normalized to unit DC gain.
 *
 * Output length is exactly `Math.floor(n × toRate / fromRate)`: output k is
 * the band-limited signal at input time k × fromRate / toRate, samples outside
 * the input count as zero. Memory is the output (or, streaming to a sink, one
 * block of it), one table and a block-sized history buffer; nothing is
 * allocated per sample.
 */

export const KAISER_BETA = 8.6;
/** Cutoff as a fraction of the lower Nyquist frequency. */
export const CUTOFF_FRACTION = 0.95;
/** Full transition-band width as a fraction of the lower Nyquist frequency. */
export const TRANSITION_FRACTION = 0.1;

const MAX_EXACT_PHASES = 4096;
const MAX_EXACT_TABLE = 1 << 21; // floats (8 MB)
const INTERPOLATED_PHASES = 256;
const BLOCK = 16384;
/** Output samples handed to a streaming sink at a time. */
const OUTPUT_BLOCK = 16384;

/** Output length for `inputLength` samples: floor(inputLength × toRate / fromRate). */
export function resampledLength(inputLength: number, fromRate: number, toRate: number): number {
  checkRate(fromRate);
  checkRate(toRate);
  const g = gcd(fromRate, toRate);
  return Math.floor((inputLength * (toRate / g)) / (fromRate / g));
}

/**
 * (n,) at fromRate → (floor(n × toRate / fromRate),) at toRate. Returns the
 * same array when the rates are equal. Rates are positive integers (Hz).
 */
export function resample(samples: Float32Array, fromRate: number, toRate: number): Float32Array {
  checkRate(fromRate);
  checkRate(toRate);
  if (fromRate === toRate) return samples;
  const resampler = new Resampler(fromRate, toRate, samples.length);
  resampler.write(samples);
  return resampler.finish();
}

/**
 * Streaming form of `resample` for a signal whose total length is known up
 * front (a WAV file can be converted block by block without a full-rate
 * copy). Feed every input sample through `write`, then call `finish` once.
 *
 * Without `onOutput`, `finish` returns the whole output. With it, the output
 * goes to `onOutput` in order, in blocks of up to OUTPUT_BLOCK samples (a view
 * the sink must consume before returning), and `finish` returns an empty
 * array: a long file is converted without ever holding its output whole. The
 * arithmetic is the same either way, so both give the same samples.
 */
export class Resampler {
  /** floor(inputLength × toRate / fromRate). */
  readonly outputLength: number;
  private readonly output: Float32Array; // the whole output, or one block of it (streaming)
  private readonly onOutput: ((samples: Float32Array) => void) | null;
  private outputBase = 0; // absolute index of output[0]
  private readonly up: number; // L: output samples per M input samples
  private readonly down: number; // M
  private readonly half: number; // H: taps on each side of the output instant, in input samples
  private readonly taps: number; // 2H
  private readonly table: Float32Array; // rows × taps
  private readonly exact: boolean; // row = phase (else interpolate between INTERPOLATED_PHASES + 1 rows)
  private readonly history: Float32Array;
  private historyStart: number; // absolute input index of history[0]
  private historyLength: number;
  private received = 0;
  private outIndex = 0;
  private inputIndex = 0; // floor(outIndex × M / L)
  private phase = 0; // (outIndex × M) mod L
  private finished = false;

  constructor(
    readonly fromRate: number,
    readonly toRate: number,
    readonly inputLength: number,
    onOutput?: (samples: Float32Array) => void,
  ) {
    checkRate(fromRate);
    checkRate(toRate);
    if (!Number.isSafeInteger(inputLength) || inputLength < 0) throw new RangeError(`invalid input length ${inputLength}`);
    const g = gcd(fromRate, toRate);
    this.up = toRate / g;
    this.down = fromRate / g;
    this.outputLength = Math.floor((inputLength * this.up) / this.down);
    this.onOutput = onOutput ?? null;
    this.output = new Float32Array(this.onOutput ? Math.min(OUTPUT_BLOCK, this.outputLength) : this.outputLength);

    const ratio = Math.min(1, toRate / fromRate); // lower Nyquist relative to the input Nyquist
    const stopbandDb = KAISER_BETA / 0.1102 + 8.7;
    const lowRateTaps = (stopbandDb - 7.95) / (2.285 * Math.PI * TRANSITION_FRACTION);
    this.half = 2 * Math.ceil(lowRateTaps / 4 / ratio); // even, so taps is a multiple of 4 (unrolled loop)
    this.taps = 2 * this.half;
    this.exact = this.up <= MAX_EXACT_PHASES && this.up * this.taps <= MAX_EXACT_TABLE;
    const rows = this.exact ? this.up : INTERPOLATED_PHASES + 1;
    const rowFraction = this.exact ? 1 / this.up : 1 / INTERPOLATED_PHASES;
    this.table = buildTable(rows, rowFraction, this.half, CUTOFF_FRACTION * ratio);

    // H − 1 leading zeros stand for the samples before the start.
    this.history = new Float32Array(this.taps + BLOCK);
    this.historyStart = -(this.half - 1);
    this.historyLength = this.half - 1;
  }

  /** Appends input samples; outputs are computed as soon as their taps are available. */
  write(input: Float32Array): void {
    if (this.finished) throw new Error('Resampler.write after finish');
    if (this.received + input.length > this.inputLength) throw new RangeError(`more than the declared ${this.inputLength} input samples`);
    for (let start = 0; start < input.length; start += BLOCK) {
      this.append(input.subarray(start, Math.min(input.length, start + BLOCK)));
      this.produce();
    }
  }

  /**
   * Pads the end with zeros and computes the last outputs; returns the whole output, or an
   * empty array when streaming to `onOutput`.
   */
  finish(): Float32Array {
    if (this.finished) return this.onOutput ? new Float32Array(0) : this.output;
    if (this.received !== this.inputLength) throw new RangeError(`received ${this.received} of ${this.inputLength} input samples`);
    this.finished = true;
    const zeros = new Float32Array(Math.min(BLOCK, this.half + 1));
    while (this.outIndex < this.outputLength) {
      this.append(zeros);
      this.produce();
    }
    if (!this.onOutput) return this.output;
    this.flush();
    return new Float32Array(0);
  }

  /** Streaming: hands the block's computed samples to the sink and starts a new block. */
  private flush(): void {
    const count = this.outIndex - this.outputBase;
    if (count > 0) this.onOutput!(this.output.subarray(0, count));
    this.outputBase = this.outIndex;
  }

  private append(block: Float32Array): void {
    // Drop history no future output needs, then copy the block in.
    const keepFrom = this.inputIndex - this.half + 1;
    const drop = Math.min(this.historyLength, Math.max(0, keepFrom - this.historyStart));
    if (drop > 0) {
      this.history.copyWithin(0, drop, this.historyLength);
      this.historyStart += drop;
      this.historyLength -= drop;
    }
    let skip = 0; // when a single step jumps past the history, the next samples are not needed either
    const end = this.historyStart + this.historyLength;
    if (keepFrom > end) {
      skip = Math.min(block.length, keepFrom - end);
      this.historyStart += skip;
    }
    this.history.set(block.subarray(skip), this.historyLength);
    this.historyLength += block.length - skip;
    if (!this.finished) this.received += block.length;
  }

  private produce(): void {
    for (;;) {
      const blockEnd = Math.min(this.outputLength, this.outputBase + this.output.length);
      this.produceUntil(blockEnd);
      if (this.outIndex < blockEnd || !this.onOutput || this.outIndex === this.outputLength) return;
      this.flush(); // the block is full and more output may be ready
    }
  }

  /** Computes outputs up to absolute index `end` (exclusive) or until the taps run out. */
  private produceUntil(end: number): void {
    const { history, table, taps, half, up, down, output, exact, outputBase } = this;
    const historyEnd = this.historyStart + this.historyLength;
    let { outIndex, inputIndex, phase } = this;
    while (outIndex < end && inputIndex + half < historyEnd) {
      const base = inputIndex - half + 1 - this.historyStart;
      let sum = 0;
      if (exact) {
        const row = phase * taps;
        let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        for (let j = 0; j < taps; j += 4) {
          s0 += history[base + j]! * table[row + j]!;
          s1 += history[base + j + 1]! * table[row + j + 1]!;
          s2 += history[base + j + 2]! * table[row + j + 2]!;
          s3 += history[base + j + 3]! * table[row + j + 3]!;
        }
        sum = s0 + s1 + s2 + s3;
      } else {
        const position = (phase / up) * INTERPOLATED_PHASES;
        const r = Math.min(INTERPOLATED_PHASES - 1, Math.floor(position));
        const a = position - r;
        const row0 = r * taps;
        const row1 = row0 + taps;
        for (let j = 0; j < taps; j++) {
          const c0 = table[row0 + j]!;
          sum += history[base + j]! * (c0 + a * (table[row1 + j]! - c0));
        }
      }
      output[outIndex++ - outputBase] = sum;
      phase += down;
      if (phase >= up) {
        const steps = Math.floor(phase / up);
        inputIndex += steps;
        phase -= steps * up;
      }
    }
    this.outIndex = outIndex;
    this.inputIndex = inputIndex;
    this.phase = phase;
  }
}

/**
 * (rows, 2H) filter table: row p holds the taps for an output instant at
 * fraction p × rowFraction past an input sample; tap j weighs input sample
 * (floor(t) − H + 1 + j), at distance d = frac + H − 1 − j. Each row sums to 1.
 */
function buildTable(rows: number, rowFraction: number, half: number, cutoff: number): Float32Array {
  const taps = 2 * half;
  const table = new Float32Array(rows * taps);
  const row = new Float64Array(taps);
  const i0Beta = besselI0(KAISER_BETA);
  for (let p = 0; p < rows; p++) {
    const frac = p * rowFraction;
    let sum = 0;
    for (let j = 0; j < taps; j++) {
      const d = frac + half - 1 - j;
      const x = d / half;
      const window = Math.abs(x) >= 1 ? 0 : besselI0(KAISER_BETA * Math.sqrt(1 - x * x)) / i0Beta;
      const arg = Math.PI * cutoff * d;
      const sinc = arg === 0 ? 1 : Math.sin(arg) / arg;
      row[j] = cutoff * sinc * window;
      sum += row[j]!;
    }
    for (let j = 0; j < taps; j++) table[p * taps + j] = row[j]! / sum;
  }
  return table;
}

/** Modified Bessel function of the first kind, order 0 (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-16) break;
  }
  return sum;
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function checkRate(rate: number): void {
  if (!Number.isSafeInteger(rate) || rate <= 0) throw new RangeError(`sample rate must be a positive integer, got ${rate}`);
}
