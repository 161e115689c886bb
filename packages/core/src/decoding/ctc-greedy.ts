import { AppError } from '../errors/app-error.js';

export interface CtcGreedyOptions {
  /** The CTC blank (metadata `blank_id`, 0 = `<unk>` for SenseVoice). */
  blankId: number;
  /**
   * Columns that are never chosen, as if their logits were −∞ (FunASR's `ban_emo_unk`
   * bans 25009 `<|EMO_UNKNOWN|>`).
   */
  bannedIds?: readonly number[];
}

export interface CtcGreedyResult {
  /** Emitted token ids, in order. */
  ids: number[];
  /** Logit frame index at which each id was emitted (same length as ids, increasing). */
  frames: number[];
}

/**
 * Greedy CTC over one item's logits, as sherpa-onnx and FunASR do it: per frame take the
 * argmax (first maximum on ties, like `std::max_element` / `argmax`), emit it when it is
 * not the blank and differs from the previous frame's argmax (blanks count as the
 * previous argmax, so `a _ a` emits `a` twice).
 *
 * `logits` is `(frames, vocabSize)` row-major, at least `frames × vocabSize` long (pass a
 * `subarray` of a padded batch; only the first `frames` rows are read). For SenseVoice,
 * `frames` = x_length + 4 (the 4 query frames come first).
 * @throws AppError INVALID_OPTIONS on inconsistent sizes or ids.
 */
export function ctcGreedy(
  logits: Float32Array,
  frames: number,
  vocabSize: number,
  options: CtcGreedyOptions,
): CtcGreedyResult {
  const { blankId } = options;
  if (!Number.isInteger(frames) || frames < 0 || !Number.isInteger(vocabSize) || vocabSize <= 0) {
    throw new AppError('INVALID_OPTIONS', `ctcGreedy: bad shape (${frames}, ${vocabSize})`);
  }
  if (logits.length < frames * vocabSize) {
    throw new AppError('INVALID_OPTIONS', `ctcGreedy: ${logits.length} logits cannot hold (${frames}, ${vocabSize})`);
  }
  if (!Number.isInteger(blankId) || blankId < 0 || blankId >= vocabSize) {
    throw new AppError('INVALID_OPTIONS', `ctcGreedy: blank id ${blankId} is outside [0, ${vocabSize})`);
  }
  const ranges = allowedRanges(vocabSize, options.bannedIds ?? []);
  const ids: number[] = [];
  const emittedFrames: number[] = [];
  let previous = -1;
  for (let t = 0; t < frames; t++) {
    const row = t * vocabSize;
    let best = -1;
    let bestValue = 0;
    // Plain loops over [from, to) column ranges: the hot path (~500 × 25055 per 30 s segment).
    for (let r = 0; r < ranges.length; r += 2) {
      const to = row + (ranges[r + 1] as number);
      let c = row + (ranges[r] as number);
      if (best < 0) {
        best = c;
        bestValue = logits[c] as number;
        c++;
      }
      for (; c < to; c++) {
        const v = logits[c] as number;
        if (v > bestValue) {
          bestValue = v;
          best = c;
        }
      }
    }
    const y = best - row;
    if (y !== blankId && y !== previous) {
      ids.push(y);
      emittedFrames.push(t);
    }
    previous = y;
  }
  return { ids, frames: emittedFrames };
}

/** Flat [from0, to0, from1, to1, …] column ranges that are not banned, each non-empty. */
function allowedRanges(vocabSize: number, bannedIds: readonly number[]): number[] {
  const banned = [...new Set(bannedIds)].sort((a, b) => a - b);
  for (const id of banned) {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new AppError('INVALID_OPTIONS', `ctcGreedy: banned id ${id} is outside [0, ${vocabSize})`);
    }
  }
  const ranges: number[] = [];
  let from = 0;
  for (const id of banned) {
    if (id > from) ranges.push(from, id);
    from = id + 1;
  }
  if (from < vocabSize) ranges.push(from, vocabSize);
  if (ranges.length === 0) throw new AppError('INVALID_OPTIONS', 'ctcGreedy: every vocabulary id is banned');
  return ranges;
}
