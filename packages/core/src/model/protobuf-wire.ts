/**
 * The few pieces of the protobuf wire format that reading and editing an ONNX ModelProto by hand
 * needs (onnx-metadata.ts reads metadata lazily from the file, decode-graph.ts finds the logits
 * output and appends nodes): wire types and the base-128 varint.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { AppError } from '../errors/app-error.js';

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** The varint at `start` (read no further than `end`), or null when it is truncated. */
export function readVarint(buf: Uint8Array, start: number, end: number): { value: bigint; next: number } | null {
  let value = 0n;
  let shift = 0n;
  for (let i = start; i < end && i < start + 10; i++) {
    const byte = buf[i]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
    shift += 7n;
  }
  return null;
}

/** Opens a model file for reading; a missing or unreadable one is MODEL_NOT_FOUND. */
export async function openModelFile(path: string): Promise<FileHandle> {
  try {
    return await open(path, 'r');
  } catch (err) {
    throw new AppError('MODEL_NOT_FOUND', `cannot open model file ${path}`, { cause: err });
  }
}
