import type { GraphBuilder } from './graph-builder.js';

/**
 * Optional "tagged" variant of the synthetic model, for tests that need real tag tokens.
 *
 * A random-weight model emits arbitrary pieces in the four query slots, so a transcript from it
 * has no real language/emotion/event labels, and nothing label-driven (timelines, alert rules) can
 * be exercised end to end. This adds a constant bias to the logits of the four query frames only:
 *   slot 0 → the language token of the `language` input (auto → `<|en|>`),
 *   slot 1 → `<|NEUTRAL|>`, slot 2 → `<|Speech|>`,
 *   slot 3 → `<|withitn|>` / `<|woitn|>` from `text_norm`.
 * Speech frames are untouched, inputs/outputs/metadata stay the contract, and the bias tables are
 * Constant nodes, so the parameter count is unchanged. sherpa-onnx decodes the same graph, so
 * parity still compares two independent decoders on one model.
 */
export const TAG_BIAS = 40;

/** Output token ids (spec §3.2) per query-embedding row of `language` / `text_norm` (spec §1.2). */
const LANGUAGE_ROW_TO_TOKEN: Record<number, number> = { 0: 24885, 3: 24884, 4: 24885, 7: 24888, 11: 24892, 12: 24896 };
const TEXT_NORM_ROW_TO_TOKEN: Record<number, number> = { 14: 25016, 15: 25017 };
const NEUTRAL = 25004;
const SPEECH = 24993;

/** logits [N, T+4, V] → logits with the slot bias added. */
export function addTaggedSlotBias(b: GraphBuilder, logits: string, language: string, textNorm: string, vocabSize: number): string {
  const table = (map: Record<number, number>, fallback: number): string =>
    b.constInt64(Array.from({ length: 16 }, (_, row) => map[row] ?? fallback));
  const oneHot = (ids: string): string =>
    // [N] token ids → [N, 1, V] with TAG_BIAS at the id.
    b.op('Unsqueeze', [b.op('OneHot', [ids, b.constInt64([vocabSize]), b.constFloat([0, TAG_BIAS])], { axis: -1 }), b.constInt64([1])]);
  const languageTok = b.op('Gather', [table(LANGUAGE_ROW_TO_TOKEN, 24885), language]);
  const textNormTok = b.op('Gather', [table(TEXT_NORM_ROW_TO_TOKEN, 25017), textNorm]);
  // [N] copies of one token id (shaped like the batch).
  const constantTok = (id: number): string => b.op('Add', [b.op('Mul', [languageTok, b.constInt64([0])]), b.constInt64([id])]);
  const slots = b.op('Concat', [oneHot(languageTok), oneHot(constantTok(NEUTRAL)), oneHot(constantTok(SPEECH)), oneHot(textNormTok)], { axis: 1 });
  // Pad [N, 4, V] with T zero frames after the slots: pads = [0, 0, 0, 0, T, 0].
  const totalFrames = b.op('Slice', [b.op('Shape', [logits]), b.constInt64([1]), b.constInt64([2])]);
  const speechFrames = b.op('Sub', [totalFrames, b.constInt64([4])]);
  const pads = b.op('Concat', [b.constInt64([0, 0, 0, 0]), speechFrames, b.constInt64([0])], { axis: 0 });
  const bias = b.op('Pad', [slots, pads]);
  return b.op('Add', [logits, bias]);
}
