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
  const best = new Int32Array(frames);
  for (let t = 0; t < frames; t++) {
    const row = t * vocabSize;
    let arg = -1;
    let bestValue = 0;
    // Plain loops over [from, to) column ranges: the hot path (~500 × 25055 per 30 s segment).
    for (let r = 0; r < ranges.length; r += 2) {
      const to = row + (ranges[r + 1] as number);
      let c = row + (ranges[r] as number);
      if (arg < 0) {
        arg = c;
        bestValue = logits[c] as number;
        c++;
      }
      for (; c < to; c++) {
        const v = logits[c] as number;
        if (v > bestValue) {
          bestValue = v;
          arg = c;
        }
      }
    }
    best[t] = arg - row;
  }
  return collapse(best, blankId);
}

/**
 * The same greedy CTC from each frame's best candidates instead of its logits (the graph's
 * TopK, see model/decode-graph.ts): per frame the first candidate that is not banned is the
 * argmax over the unbanned columns, so the result equals `ctcGreedy` on the logits.
 *
 * `candidates` is `(frames, perFrame)` row-major, best first, at least `frames × perFrame` long.
 * @throws AppError INVALID_OPTIONS when as many ids are banned as there are candidates
 *   (a frame could then have none), or on inconsistent sizes.
 */
export function ctcGreedyFromCandidates(
  candidates: Int32Array,
  frames: number,
  perFrame: number,
  options: CtcGreedyOptions,
): CtcGreedyResult {
  if (!Number.isInteger(frames) || frames < 0 || !Number.isInteger(perFrame) || perFrame <= 0) {
    throw new AppError('INVALID_OPTIONS', `ctcGreedyFromCandidates: bad shape (${frames}, ${perFrame})`);
  }
  if (candidates.length < frames * perFrame) {
    throw new AppError('INVALID_OPTIONS', `ctcGreedyFromCandidates: ${candidates.length} ids cannot hold (${frames}, ${perFrame})`);
  }
  const banned = new Set(options.bannedIds ?? []);
  if (banned.size >= perFrame) {
    throw new AppError('INVALID_OPTIONS', `ctcGreedyFromCandidates: ${banned.size} banned ids need more than ${perFrame} candidates per frame`);
  }
  const best = new Int32Array(frames);
  for (let t = 0; t < frames; t++) {
    let k = t * perFrame;
    while (banned.has(candidates[k] as number)) k++;
    best[t] = candidates[k] as number;
  }
  return collapse(best, options.blankId);
}

/** Emits a frame's id when it is not the blank and differs from the previous frame's (blanks included). */
function collapse(best: Int32Array, blankId: number): CtcGreedyResult {
  const ids: number[] = [];
  const emittedFrames: number[] = [];
  let previous = -1;
  for (let t = 0; t < best.length; t++) {
    const y = best[t] as number;
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
