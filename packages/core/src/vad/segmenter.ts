import { AppError } from '../errors/app-error.js';

/** A span of speech in seconds from the start of the audio, `[startS, endS)`. */
export interface SpeechSegment {
  startS: number;
  endS: number;
}

/**
 * How frame probabilities become segments. Same meaning and defaults as silero's
 * `get_speech_timestamps`, except `minSilenceMs` (silero: 100) and `maxSegmentS` (silero: unlimited).
 */
export interface SegmenterOptions {
  /**
   * A frame with probability ≥ threshold is speech; it starts a segment and ends a pause.
   * @defaultValue 0.5
   */
  threshold: number;
  /**
   * Inside a segment, a frame below negThreshold starts a silence; frames between
   * negThreshold and threshold neither start nor end one (hysteresis).
   * @defaultValue max(threshold − 0.15, 0.01), at most threshold
   */
  negThreshold?: number | undefined;
  /** Segments shorter than this (before padding) are dropped. @defaultValue 250 */
  minSpeechMs: number;
  /**
   * A silence must last this long to end a segment; shorter ones stay inside it. 250 rather than
   * silero's 100: fewer sub-second fragments at no cost in detection on the test corpus (chosen
   * by measurement, see the README's "Speech segments").
   * @defaultValue 250
   */
  minSilenceMs: number;
  /**
   * Each segment is widened by this much on both sides (clamped to the audio); when the gap
   * to a neighbour is shorter than twice this, the two meet in the middle of the gap.
   * @defaultValue 30
   */
  speechPadMs: number;
  /**
   * No segment (padding included) is longer than this. A longer one is cut at the longest
   * pause (run of frames below threshold) that keeps the first part within the limit, or,
   * when there is no pause, hard-cut at the limit.
   * @defaultValue 30
   */
  maxSegmentS: number;
}

export const DEFAULT_SEGMENTER_OPTIONS: Readonly<Required<Omit<SegmenterOptions, 'negThreshold'>>> = {
  threshold: 0.5,
  minSpeechMs: 250,
  minSilenceMs: 250,
  speechPadMs: 30,
  maxSegmentS: 30,
};

/** Frame probabilities of one audio, as produced by a frame-level VAD. */
export interface FrameProbabilities {
  /** One speech probability per frame, shape (F,). Frame i covers [i·frameS, (i+1)·frameS). */
  probabilities: ArrayLike<number>;
  /** Frame hop in seconds (Silero v5 at 16 kHz: 512 / 16000 = 0.032). */
  frameS: number;
  /** Audio length in seconds; segments are clamped to it (the last frame may be zero-padded). */
  durationS: number;
}

/** Half-open frame range [start, end). */
interface FrameRun {
  start: number;
  end: number;
}

/**
 * Turns per-frame speech probabilities into speech segments: (F,) → K segments, sorted,
 * non-overlapping, within [0, durationS], each ≤ maxSegmentS.
 *
 * Steps (modelled on silero's `get_speech_timestamps`, written as separate passes):
 * 1. hysteresis: a segment starts at a frame ≥ threshold and ends where a silence that lasts
 *    ≥ minSilenceMs began (a silence starts at a frame < negThreshold and is broken only by a
 *    frame ≥ threshold). Audio ending inside a shorter silence ends the segment where that
 *    silence began (silero would extend it to the end of the audio);
 * 2. segments shorter than minSpeechMs are dropped;
 * 3. segments longer than maxSegmentS − 2·speechPad are split (see {@link SegmenterOptions.maxSegmentS});
 *    pieces of a split are kept whatever their length;
 * 4. padding and clamping.
 */
export function segmentSpeech(input: FrameProbabilities, options: Partial<SegmenterOptions> = {}): SpeechSegment[] {
  const o = resolveOptions(options, input.frameS);
  const { probabilities: p, frameS, durationS } = input;
  const minSilenceFrames = Math.max(1, Math.ceil(o.minSilenceMs / 1000 / frameS - 1e-9));
  const minSpeechFrames = Math.ceil(o.minSpeechMs / 1000 / frameS - 1e-9);
  const padS = o.speechPadMs / 1000;
  const maxFrames = Math.floor((o.maxSegmentS - 2 * padS) / frameS + 1e-9);

  const runs = hysteresisRuns(p, o.threshold, o.negThreshold, minSilenceFrames).filter(
    (r) => r.end - r.start >= minSpeechFrames,
  );
  const pieces = runs.flatMap((r) => splitLongRun(p, r, maxFrames, o.threshold));
  return padAndClamp(pieces, frameS, padS, durationS);
}

function resolveOptions(
  options: Partial<SegmenterOptions>,
  frameS: number,
): Required<Omit<SegmenterOptions, 'negThreshold'>> & { negThreshold: number } {
  const merged = { ...DEFAULT_SEGMENTER_OPTIONS, ...definedOnly(options) };
  const negThreshold = negativeThreshold(merged.threshold, options.negThreshold);
  const problems: string[] = [];
  if (!(frameS > 0)) problems.push(`frameS must be > 0 (got ${frameS})`);
  if (!(merged.threshold > 0 && merged.threshold <= 1)) problems.push('threshold must be in (0, 1]');
  if (!(negThreshold > 0 && negThreshold <= merged.threshold)) problems.push('negThreshold must be in (0, threshold]');
  for (const key of ['minSpeechMs', 'minSilenceMs', 'speechPadMs'] as const) {
    if (!(merged[key] >= 0)) problems.push(`${key} must be ≥ 0`);
  }
  if (!(merged.maxSegmentS - (2 * merged.speechPadMs) / 1000 >= frameS)) {
    problems.push('maxSegmentS must exceed 2·speechPadMs by at least one frame');
  }
  if (problems.length > 0) {
    throw new AppError('INVALID_OPTIONS', `invalid VAD options: ${problems.join('; ')}`, { details: { problems } });
  }
  return { ...merged, negThreshold };
}

/**
 * The probability below which speech surely ends (silero's rule): `negThreshold` when given,
 * else threshold − 0.15, at least 0.01 and at most threshold.
 */
export function negativeThreshold(threshold: number, negThreshold?: number): number {
  return negThreshold ?? Math.min(threshold, Math.max(threshold - 0.15, 0.01));
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Pass 1: frame runs of speech with hysteresis and minimum silence (no length limits). */
function hysteresisRuns(p: ArrayLike<number>, threshold: number, negThreshold: number, minSilenceFrames: number): FrameRun[] {
  const runs: FrameRun[] = [];
  let start = -1;
  let silenceStart = -1;
  for (let i = 0; i < p.length; i++) {
    const prob = p[i] ?? 0;
    if (start < 0) {
      if (prob >= threshold) start = i;
      continue;
    }
    if (prob >= threshold) silenceStart = -1;
    else if (prob < negThreshold && silenceStart < 0) silenceStart = i;
    if (silenceStart >= 0 && i + 1 - silenceStart >= minSilenceFrames) {
      runs.push({ start, end: silenceStart });
      start = -1;
      silenceStart = -1;
    }
  }
  if (start >= 0) runs.push({ start, end: silenceStart >= 0 ? silenceStart : p.length });
  return runs;
}

/**
 * Pass 3: cuts a run into pieces of at most maxFrames. Within the window [start, start + maxFrames]
 * the cut goes at the longest pause (maximal run of frames < threshold followed by speech inside
 * the run; ties → the later one); the piece ends where the pause begins and the next one starts
 * where speech resumes. Without a pause: a hard cut at the limit.
 */
function splitLongRun(p: ArrayLike<number>, run: FrameRun, maxFrames: number, threshold: number): FrameRun[] {
  const pieces: FrameRun[] = [];
  let start = run.start;
  while (run.end - start > maxFrames) {
    const limit = start + maxFrames;
    let best: FrameRun | undefined;
    let i = start + 1;
    while (i <= limit) {
      if ((p[i] ?? 0) >= threshold) {
        i++;
        continue;
      }
      let j = i;
      while (j < run.end && (p[j] ?? 0) < threshold) j++;
      if (j < run.end && (!best || j - i >= best.end - best.start)) best = { start: i, end: j };
      i = j + 1;
    }
    if (best) {
      pieces.push({ start, end: best.start });
      start = best.end;
    } else {
      pieces.push({ start, end: limit });
      start = limit;
    }
  }
  pieces.push({ start, end: run.end });
  return pieces;
}

/** Pass 4: frames → seconds, padding shared across short gaps, clamped to [0, durationS]. */
function padAndClamp(runs: FrameRun[], frameS: number, padS: number, durationS: number): SpeechSegment[] {
  const segments = runs.map((r) => ({ startS: r.start * frameS, endS: r.end * frameS }));
  for (let k = 0; k < segments.length; k++) {
    const seg = segments[k]!;
    const next = segments[k + 1];
    if (k === 0) seg.startS -= padS;
    if (!next) {
      seg.endS += padS;
      continue;
    }
    const gapS = next.startS - seg.endS;
    const widen = gapS < 2 * padS ? gapS / 2 : padS;
    seg.endS += widen;
    next.startS -= widen;
  }
  const out: SpeechSegment[] = [];
  for (const seg of segments) {
    const startS = roundUs(Math.max(0, seg.startS));
    const endS = roundUs(Math.min(durationS, seg.endS));
    if (endS > startS) out.push({ startS, endS });
  }
  return out;
}

/** Rounds to the microsecond, so frame multiples print cleanly (0.096, not 0.09600000000000001). */
function roundUs(s: number): number {
  return Math.round(s * 1e6) / 1e6;
}
