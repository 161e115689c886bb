import onnxProtoModule from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { allocateModelBuffer, appendDecodeGraph, encodeTail, firstGraphOutput, IDS_OUTPUT, QUERY_LOG_PROBS_OUTPUT } from './decode-graph.js';

const { onnx } = onnxProtoModule;

/** A ModelProto with a graph of one Identity node and outputs `logits`, `lens`, plus metadata after the graph. */
function smallModel(): Uint8Array {
  return onnx.ModelProto.encode({
    irVersion: 7,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'g',
      node: [{ opType: 'Identity', input: ['x'], output: ['logits'], name: 'id' }],
      input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
      output: [
        { name: 'logits', type: { tensorType: { elemType: 1 } } },
        { name: 'lens', type: { tensorType: { elemType: 6 } } },
      ],
    },
    metadataProps: [{ key: 'vocab_size', value: '25055' }],
  }).finish();
}

describe('decode graph', () => {
  it('finds the first graph output', () => {
    expect(firstGraphOutput(smallModel(), 'm')).toBe('logits');
  });

  // protobufjs replaces a repeated singular message field where C++ protobuf (onnxruntime) merges it,
  // so the tail is decoded on its own here; test/decode-graph.test.ts runs the merged graph.
  it('appends, after the untouched model bytes, a graph of the decode nodes and outputs', () => {
    const bytes = smallModel();
    const buf = allocateModelBuffer(bytes.length);
    buf.set(bytes);
    const edited = appendDecodeGraph(buf, bytes.length, [24884, 25009], 'm');
    expect(edited.buffer).toBe(buf.buffer); // the tail fits: no copy of the model
    expect(Buffer.from(edited.subarray(0, bytes.length)).equals(Buffer.from(bytes))).toBe(true);
    const tail = onnx.ModelProto.decode(edited.subarray(bytes.length));
    const graph = onnx.GraphProto.create(tail.graph!);
    expect(graph.node.map((n) => n.opType)).toEqual([
      'Constant', 'TopK', 'Cast', 'Constant', 'Constant', 'Constant', 'Constant', 'Slice', 'Gather', 'LogSoftmax',
    ]);
    expect(graph.output.map((o) => o.name)).toEqual([IDS_OUTPUT, QUERY_LOG_PROBS_OUTPUT]);
    const topK = graph.node.find((n) => n.opType === 'TopK')!;
    expect(topK.input![0]).toBe('logits');
    expect(Number(topK.attribute![0]!.i)).toBe(-1);
    expect(graph.node.find((n) => n.opType === 'Slice')!.input![0]).toBe('logits');
    const raw = graph.node.find((n) => n.name === 'earshot_decode_tag_ids')!.attribute![0]!.t!.rawData!;
    const tagIds = new BigInt64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    expect(Array.from(tagIds, Number)).toEqual([24884, 25009]);
  });

  it('leaves out the log-softmax without tag ids', () => {
    const graph = onnx.GraphProto.create(onnx.ModelProto.decode(encodeTail('logits', [])).graph!);
    expect(graph.output.map((o) => o.name)).toEqual([IDS_OUTPUT]);
    expect(graph.node.map((n) => n.opType)).toEqual(['Constant', 'TopK', 'Cast']);
  });

  it('refuses bytes that are not a model with a graph output', () => {
    expect(() => firstGraphOutput(Buffer.from('this is not protobuf at all'), 'junk')).toThrow(AppError);
    expect(() => firstGraphOutput(new Uint8Array(0), 'empty')).toThrow(/no graph output/);
  });
});
