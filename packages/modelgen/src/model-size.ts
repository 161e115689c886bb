/**
 * Size presets of the generated SenseVoice model. Both share one graph-building code path; only the
 * widths and layer counts differ. The I/O contract, metadata and 25,055-way vocabulary are the same.
 */

export type ModelSizeName = 'tiny' | 'full';

export interface SenseVoiceSize {
  readonly name: ModelSizeName;
  /** LFR feature width (7 × 80). */
  readonly inputDim: number;
  /** Encoder width (`output_size`); inputs are scaled by √modelDim. */
  readonly modelDim: number;
  readonly attentionHeads: number;
  /** Hidden width of each layer's feed-forward block. */
  readonly ffnDim: number;
  /** Depthwise FSMN kernel size over time (padding (k−1)/2 on each side). */
  readonly fsmnKernelSize: number;
  /** SANM layers after `encoders0` (which maps inputDim → modelDim). */
  readonly encoderLayers: number;
  /** SANM layers after `after_norm`. */
  readonly tpEncoderLayers: number;
  readonly vocabSize: number;
  /** Rows of the query embedding table (7 + 7 languages + 2 text-norm ids). */
  readonly queryEmbedRows: number;
  /** Checked against the built graph when set. */
  readonly expectedParameterCount?: number;
}

/** SenseVoiceSmall as exported by sherpa-onnx (spec §5): 233,999,167 parameters, 936 MB fp32. */
export const FULL_SIZE: SenseVoiceSize = {
  name: 'full',
  inputDim: 560,
  modelDim: 512,
  attentionHeads: 4,
  ffnDim: 2048,
  fsmnKernelSize: 11,
  encoderLayers: 49,
  tpEncoderLayers: 20,
  vocabSize: 25055,
  queryEmbedRows: 16,
  expectedParameterCount: 233_999_167,
};

/**
 * Same contract, tiny width: encoders0 + 1 encoder + 1 tp_encoder at d=64. ctc_lo (64 × 25,055)
 * dominates: ~1.9 M parameters, ~7.5 MB fp32, milliseconds per run.
 */
export const TINY_SIZE: SenseVoiceSize = {
  name: 'tiny',
  inputDim: 560,
  modelDim: 64,
  attentionHeads: 4,
  ffnDim: 256,
  fsmnKernelSize: 11,
  encoderLayers: 1,
  tpEncoderLayers: 1,
  vocabSize: 25055,
  queryEmbedRows: 16,
};

export const MODEL_SIZES: Readonly<Record<ModelSizeName, SenseVoiceSize>> = { tiny: TINY_SIZE, full: FULL_SIZE };

export function isModelSizeName(name: string): name is ModelSizeName {
  return name === 'tiny' || name === 'full';
}

/** Total SANM layers (encoders0 + encoders + tp_encoders); sets the residual-branch scaling. */
export function totalLayers(size: SenseVoiceSize): number {
  return 1 + size.encoderLayers + size.tpEncoderLayers;
}

/** Parameters of one SANM layer with input width `inDim` (closed form, independent of the graph). */
export function sanmLayerParameters(size: SenseVoiceSize, inDim: number): number {
  const d = size.modelDim;
  const layerNorms = 2 * inDim + 2 * d;
  const qkv = inDim * 3 * d + 3 * d;
  const fsmn = d * size.fsmnKernelSize;
  const linearOut = d * d + d;
  const ffn = d * size.ffnDim + size.ffnDim + size.ffnDim * d + d;
  return layerNorms + qkv + fsmn + linearOut + ffn;
}

/** Closed-form parameter count (spec §5 arithmetic), used to cross-check the built graph. */
export function countParameters(size: SenseVoiceSize): number {
  const d = size.modelDim;
  const embed = size.queryEmbedRows * size.inputDim;
  const layers =
    sanmLayerParameters(size, size.inputDim) + (size.encoderLayers + size.tpEncoderLayers) * sanmLayerParameters(size, d);
  const finalNorms = 2 * 2 * d;
  const ctcLo = d * size.vocabSize + size.vocabSize;
  return embed + layers + finalNorms + ctcLo;
}
