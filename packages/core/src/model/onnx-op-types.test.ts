import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProtoModule from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { isInt8Model, readOnnxOpTypes } from './onnx-op-types.js';

const { onnx } = onnxProtoModule;
const dir = mkdtempSync(join(tmpdir(), 'earshot-ops-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A model file whose graph has these ops, a weight between the nodes and metadata after the graph. */
function modelWith(ops: string[]): string {
  const bytes = onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: ops.map((opType, i) => ({ opType, name: `n${i}`, input: [`v${i}`], output: [`v${i + 1}`] })),
      initializer: [{ name: 'w', dims: [4], dataType: 1, rawData: new Uint8Array(16) }],
      output: [{ name: `v${ops.length}` }],
    },
    metadataProps: [{ key: 'k', value: 'v' }],
  }).finish();
  const path = join(dir, `${ops.join('-') || 'empty'}.onnx`);
  writeFileSync(path, bytes);
  return path;
}

describe('readOnnxOpTypes', () => {
  it('lists the graph operators and tells int8 models apart', async () => {
    const fp32 = modelWith(['MatMul', 'Add', 'Softmax']);
    const int8 = modelWith(['DynamicQuantizeLinear', 'MatMulInteger', 'Cast', 'Mul']);
    expect([...(await readOnnxOpTypes(fp32))].sort()).toEqual(['Add', 'MatMul', 'Softmax']);
    expect(await isInt8Model(fp32)).toBe(false);
    expect(await isInt8Model(int8)).toBe(true);
  });

  it('reports a truncated file as MODEL_INVALID and a missing one as MODEL_NOT_FOUND', async () => {
    const whole = modelWith(['Relu']);
    const cut = join(dir, 'cut.onnx');
    writeFileSync(cut, readFileSync(whole).subarray(0, 20));
    await expect(readOnnxOpTypes(cut)).rejects.toMatchObject({ code: 'MODEL_INVALID' });
    await expect(readOnnxOpTypes(join(dir, 'nope.onnx'))).rejects.toBeInstanceOf(AppError);
    await expect(readOnnxOpTypes(join(dir, 'nope.onnx'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });
});
