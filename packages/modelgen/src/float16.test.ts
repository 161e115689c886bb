import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float16Bits, toFloat16Graph } from './float16.js';
import { generateModel } from './generate.js';
import { GraphBuilder } from './graph-builder.js';
import { DataType } from './onnx-proto.js';

describe('float16Bits', () => {
  it('encodes normal, subnormal, overflowing and special values, rounding to nearest even', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(0.1)).toBe(0x2e66);
    expect(float16Bits(65504)).toBe(0x7bff); // largest finite
    expect(float16Bits(65520)).toBe(0x7c00); // rounds up to +Inf
    expect(float16Bits(1e-5)).toBe(0x00a8); // subnormal: 1e-5 / 2^-24 = 167.8 → 168
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(2 ** -26)).toBe(0x0000);
    expect(float16Bits(-0)).toBe(0x8000);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(float16Bits(2047.5 * 2 ** -10 * 2 ** 5)).toBe(0x5400); // 63.98 (a tie) → 64: the carry moves into the exponent
    expect(float16Bits(-Infinity)).toBe(0xfc00);
    expect(float16Bits(Number.NaN) & 0x7e00).toBe(0x7e00);
  });
});

describe('toFloat16Graph', () => {
  it('keeps float inputs and outputs, stores float weights and constants as float16, computes Range in float32', () => {
    const b = new GraphBuilder('g');
    const x = b.input('x', DataType.FLOAT, ['N', 4]);
    const w = b.floatInitializer('w', [4, 4], (out) => out.fill(0.5));
    const range = b.op('Range', [b.constFloat([0], []), b.constFloat([4], []), b.constFloat([1], [])]);
    const y = b.op('Add', [b.op('MatMul', [x, w]), range]);
    b.nodeWithOutputs('Identity', [y], ['y']);
    b.output('y', DataType.FLOAT, ['N', 4]);

    const g = toFloat16Graph(b);
    const proto = g.toGraphProtoWithoutInitializers();
    const nodes = proto.node ?? [];
    expect(proto.input?.[0]?.type?.tensorType?.elemType).toBe(DataType.FLOAT);
    expect(proto.output?.[0]?.type?.tensorType?.elemType).toBe(DataType.FLOAT);
    expect(nodes[0]).toMatchObject({ opType: 'Cast', input: ['x'], output: ['x_fp16'] });
    expect(nodes.at(-1)).toMatchObject({ opType: 'Cast', input: ['y_fp16'], output: ['y'] });
    expect(g.initializers[0]?.dataType).toBe(DataType.FLOAT16);
    expect(Array.from(new Uint16Array(g.initializers[0]!.rawData().slice().buffer))).toEqual(new Array(16).fill(0x3800));
    const rangeAt = nodes.findIndex((n) => n.opType === 'Range');
    expect(nodes.slice(rangeAt - 3, rangeAt).every((n) => n.opType === 'Cast')).toBe(true);
    expect(nodes[rangeAt + 1]).toMatchObject({ opType: 'Cast', input: [`${nodes[rangeAt]!.output![0]}`] });
    for (const n of nodes.filter((c) => c.opType === 'Constant')) expect(n.attribute?.[0]?.t?.dataType).toBe(DataType.FLOAT16);
  });
});

describe('generated fp16 model', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'earshot-fp16-'));
    await generateModel({ size: 'tiny', seed: 1, outDir: dir, fp16: true });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('takes and returns float32, and its argmax agrees with the fp32 model on random features', async () => {
    const [fp32, fp16] = await Promise.all(
      ['model.onnx', 'model.fp16.onnx'].map((f) => ort.InferenceSession.create(join(dir, f), { executionProviders: ['cpu'] })),
    );
    const t = 50;
    const x = Float32Array.from({ length: t * 560 }, (_, i) => Math.sin(i * 0.37) * 1.5);
    const feeds = (s: ort.InferenceSession): Record<string, ort.Tensor> => ({
      [s.inputNames[0]!]: new ort.Tensor('float32', x, [1, t, 560]),
      [s.inputNames[1]!]: new ort.Tensor('int32', Int32Array.of(t), [1]),
      [s.inputNames[2]!]: new ort.Tensor('int32', Int32Array.of(0), [1]),
      [s.inputNames[3]!]: new ort.Tensor('int32', Int32Array.of(15), [1]),
    });
    const [a, b] = [(await fp32!.run(feeds(fp32!))).logits!, (await fp16!.run(feeds(fp16!))).logits!];
    expect(b.type).toBe('float32');
    expect(b.dims).toEqual(a.dims);
    const vocab = a.dims[2]!;
    const argmax = (d: Float32Array, f: number): number => {
      let best = 0;
      for (let v = 1; v < vocab; v++) if (d[f * vocab + v]! > d[f * vocab + best]!) best = v;
      return best;
    };
    let same = 0;
    for (let f = 0; f < t + 4; f++) if (argmax(a.data as Float32Array, f) === argmax(b.data as Float32Array, f)) same++;
    // float16 rounding flips near-ties only; random weights give few of those
    expect(same).toBeGreaterThanOrEqual(Math.floor(0.95 * (t + 4)));
    await Promise.all([fp32!.release(), fp16!.release()]);
  });
});
