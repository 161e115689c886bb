/**
 * Building blocks shared by all layers: seeded weights, Linear (fp32 or dynamic-int8) and the
 * decomposed LayerNorm that a torch export at opset 13 produces.
 */
import { bytesOf, type GraphBuilder } from './graph-builder.js';
import { DataType } from './onnx-proto.js';
import { fillNormal } from './prng.js';
import { quantizeUint8PerTensor, type QuantizedUint8 } from './quantize-uint8.js';

/**
 * `fp32`: MatMul + Add. `int8`: sherpa-onnx's export (onnxruntime `quantize_dynamic`, MatMul only,
 * QUInt8 per tensor): DynamicQuantizeLinear → MatMulInteger → Cast → Mul(x_scale·w_scale) → Add bias.
 */
export type WeightFormat = 'fp32' | 'int8';

export interface LayerContext {
  readonly b: GraphBuilder;
  readonly seed: number;
  readonly weightFormat: WeightFormat;
}

/** Std of every bias; small but non-zero so the Add paths are exercised. */
export const BIAS_STD = 0.02;
/** nn.LayerNorm's default epsilon. */
export const LAYER_NORM_EPS = 1e-5;

/** A float initializer of N(0, std²) values from the stream named after the tensor. */
export function normalWeight(ctx: LayerContext, name: string, dims: readonly number[], std: number): string {
  return ctx.b.floatInitializer(name, dims, (out) => fillNormal(out, ctx.seed, name, std));
}

/** A float initializer filled with one value (LayerNorm γ = 1, β = 0). */
export function constantWeight(ctx: LayerContext, name: string, dims: readonly number[], value: number): string {
  return ctx.b.floatInitializer(name, dims, (out) => out.fill(value));
}

/**
 * Linear layer `name` (weight stored [inDim, outDim] for MatMul, as torch exports it):
 * (…, inDim) → (…, outDim). Weights ~ N(0, (stdScale²)/inDim), bias ~ N(0, BIAS_STD²).
 */
export function linear(ctx: LayerContext, x: string, name: string, inDim: number, outDim: number, stdScale = 1): string {
  const { b } = ctx;
  const std = stdScale / Math.sqrt(inDim);
  const weightStream = `${name}.weight`;
  const generateWeight = (): Float32Array => fillNormal(new Float32Array(inDim * outDim), ctx.seed, weightStream, std);
  const bias = (): string => normalWeight(ctx, `${name}.bias`, [outDim], BIAS_STD);
  if (ctx.weightFormat === 'fp32') {
    const weight = b.floatInitializer(weightStream, [inDim, outDim], (out) => fillNormal(out, ctx.seed, weightStream, std));
    return b.op('Add', [b.op('MatMul', [x, weight]), bias()]);
  }
  // The three quantized initializers are written consecutively; share one quantization between them.
  let cached: QuantizedUint8 | undefined;
  let reads = 0;
  const quantized = (): QuantizedUint8 => {
    const q = cached ?? quantizeUint8PerTensor(generateWeight());
    reads = (reads + 1) % 3;
    cached = reads === 0 ? undefined : q;
    return q;
  };
  const weight = b.initializer(`${weightStream}_quantized`, [inDim, outDim], DataType.UINT8, () => quantized().data);
  const weightScaleInit = b.initializer(`${weightStream}_scale`, [], DataType.FLOAT, () =>
    bytesOf(Float32Array.of(quantized().scale)),
  );
  const weightZeroPoint = b.initializer(`${weightStream}_zero_point`, [], DataType.UINT8, () =>
    Uint8Array.of(quantized().zeroPoint),
  );
  const [xq, xScale, xZeroPoint] = b.node('DynamicQuantizeLinear', [x], {}, 3) as [string, string, string];
  const product = b.op('MatMulInteger', [xq, weight, xZeroPoint, weightZeroPoint]);
  const productFloat = b.op('Cast', [product], { to: DataType.FLOAT });
  const scale = b.op('Mul', [xScale, weightScaleInit]);
  return b.op('Add', [b.op('Mul', [productFloat, scale]), bias()]);
}

/**
 * LayerNorm over the last axis, decomposed (opset 13 has no LayerNormalization; onnxruntime fuses
 * this pattern back): (…, dim) → (…, dim). γ = 1, β = 0, eps 1e-5.
 */
export function layerNorm(ctx: LayerContext, x: string, name: string, dim: number): string {
  const { b } = ctx;
  const gamma = constantWeight(ctx, `${name}.weight`, [dim], 1);
  const beta = constantWeight(ctx, `${name}.bias`, [dim], 0);
  const mean = b.op('ReduceMean', [x], { axes: [-1], keepdims: 1 });
  const centered = b.op('Sub', [x, mean]);
  const variance = b.op('ReduceMean', [b.op('Pow', [centered, b.constFloat([2], [])])], { axes: [-1], keepdims: 1 });
  const std = b.op('Sqrt', [b.op('Add', [variance, b.constFloat([LAYER_NORM_EPS], [])])]);
  return b.op('Add', [b.op('Mul', [b.op('Div', [centered, std]), gamma]), beta]);
}
