import type { FileHandle } from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';
import { openModelFile, readVarint, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf-wire.js';

/**
 * The operator types of an ONNX file's graph, read without loading its weights: the walk visits
 * ModelProto.graph (field 7) and, inside it, reads only the nodes (GraphProto field 1); the
 * initializers (field 5, the weights) are skipped by their length prefix. A few thousand small
 * reads for the full-size model.
 */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const NODE_OP_TYPE = 4;

/** Operators of dynamically quantized (int8) models, which no GPU provider implements. */
export const INT8_OPERATORS: ReadonlySet<string> = new Set([
  'DynamicQuantizeLinear',
  'MatMulInteger',
  'ConvInteger',
  'QLinearMatMul',
  'QLinearConv',
  'DynamicQuantizeMatMul',
  'MatMulIntegerToFloat',
]);

export async function readOnnxOpTypes(path: string): Promise<Set<string>> {
  const handle = await openModelFile(path);
  try {
    const { size } = await handle.stat();
    const ops = new Set<string>();
    for await (const top of fileFields(handle, 0, size, path)) {
      if (top.field !== MODEL_GRAPH || top.wire !== WIRE_LEN) continue;
      for await (const g of fileFields(handle, top.start, top.end, path)) {
        if (g.field !== GRAPH_NODE || g.wire !== WIRE_LEN) continue;
        const node = Buffer.alloc(g.end - g.start);
        await handle.read(node, 0, node.length, g.start);
        const op = opType(node, path);
        if (op) ops.add(op);
      }
    }
    return ops;
  } finally {
    await handle.close();
  }
}

/** True when the model holds int8 (dynamic quantization) operators. */
export async function isInt8Model(path: string): Promise<boolean> {
  const ops = await readOnnxOpTypes(path);
  return [...ops].some((op) => INT8_OPERATORS.has(op));
}

interface FileField {
  field: number;
  wire: number;
  /** Payload range in the file (length-delimited fields only; empty otherwise). */
  start: number;
  end: number;
}

async function* fileFields(handle: FileHandle, from: number, to: number, path: string): AsyncGenerator<FileField> {
  const head = Buffer.alloc(20);
  let pos = from;
  while (pos < to) {
    const { bytesRead } = await handle.read(head, 0, Math.min(head.length, to - pos), pos);
    const tag = varint(head, 0, bytesRead, path);
    const field = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    if (wire === WIRE_VARINT) {
      pos += varint(head, tag.next, bytesRead, path).next;
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      pos += tag.next + (wire === WIRE_I64 ? 8 : 4);
    } else if (wire === WIRE_LEN) {
      const len = varint(head, tag.next, bytesRead, path);
      const start = pos + len.next;
      const end = start + Number(len.value);
      if (end > to) throw corrupt(path, 'a field runs past its message');
      yield { field, wire, start, end };
      pos = end;
    } else {
      throw corrupt(path, `unexpected wire type ${wire}`);
    }
  }
}

/** NodeProto.op_type, or null when absent. */
function opType(node: Buffer, path: string): string | null {
  let pos = 0;
  let found: string | null = null;
  while (pos < node.length) {
    const tag = varint(node, pos, node.length, path);
    const field = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    pos = tag.next;
    if (wire === WIRE_VARINT) pos = varint(node, pos, node.length, path).next;
    else if (wire === WIRE_I64 || wire === WIRE_I32) pos += wire === WIRE_I64 ? 8 : 4;
    else if (wire === WIRE_LEN) {
      const len = varint(node, pos, node.length, path);
      const end = len.next + Number(len.value);
      if (end > node.length) throw corrupt(path, 'a node field runs past its node');
      if (field === NODE_OP_TYPE) found = node.toString('utf8', len.next, end);
      pos = end;
    } else throw corrupt(path, `unexpected wire type ${wire}`);
  }
  return found;
}

function varint(buf: Uint8Array, start: number, end: number, path: string): { value: bigint; next: number } {
  const v = readVarint(buf, start, end);
  if (!v) throw corrupt(path, 'truncated varint');
  return v;
}

function corrupt(path: string, why: string): AppError {
  return new AppError('MODEL_INVALID', `${path} is not a valid ONNX model: ${why}`);
}
