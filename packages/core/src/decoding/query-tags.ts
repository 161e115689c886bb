import type { SymbolTable } from './symbol-table.js';

/**
 * Ids of the tag pieces (`<|…|>`: languages, emotions, events, ITN and task tokens,
 * 24884–25054 in the official vocabulary, spec §3.2) in id order. The runner returns the
 * log-softmax over these ids for each query frame (language, emotion, event, ITN), the
 * input of tag confidences.
 */
export function queryTagIds(symbols: SymbolTable): number[] {
  const ids: number[] = [];
  for (let id = 0; id < symbols.size; id++) {
    const piece = symbols.piece(id);
    if (piece.length > 4 && piece.startsWith('<|') && piece.endsWith('|>')) ids.push(id);
  }
  return ids;
}

/**
 * Log-softmax over `tagIds` of each of the first `queryFrames` rows of one item's logits
 * `(frames, vocabSize)` → `(queryFrames, tagIds.length)` row-major (what the decode graph
 * computes in onnxruntime; this is the same in JavaScript, for the logits path).
 */
export function queryTagLogProbs(
  logits: Float32Array,
  vocabSize: number,
  tagIds: readonly number[],
  queryFrames: number,
): Float32Array {
  const k = tagIds.length;
  const out = new Float32Array(queryFrames * k);
  for (let q = 0; q < queryFrames; q++) {
    const row = q * vocabSize;
    let max = -Infinity;
    for (const id of tagIds) max = Math.max(max, logits[row + id] as number);
    let sum = 0;
    for (const id of tagIds) sum += Math.exp((logits[row + id] as number) - max);
    const logSum = max + Math.log(sum);
    tagIds.forEach((id, j) => (out[q * k + j] = (logits[row + id] as number) - logSum));
  }
  return out;
}
