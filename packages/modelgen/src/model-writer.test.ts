import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesOf, GraphBuilder } from './graph-builder.js';
import { writeOnnxModel, type ModelHeader } from './model-writer.js';
import { DataType, onnx } from './onnx-proto.js';

const header: ModelHeader = {
  irVersion: 7,
  opsetVersion: 13,
  producerName: 'test',
  producerVersion: '0',
  docString: 'y = x·W + b',
  metadata: [['answer', '42']],
};

/** y = MatMul(x, W) + b with x [N, 3], W [3, 2], b [2]. */
function affineGraph(): GraphBuilder {
  const b = new GraphBuilder('affine');
  const x = b.input('x', DataType.FLOAT, ['N', 3]);
  const w = b.floatInitializer('w', [3, 2], (out) => out.set([1, 2, 3, 4, 5, 6]));
  const bias = b.floatInitializer('b', [2], (out) => out.set([0.5, -0.5]));
  b.nodeWithOutputs('Add', [b.op('MatMul', [x, w]), bias], ['y']);
  b.output('y', DataType.FLOAT, ['N', 2]);
  return b;
}

describe('writeOnnxModel', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'modelgen-writer-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('streams a file that protobuf decodes to the graph, initializers and metadata', async () => {
    const path = join(dir, 'affine.onnx');
    const written = await writeOnnxModel(path, header, affineGraph());
    const bytes = await readFile(path);
    expect(written.bytes).toBe(bytes.length);
    const model = onnx.ModelProto.decode(bytes);
    expect(model.metadataProps.map((p) => [p.key, p.value])).toEqual([['answer', '42']]);
    expect(Number(model.opsetImport[0]?.version)).toBe(13);
    const graph = onnx.GraphProto.fromObject(model.graph ?? {});
    expect(graph.node.map((n) => n.opType)).toEqual(['MatMul', 'Add']);
    expect(graph.initializer.map((t) => t.name)).toEqual(['w', 'b']);
    const w = graph.initializer[0];
    expect(w?.dims?.map(Number)).toEqual([3, 2]);
    expect(Buffer.from(w?.rawData ?? [])).toEqual(Buffer.from(bytesOf(Float32Array.of(1, 2, 3, 4, 5, 6))));
  });

  it('produces a model onnxruntime runs with the written weights', async () => {
    const path = join(dir, 'affine-run.onnx');
    await writeOnnxModel(path, header, affineGraph());
    const session = await ort.InferenceSession.create(path);
    const { y } = await session.run({ x: new ort.Tensor('float32', Float32Array.of(1, 0, 0, 0, 1, 1), [2, 3]) });
    expect(y?.dims).toEqual([2, 2]);
    expect([...(y?.data as Float32Array)]).toEqual([1.5, 1.5, 8.5, 9.5]);
  });

  it('rejects an initializer whose bytes do not match its dims, leaving no file behind', async () => {
    const b = new GraphBuilder('bad');
    b.input('x', DataType.FLOAT, [1]);
    b.initializer('w', [4], DataType.FLOAT, () => new Uint8Array(3));
    const path = join(dir, 'bad.onnx');
    await expect(writeOnnxModel(path, header, b)).rejects.toThrow(/3 bytes, expected 16/);
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
  });
});
