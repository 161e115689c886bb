/**
 * One SAN-M encoder layer of SenseVoiceEncoderSmall (FunASR EncoderLayerSANM, normalize_before):
 *   h = LN1(x); q,k,v = split(Linear(in→3d)(h))
 *   fsmn = (DepthwiseConv1d_k(v·m) + v·m)·m            (zero pad (k−1)/2 both sides, no bias)
 *   att = Linear_out(softmax(q·kᵀ/√dk, padded keys → −inf) → 0 on padded keys, ·v) + fsmn
 *   x = (residual ? x : 0) + att;  x = x + W2(ReLU(W1(LN2(x))))
 * Every op is per frame except the FSMN conv (which only sees masked v) and attention (whose padded
 * keys get weight exactly 0), so padded frames never change valid ones.
 */
import type { SenseVoiceSize } from './model-size.js';
import { layerNorm, linear, normalWeight, type LayerContext } from './graph-layers.js';

export interface SequenceMasks {
  /** [N, T, 1] float32: 1 on valid frames, 0 on padding. */
  readonly validFrames: string;
  /** [N, 1, 1, T] bool: true on padded key positions. */
  readonly paddedKeys: string;
}

export interface SanmLayerOptions {
  /** Initializer prefix, e.g. `encoder.encoders.3`. */
  readonly name: string;
  /** Input width: 560 for encoders0, modelDim otherwise. */
  readonly inDim: number;
  /** false for encoders0, whose input width differs from its output width. */
  readonly residual: boolean;
  /** Std multiplier of the residual-branch outputs (linear_out, FFN w_2): 1/√(2·layers). */
  readonly residualBranchScale: number;
}

/** [N, T, inDim] → [N, T, modelDim]. */
export function sanmLayer(ctx: LayerContext, x: string, masks: SequenceMasks, size: SenseVoiceSize, options: SanmLayerOptions): string {
  const { b } = ctx;
  const { name, inDim } = options;
  const d = size.modelDim;
  const heads = size.attentionHeads;
  const headDim = d / heads;
  const kernel = size.fsmnKernelSize;
  const previousScope = b.scope;

  b.scope = `${name}.self_attn`;
  const normed = layerNorm(ctx, x, `${name}.norm1`, inDim);
  const qkv = linear(ctx, normed, `${name}.self_attn.linear_q_k_v`, inDim, 3 * d);
  const [q, k, v] = b.node('Split', [qkv, b.constInt64([d, d, d])], { axis: 2 }, 3) as [string, string, string];

  // FSMN memory over time on masked v: [N,T,d] → [N,d,T] → pad → depthwise conv → [N,T,d].
  const maskedV = b.op('Mul', [v, masks.validFrames]);
  const channelsFirst = b.op('Transpose', [maskedV], { perm: [0, 2, 1] });
  const halfKernel = (kernel - 1) / 2;
  const padded = b.op('Pad', [channelsFirst, b.constInt64([0, 0, halfKernel, 0, 0, halfKernel])], { mode: 'constant' });
  const fsmnWeight = normalWeight(ctx, `${name}.self_attn.fsmn_block.weight`, [d, 1, kernel], 1 / Math.sqrt(kernel));
  const conv = b.op('Conv', [padded, fsmnWeight], {
    group: d,
    kernel_shape: [kernel],
    pads: [0, 0],
    strides: [1],
    dilations: [1],
  });
  const convTimeFirst = b.op('Transpose', [conv], { perm: [0, 2, 1] });
  const fsmn = b.op('Mul', [b.op('Add', [convTimeFirst, maskedV]), masks.validFrames]);

  // Multi-head attention: [N,T,d] → [N,h,T,dk].
  const splitHeads = b.constInt64([0, 0, heads, headDim]);
  const qHeads = b.op('Transpose', [b.op('Reshape', [q, splitHeads])], { perm: [0, 2, 1, 3] });
  const kHeadsT = b.op('Transpose', [b.op('Reshape', [k, splitHeads])], { perm: [0, 2, 3, 1] });
  const vHeads = b.op('Transpose', [b.op('Reshape', [v, splitHeads])], { perm: [0, 2, 1, 3] });
  const scaledQ = b.op('Mul', [qHeads, b.constFloat([headDim ** -0.5], [])]);
  const scores = b.op('MatMul', [scaledQ, kHeadsT]);
  const maskedScores = b.op('Where', [masks.paddedKeys, b.constFloat([-Infinity], []), scores]);
  const weights = b.op('Softmax', [maskedScores], { axis: -1 });
  const maskedWeights = b.op('Where', [masks.paddedKeys, b.constFloat([0], []), weights]);
  const context = b.op('MatMul', [maskedWeights, vHeads]);
  const merged = b.op('Reshape', [b.op('Transpose', [context], { perm: [0, 2, 1, 3] }), b.constInt64([0, 0, d])]);
  const attended = linear(ctx, merged, `${name}.self_attn.linear_out`, d, d, options.residualBranchScale);
  const attentionOut = b.op('Add', [attended, fsmn]);
  const afterAttention = options.residual ? b.op('Add', [x, attentionOut]) : attentionOut;

  b.scope = `${name}.feed_forward`;
  const normed2 = layerNorm(ctx, afterAttention, `${name}.norm2`, d);
  const hidden = b.op('Relu', [linear(ctx, normed2, `${name}.feed_forward.w_1`, d, size.ffnDim)]);
  const ffnOut = linear(ctx, hidden, `${name}.feed_forward.w_2`, size.ffnDim, d, options.residualBranchScale);
  const output = b.op('Add', [afterAttention, ffnOut]);
  b.scope = previousScope;
  return output;
}
