/**
 * Streams an ONNX ModelProto to disk one initializer at a time.
 *
 * Why not `ModelProto.encode(model).finish()`: that needs every weight in memory plus a second
 * copy for the encoded buffer (~2 GB for the full model). Protobuf lets a message's fields come in
 * any order and repeated fields be written one by one, so the file is laid out as
 *   [ModelProto fields except graph] [graph tag + length] [GraphProto without initializers]
 *   then per initializer: [initializer tag + length] [TensorProto without raw_data] [raw_data tag + length] [bytes]
 * Every length is known from the dims before any weight is generated; only one tensor's bytes
 * exist at a time. All encoding goes through onnx-proto (protobufjs); nothing is hand-encoded.
 */
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import type { LazyInitializer, WritableGraph } from './graph-builder.js';
import { BYTES_PER_ELEMENT, onnx } from './onnx-proto.js';

/** Protobuf's hard limit for one serialized message (ONNX files without external data). */
export const PROTOBUF_MAX_BYTES = 2 ** 31 - 1;

// Field numbers (onnx.proto3) with wire type 2 (length-delimited).
const MODEL_GRAPH_TAG = (7 << 3) | 2;
const GRAPH_INITIALIZER_TAG = (5 << 3) | 2;
const TENSOR_RAW_DATA_TAG = (9 << 3) | 2;
const FLUSH_BYTES = 1 << 22;

export interface ModelHeader {
  readonly irVersion: number;
  readonly opsetVersion: number;
  readonly producerName: string;
  readonly producerVersion: string;
  readonly docString: string;
  readonly metadata: readonly (readonly [key: string, value: string])[];
}

export interface WrittenModel {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** A tag + varint length, encoded by protobufjs's Writer (taken from an empty onnx-proto encode). */
function lengthPrefix(tag: number, length: number): Uint8Array {
  return onnx.OperatorSetIdProto.encode({}).uint32(tag).uint32(length).finish();
}

interface InitializerPlan {
  readonly init: LazyInitializer;
  readonly entryPrefix: Uint8Array;
  readonly tensorFields: Uint8Array;
  readonly rawPrefix: Uint8Array;
  readonly rawBytes: number;
}

function planInitializer(init: LazyInitializer): InitializerPlan {
  const tensorFields = onnx.TensorProto.encode({ dims: [...init.dims], dataType: init.dataType, name: init.name }).finish();
  const rawBytes = init.elementCount * BYTES_PER_ELEMENT[init.dataType];
  const rawPrefix = lengthPrefix(TENSOR_RAW_DATA_TAG, rawBytes);
  const entryPrefix = lengthPrefix(GRAPH_INITIALIZER_TAG, tensorFields.length + rawPrefix.length + rawBytes);
  return { init, entryPrefix, tensorFields, rawPrefix, rawBytes };
}

function planBytes(plan: InitializerPlan): number {
  return plan.entryPrefix.length + plan.tensorFields.length + plan.rawPrefix.length + plan.rawBytes;
}

/** Writes `graph` with `header` to `path` (via a temporary file renamed at the end). */
export async function writeOnnxModel(path: string, header: ModelHeader, graph: WritableGraph): Promise<WrittenModel> {
  if (endianness() !== 'LE') throw new Error('raw tensor data is written from little-endian memory');
  const headerBytes = onnx.ModelProto.encode({
    irVersion: header.irVersion,
    producerName: header.producerName,
    producerVersion: header.producerVersion,
    docString: header.docString,
    opsetImport: [{ domain: '', version: header.opsetVersion }],
    metadataProps: header.metadata.map(([key, value]) => ({ key, value })),
  }).finish();
  const graphFields = onnx.GraphProto.encode(graph.toGraphProtoWithoutInitializers()).finish();
  const plans = graph.initializers.map(planInitializer);
  const graphBytes = graphFields.length + plans.reduce((sum, plan) => sum + planBytes(plan), 0);
  const graphPrefix = lengthPrefix(MODEL_GRAPH_TAG, graphBytes);
  const totalBytes = headerBytes.length + graphPrefix.length + graphBytes;
  if (totalBytes > PROTOBUF_MAX_BYTES) {
    throw new Error(`model would be ${totalBytes} bytes, over protobuf's 2 GB message limit`);
  }

  const tempPath = `${path}.partial-${process.pid}`;
  const file = await open(tempPath, 'w');
  const hash = createHash('sha256');
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let written = 0;
  const writeAll = async (bytes: Uint8Array): Promise<void> => {
    for (let offset = 0; offset < bytes.length; ) {
      const { bytesWritten } = await file.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
    }
  };
  const flush = async (): Promise<void> => {
    if (pendingBytes === 0) return;
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    await writeAll(chunk);
  };
  const emit = async (bytes: Uint8Array): Promise<void> => {
    hash.update(bytes);
    written += bytes.length;
    if (bytes.length >= FLUSH_BYTES) {
      await flush();
      await writeAll(bytes);
      return;
    }
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= FLUSH_BYTES) await flush();
  };
  try {
    await emit(headerBytes);
    await emit(graphPrefix);
    await emit(graphFields);
    for (const plan of plans) {
      await emit(plan.entryPrefix);
      await emit(plan.tensorFields);
      await emit(plan.rawPrefix);
      await emit(plan.init.rawData());
    }
    await flush();
    await file.close();
  } catch (error) {
    await file.close().catch(() => undefined);
    await rm(tempPath, { force: true });
    throw error;
  }
  if (written !== totalBytes) throw new Error(`wrote ${written} bytes, planned ${totalBytes}`);
  await rename(tempPath, path);
  return { path, bytes: written, sha256: hash.digest('hex') };
}
