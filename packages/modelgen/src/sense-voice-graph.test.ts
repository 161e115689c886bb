import { describe, expect, it } from 'vitest';
import { countParameters, FULL_SIZE, TINY_SIZE } from './model-size.js';
import { onnx } from './onnx-proto.js';
import { buildSenseVoiceGraph, INPUT_NAMES, OUTPUT_NAME } from './sense-voice-graph.js';

/** Counts initializer elements and node op types of a built (never written) graph. */
function summarize(size: typeof FULL_SIZE, weightFormat: 'fp32' | 'int8' = 'fp32') {
  const graph = buildSenseVoiceGraph({ size, seed: 1, weightFormat });
  const proto = graph.toGraphProtoWithoutInitializers();
  const ops = new Map<string, number>();
  for (const node of proto.node ?? []) ops.set(node.opType ?? '', (ops.get(node.opType ?? '') ?? 0) + 1);
  const elements = graph.initializers.reduce((sum, init) => sum + init.dims.reduce((p, d) => p * d, 1), 0);
  return { graph, proto, ops, elements };
}

describe('buildSenseVoiceGraph', () => {
  it('full size has exactly 233,999,167 parameters (initializer elements)', () => {
    const { elements, graph } = summarize(FULL_SIZE);
    expect(elements).toBe(233_999_167);
    expect(graph.parameterCount()).toBe(233_999_167);
    expect(countParameters(FULL_SIZE)).toBe(233_999_167);
  });

  it('full size has 70 SAN-M layers: one FSMN conv and 4 weight MatMuls each, plus ctc_lo', () => {
    const { ops, graph } = summarize(FULL_SIZE);
    expect(ops.get('Conv')).toBe(70);
    expect(ops.get('Softmax')).toBe(70);
    // 4 linears per layer + ctc_lo, and 2 attention MatMuls per layer.
    expect(ops.get('MatMul')).toBe(70 * 4 + 1 + 70 * 2);
    expect(ops.has('LayerNormalization')).toBe(false);
    const names = graph.initializers.map((init) => init.name);
    expect(names).toContain('encoder.encoders0.0.self_attn.fsmn_block.weight');
    expect(names).toContain('encoder.encoders.48.feed_forward.w_2.weight');
    expect(names).toContain('encoder.tp_encoders.19.norm2.bias');
    expect(names).not.toContain('encoder.encoders.49.norm1.weight');
    const ctc = graph.initializers.find((init) => init.name === 'ctc.ctc_lo.weight');
    expect(ctc?.dims).toEqual([512, 25055]);
  });

  it('declares the sherpa-onnx I/O contract with dynamic N and T', () => {
    const { proto } = summarize(TINY_SIZE);
    expect(proto.input?.map((v) => v.name)).toEqual([...INPUT_NAMES]);
    expect(proto.output?.map((v) => v.name)).toEqual([OUTPUT_NAME]);
    const dims = (i: number) => proto.input?.[i]?.type?.tensorType?.shape?.dim?.map((d) => d.dimParam || Number(d.dimValue));
    expect(dims(0)).toEqual(['N', 'T', 560]);
    expect(proto.input?.map((v) => v.type?.tensorType?.elemType)).toEqual([
      onnx.TensorProto.DataType.FLOAT,
      onnx.TensorProto.DataType.INT32,
      onnx.TensorProto.DataType.INT32,
      onnx.TensorProto.DataType.INT32,
    ]);
    expect(proto.output?.[0]?.type?.tensorType?.shape?.dim?.[2]?.dimValue).toBe(25055);
  });

  it('tiny size matches its closed-form count and stays a few MB', () => {
    const { elements } = summarize(TINY_SIZE);
    expect(elements).toBe(countParameters(TINY_SIZE));
    expect(elements * 4).toBeLessThan(10e6);
  });

  it('int8 replaces every weight MatMul by DynamicQuantizeLinear + MatMulInteger and keeps attention in fp32', () => {
    const { ops, graph } = summarize(TINY_SIZE, 'int8');
    const linears = 3 * 4 + 1;
    expect(ops.get('MatMulInteger')).toBe(linears);
    expect(ops.get('DynamicQuantizeLinear')).toBe(linears);
    expect(ops.get('MatMul')).toBe(3 * 2);
    const quantized = graph.initializers.filter((init) => init.name.endsWith('.weight_quantized'));
    expect(quantized).toHaveLength(linears);
    expect(quantized.every((init) => init.dataType === onnx.TensorProto.DataType.UINT8)).toBe(true);
  });
});
