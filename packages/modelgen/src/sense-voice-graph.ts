/**
 * The SenseVoiceSmall graph with the sherpa-onnx export's I/O contract (spec §1.1, §5), opset 13:
 *   x f32 [N,T,560], x_length i32 [N], language i32 [N], text_norm i32 [N] → logits f32 [N,T+4,vocab]
 * Query rows [language, 1, 2, text_norm] of `embed` are prepended to x, lengths += 4, inputs are
 * scaled by √d, sinusoidal positions 1..T+4 are added, then encoders0 → encoders → after_norm →
 * tp_encoders → tp_norm → ctc_lo. Nothing depends on a fixed T (T = 0 works: 4 query frames remain).
 */
import { addTaggedSlotBias } from './tagged-slots.js';
import { GraphBuilder } from './graph-builder.js';
import { layerNorm, linear, normalWeight, type LayerContext, type WeightFormat } from './graph-layers.js';
import { countParameters, totalLayers, type SenseVoiceSize } from './model-size.js';
import { DataType } from './onnx-proto.js';
import { sanmLayer, type SequenceMasks } from './sanm-layer.js';

export const INPUT_NAMES = ['x', 'x_length', 'language', 'text_norm'] as const;
export const OUTPUT_NAME = 'logits';
/** Query frames prepended to the features: language, emotion, event, text norm. */
export const QUERY_FRAMES = 4;
/** Fixed embedding rows of the emotion and event queries. */
const EMOTION_EVENT_ROWS = [1, 2];

export interface SenseVoiceGraphOptions {
  readonly size: SenseVoiceSize;
  /** uint32 seed of every weight stream. */
  readonly seed: number;
  /** @defaultValue 'fp32' */
  readonly weightFormat?: WeightFormat;
  /** Bias the query slots towards real tag tokens (see tagged-slots.ts). @defaultValue false */
  readonly taggedSlots?: boolean;
}

/** Features with queries prepended, scaled, with positions added; plus the masks. [N,T,560] → [N,T+4,560]. */
function buildFrontEnd(ctx: LayerContext, size: SenseVoiceSize): { encoded: string; masks: SequenceMasks } {
  const { b } = ctx;
  b.scope = 'frontend';
  const x = b.input('x', DataType.FLOAT, ['N', 'T', size.inputDim]);
  const xLength = b.input('x_length', DataType.INT32, ['N']);
  const language = b.input('language', DataType.INT32, ['N']);
  const textNorm = b.input('text_norm', DataType.INT32, ['N']);

  // Query rows [N,4] = [language, 1, 2, text_norm] → embeddings [N,4,560] → concat with x.
  const axis1 = b.constInt64([1]);
  const languageColumn = b.op('Unsqueeze', [language, axis1]);
  const fixedColumns = b.op('Add', [
    b.op('Mul', [languageColumn, b.constInt32([0], [])]),
    b.constInt32(EMOTION_EVENT_ROWS, [1, EMOTION_EVENT_ROWS.length]),
  ]);
  const rows = b.op('Concat', [languageColumn, fixedColumns, b.op('Unsqueeze', [textNorm, axis1])], { axis: 1 });
  const embed = normalWeight(ctx, 'embed.weight', [size.queryEmbedRows, size.inputDim], 1);
  const queries = b.op('Gather', [embed, rows], { axis: 0 });
  const withQueries = b.op('Concat', [queries, x], { axis: 1 });
  const lengths = b.op('Add', [xLength, b.constInt32([QUERY_FRAMES], [])]);
  const scaled = b.op('Mul', [withQueries, b.constFloat([Math.sqrt(size.modelDim)], [])]);

  // Sinusoidal positions 1..T+4, depth 560: [sin(p·ω) ‖ cos(p·ω)], ω_i = exp(−i·ln(10000)/(280−1)).
  const zero = b.constInt64([0], []);
  const one = b.constInt64([1], []);
  const frames = b.op('Gather', [b.op('Shape', [scaled]), one], { axis: 0 });
  const positions = b.op('Cast', [b.op('Range', [one, b.op('Add', [frames, one]), one])], { to: DataType.FLOAT });
  const half = size.inputDim / 2;
  const depthIndex = b.op('Range', [b.constFloat([0], []), b.constFloat([half], []), b.constFloat([1], [])]);
  const frequencies = b.op('Exp', [b.op('Mul', [depthIndex, b.constFloat([-Math.log(10000) / (half - 1)], [])])]);
  const angles = b.op('Mul', [b.op('Unsqueeze', [positions, axis1]), b.op('Unsqueeze', [frequencies, b.constInt64([0])])]);
  const positionEncoding = b.op('Concat', [b.op('Sin', [angles]), b.op('Cos', [angles])], { axis: 1 });
  const encoded = b.op('Add', [scaled, positionEncoding]);

  // valid[n, t] = t < lengths[n]  ([N, T+4]).
  const frameIndex = b.op('Unsqueeze', [b.op('Range', [zero, frames, one]), b.constInt64([0])]);
  const lengthColumn = b.op('Unsqueeze', [b.op('Cast', [lengths], { to: DataType.INT64 }), axis1]);
  const valid = b.op('Less', [frameIndex, lengthColumn]);
  const validFrames = b.op('Unsqueeze', [b.op('Cast', [valid], { to: DataType.FLOAT }), b.constInt64([2])]);
  const paddedKeys = b.op('Unsqueeze', [b.op('Not', [valid]), b.constInt64([1, 2])]);
  b.scope = '';
  return { encoded, masks: { validFrames, paddedKeys } };
}

/**
 * Builds the whole graph with lazy seeded weights (nothing is generated until the model is written).
 * Throws if the initializer element count differs from the closed form or the size's expected count.
 */
export function buildSenseVoiceGraph(options: SenseVoiceGraphOptions): GraphBuilder {
  const { size, seed } = options;
  const b = new GraphBuilder('sense_voice');
  const ctx: LayerContext = { b, seed, weightFormat: options.weightFormat ?? 'fp32' };
  const d = size.modelDim;
  const residualBranchScale = 1 / Math.sqrt(2 * totalLayers(size));
  const { encoded, masks } = buildFrontEnd(ctx, size);

  let hidden = sanmLayer(ctx, encoded, masks, size, {
    name: 'encoder.encoders0.0',
    inDim: size.inputDim,
    residual: false,
    residualBranchScale,
  });
  for (let i = 0; i < size.encoderLayers; i++) {
    const name = `encoder.encoders.${i}`;
    hidden = sanmLayer(ctx, hidden, masks, size, { name, inDim: d, residual: true, residualBranchScale });
  }
  hidden = layerNorm(ctx, hidden, 'encoder.after_norm', d);
  for (let i = 0; i < size.tpEncoderLayers; i++) {
    const name = `encoder.tp_encoders.${i}`;
    hidden = sanmLayer(ctx, hidden, masks, size, { name, inDim: d, residual: true, residualBranchScale });
  }
  hidden = layerNorm(ctx, hidden, 'encoder.tp_norm', d);
  b.scope = 'ctc';
  let logits = linear(ctx, hidden, 'ctc.ctc_lo', d, size.vocabSize);
  if (options.taggedSlots) logits = addTaggedSlotBias(b, logits, INPUT_NAMES[2], INPUT_NAMES[3], size.vocabSize);
  b.nodeWithOutputs('Identity', [logits], [OUTPUT_NAME]);
  b.output(OUTPUT_NAME, DataType.FLOAT, ['N', 'T', size.vocabSize]);

  if (ctx.weightFormat === 'fp32') {
    const built = b.parameterCount();
    const closedForm = countParameters(size);
    const expected = size.expectedParameterCount ?? closedForm;
    if (built !== closedForm || built !== expected) {
      throw new Error(`${size.name} graph has ${built} parameters; closed form ${closedForm}, expected ${expected}`);
    }
  }
  return b;
}
