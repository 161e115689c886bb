import { AppError } from '../errors/app-error.js';
import { openModelFile, readVarint as readVarintOrNull, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf-wire.js';

/**
 * Reads `metadata_props` of an ONNX file without loading the graph.
 *
 * onnxruntime-node exposes no custom metadata, and decoding a 1 GB ModelProto
 * with protobufjs would need the whole file in memory twice. ModelProto keeps
 * metadata_props (field 14) at top level, so we walk the top-level fields and
 * skip the graph (field 7) by its length prefix: a few small reads.
 * Own code, because no maintained package reads protobuf fields lazily from a file.
 */
const METADATA_PROPS_FIELD = 14;

export async function readOnnxMetadata(path: string): Promise<Record<string, string>> {
  const handle = await openModelFile(path);
  try {
    const { size } = await handle.stat();
    const props: Record<string, string> = {};
    let pos = 0;
    const head = Buffer.alloc(20);
    while (pos < size) {
      const { bytesRead } = await handle.read(head, 0, head.length, pos);
      const tag = readVarint(head, 0, bytesRead);
      const field = Number(tag.value >> 3n);
      const wire = Number(tag.value & 7n);
      let at = tag.next;
      if (wire === WIRE_VARINT) {
        at = readVarint(head, at, bytesRead).next;
        pos += at;
      } else if (wire === WIRE_I64) {
        pos += at + 8;
      } else if (wire === WIRE_I32) {
        pos += at + 4;
      } else if (wire === WIRE_LEN) {
        const len = readVarint(head, at, bytesRead);
        const start = pos + len.next;
        const length = Number(len.value);
        if (start + length > size) throw corrupt(path, 'field runs past the end of the file');
        if (field === METADATA_PROPS_FIELD) {
          const entry = Buffer.alloc(length);
          await handle.read(entry, 0, length, start);
          const [key, value] = decodeStringPair(entry, path);
          props[key] = value;
        }
        pos = start + length;
      } else {
        throw corrupt(path, `unexpected wire type ${wire}`);
      }
    }
    return props;
  } finally {
    await handle.close();
  }
}

function corrupt(path: string, why: string): AppError {
  return new AppError('MODEL_INVALID', `${path} is not a valid ONNX model: ${why}`);
}

function readVarint(buf: Uint8Array, start: number, end: number): { value: bigint; next: number } {
  const varint = readVarintOrNull(buf, start, end);
  if (!varint) throw new AppError('MODEL_INVALID', 'truncated varint in ONNX model');
  return varint;
}

/** StringStringEntryProto: key = 1, value = 2. */
function decodeStringPair(buf: Buffer, path: string): [string, string] {
  let key = '';
  let value = '';
  let pos = 0;
  while (pos < buf.length) {
    const tag = readVarint(buf, pos, buf.length);
    const field = Number(tag.value >> 3n);
    if (Number(tag.value & 7n) !== WIRE_LEN) throw corrupt(path, 'bad metadata entry');
    const len = readVarint(buf, tag.next, buf.length);
    const text = buf.toString('utf8', len.next, len.next + Number(len.value));
    if (field === 1) key = text;
    else if (field === 2) value = text;
    pos = len.next + Number(len.value);
  }
  return [key, value];
}
