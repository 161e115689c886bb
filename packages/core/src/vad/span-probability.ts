import type { SpeechSegment } from './segmenter.js';

/** What the VAD saw inside a span: its windows' speech probabilities, averaged and at their highest. */
export interface SpeechProbability {
  /** Mean of the window probabilities (0..1, 4 decimals). */
  mean: number;
  /** Highest window probability (0..1, 4 decimals). */
  max: number;
}

/** A span with what the VAD saw inside it (null: it covers no window, i.e. lies past the audio's end). */
export interface ScoredSpeechSegment extends SpeechSegment {
  speechProbability: SpeechProbability | null;
}

/**
 * Folds window probabilities into each span's mean and max, as they come: blocks of consecutive
 * windows, in any order (a threaded run returns its regions' blocks interleaved), each window at
 * most once. Memory is one sum, max and count per span, whatever the audio's length.
 *
 * A span [startS, endS) covers the windows it overlaps: window i spans [i·frameS, (i+1)·frameS),
 * so a window straddling two adjacent spans counts in both. Spans must be sorted by start and
 * non-overlapping (what the segmenter, the FunASR merge and fixed chunks give).
 */
export class SpanProbabilityFold {
  private readonly first: Int32Array;
  private readonly end: Int32Array;
  private readonly sum: Float64Array;
  private readonly max: Float64Array;
  private readonly count: Int32Array;

  /** `frames`: windows of the whole audio (ceil(samples / 512)); spans are clamped to them. */
  constructor(
    private readonly spans: readonly SpeechSegment[],
    frameS: number,
    frames: number,
  ) {
    const n = spans.length;
    this.first = new Int32Array(n);
    this.end = new Int32Array(n);
    this.sum = new Float64Array(n);
    this.max = new Float64Array(n);
    this.count = new Int32Array(n);
    spans.forEach((s, k) => {
      // 1e-6 of a window absorbs float error in times that are whole multiples of frameS
      const first = Math.max(0, Math.floor(s.startS / frameS + 1e-6));
      this.first[k] = Math.min(frames, first);
      this.end[k] = Math.min(frames, Math.max(first + 1, Math.ceil(s.endS / frameS - 1e-6)));
    });
  }

  /** Adds windows [firstFrame, firstFrame + probabilities.length) to the spans that cover them. */
  add(firstFrame: number, probabilities: ArrayLike<number>): void {
    const to = firstFrame + probabilities.length;
    // the first span ending after firstFrame (ends are non-decreasing: spans are sorted, disjoint)
    let lo = 0;
    let hi = this.spans.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end[mid]! <= firstFrame) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo; k < this.spans.length && this.first[k]! < to; k++) {
      const a = Math.max(this.first[k]!, firstFrame);
      const b = Math.min(this.end[k]!, to);
      let sum = 0;
      let max = this.max[k]!;
      for (let i = a; i < b; i++) {
        const p = probabilities[i - firstFrame]!;
        sum += p;
        if (p > max) max = p;
      }
      this.sum[k] = this.sum[k]! + sum;
      this.max[k] = max;
      this.count[k] = this.count[k]! + Math.max(0, b - a);
    }
  }

  /** The spans with their mean and max over the windows added so far. */
  result(): ScoredSpeechSegment[] {
    return this.spans.map((s, k) => {
      const count = this.count[k]!;
      const speechProbability = count > 0 ? { mean: round4(this.sum[k]! / count), max: round4(this.max[k]!) } : null;
      return { startS: s.startS, endS: s.endS, speechProbability };
    });
  }
}

/** Each span's mean and max over the audio's window probabilities (F,), all in memory. */
export function scoreSpans(probabilities: ArrayLike<number>, frameS: number, spans: readonly SpeechSegment[]): ScoredSpeechSegment[] {
  const fold = new SpanProbabilityFold(spans, frameS, probabilities.length);
  fold.add(0, probabilities);
  return fold.result();
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
