import { AppError } from '../errors/app-error.js';
import { readVarint, WIRE_I32, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf-wire.js';

/**
 * Decoding inside the graph: appends to a loaded SenseVoice ModelProto the nodes that
 * turn `logits [N, T+4, V]` into what decoding needs, so that only ids and a few
 * hundred floats leave onnxruntime (the logits are ~100 MB per minute of audio):
 *
 *   logits ─TopK(k=2, axis −1)→ indices ─Cast(int32)→ `earshot_top2_ids`  [N, T+4, 2]
 *   logits ─Slice(frames 0..3)→ Gather(tag ids, axis 2)→ LogSoftmax(−1)→ `earshot_query_log_probs` [N, 4, K]
 *
 * Two candidates per frame, not one ArgMax: `banEmotionUnknown` bans a column on every
 * frame (FunASR sets it to −∞ before the argmax), so a frame whose best id is banned
 * takes the second. TopK breaks ties by the lower index, like `ctcGreedy`'s first maximum.
 *
 * How: protobuf merges repeated occurrences of a singular message field, so a second
 * `graph` field (ModelProto field 7) holding only the new nodes and outputs, written after
 * the file's bytes, is read by onnxruntime as the original graph with those nodes and
 * outputs appended. The 1 GB of weights are neither decoded nor re-encoded: the file is
 * read once into a buffer with room for the tail. The tail is encoded here by hand (a
 * dozen small messages) because onnx-proto is only a dev dependency of core.
 */
export const IDS_OUTPUT = 'earshot_top2_ids';
export const QUERY_LOG_PROBS_OUTPUT = 'earshot_query_log_probs';
/** Candidates per frame in `IDS_OUTPUT`; at most CANDIDATES − 1 ids may be banned. */
export const CANDIDATES = 2;
/** Query frames the log-probabilities cover (language, emotion, event, ITN). */
const QUERY_FRAMES = 4;

const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_OUTPUT = 12;
const VALUE_INFO_NAME = 1;
const FLOAT = 1;
const INT32 = 6;
const INT64 = 7;

/** Room left after the file's bytes for the appended graph (a few KB in practice). */
const TAIL_ROOM = 64 * 1024;

/** Allocates a buffer for a model file of `fileBytes` with room for the tail. */
export function allocateModelBuffer(fileBytes: number): Buffer {
  return Buffer.allocUnsafe(fileBytes + TAIL_ROOM);
}

/**
 * `model` holds a ModelProto in its first `used` bytes (the rest is spare room, see
 * `allocateModelBuffer`). Returns the bytes of the edited model: a view of `model` when the
 * tail fits in the room, else a copy.
 * @throws AppError MODEL_INVALID when the bytes are not a ModelProto with a graph output.
 */
export function appendDecodeGraph(model: Buffer, used: number, queryTagIds: readonly number[], source: string): Uint8Array {
  const logitsName = firstGraphOutput(model.subarray(0, used), source);
  const tail = encodeTail(logitsName, queryTagIds);
  if (used + tail.length <= model.length) {
    tail.forEach((b, i) => (model[used + i] = b));
    return model.subarray(0, used + tail.length);
  }
  return Buffer.concat([model.subarray(0, used), tail]);
}

/** Name of the first graph output (sherpa-onnx takes output 0 as the logits). */
export function firstGraphOutput(model: Uint8Array, source: string): string {
  for (const top of fields(model, 0, model.length, source)) {
    if (top.field !== MODEL_GRAPH || top.wire !== WIRE_LEN) continue;
    for (const g of fields(model, top.start, top.end, source)) {
      if (g.field !== GRAPH_OUTPUT || g.wire !== WIRE_LEN) continue;
      for (const v of fields(model, g.start, g.end, source)) {
        if (v.field === VALUE_INFO_NAME && v.wire === WIRE_LEN) {
          return Buffer.from(model.buffer, model.byteOffset + v.start, v.end - v.start).toString('utf8');
        }
      }
    }
  }
  throw new AppError('MODEL_INVALID', `${source} is not a valid ONNX model: no graph output`);
}

interface Field {
  field: number;
  wire: number;
  /** Payload range of a length-delimited field (empty for others). */
  start: number;
  end: number;
}

function* fields(buf: Uint8Array, from: number, to: number, source: string): Generator<Field> {
  let pos = from;
  while (pos < to) {
    const tag = varint(buf, pos, to, source);
    const field = Number(tag.value >> 3n);
    const wire = Number(tag.value & 7n);
    pos = tag.next;
    if (wire === WIRE_VARINT) {
      pos = varint(buf, pos, to, source).next;
      yield { field, wire, start: pos, end: pos };
    } else if (wire === WIRE_I64 || wire === WIRE_I32) {
      pos += wire === WIRE_I64 ? 8 : 4;
      yield { field, wire, start: pos, end: pos };
    } else if (wire === WIRE_LEN) {
      const len = varint(buf, pos, to, source);
      const start = len.next;
      const end = start + Number(len.value);
      if (end > to) throw invalid(source, 'a field runs past its message');
      yield { field, wire, start, end };
      pos = end;
    } else {
      throw invalid(source, `unexpected wire type ${wire}`);
    }
  }
  if (pos > to) throw invalid(source, 'a field runs past its message');
}

function varint(buf: Uint8Array, start: number, end: number, source: string): { value: bigint; next: number } {
  const value = readVarint(buf, start, end);
  if (!value) throw invalid(source, 'truncated varint');
  return value;
}

function invalid(source: string, why: string): AppError {
  return new AppError('MODEL_INVALID', `${source} is not a valid ONNX model: ${why}`);
}

// ---- encoding of the appended GraphProto ----

/** Protobuf field writer for the few shapes used here. */
class Writer {
  private readonly parts: number[] = [];
  varint(field: number, value: number | bigint): this {
    this.tag(field, WIRE_VARINT);
    this.raw(BigInt.asUintN(64, BigInt(value)));
    return this;
  }
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, WIRE_LEN);
    this.raw(BigInt(data.length));
    for (const b of data) this.parts.push(b);
    return this;
  }
  string(field: number, text: string): this {
    return this.bytes(field, Buffer.from(text, 'utf8'));
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
  private tag(field: number, wire: number): void {
    this.raw(BigInt((field << 3) | wire));
  }
  private raw(v: bigint): void {
    do {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      this.parts.push(v > 0n ? byte | 0x80 : byte);
    } while (v > 0n);
  }
}

/** TensorProto int64 [values.length]: dims = 1, data_type = 2, name = 8, raw_data = 9. */
function int64Tensor(values: readonly number[]): Writer {
  const raw = new BigInt64Array(values.map((v) => BigInt(v)));
  return new Writer()
    .varint(1, values.length)
    .varint(2, INT64)
    .bytes(9, new Uint8Array(raw.buffer));
}

/** AttributeProto: name = 1, i = 3, t = 5, type = 20 (INT = 2, TENSOR = 4). */
const intAttribute = (name: string, value: number): Writer => new Writer().string(1, name).varint(3, value).varint(20, 2);
const tensorAttribute = (name: string, t: Writer): Writer => new Writer().string(1, name).message(5, t).varint(20, 4);

/** NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5. */
function node(op: string, name: string, inputs: string[], outputs: string[], attributes: Writer[] = []): Writer {
  const w = new Writer();
  for (const i of inputs) w.string(1, i);
  for (const o of outputs) w.string(2, o);
  w.string(3, name).string(4, op);
  for (const a of attributes) w.message(5, a);
  return w;
}

const constant = (name: string, values: readonly number[]): Writer =>
  node('Constant', name, [], [name], [tensorAttribute('value', int64Tensor(values))]);

/** ValueInfoProto name = 1, type = 2 → TypeProto tensor_type = 1 → elem_type = 1 (rank left open). */
const output = (name: string, elemType: number): Writer =>
  new Writer().string(1, name).message(2, new Writer().message(1, new Writer().varint(1, elemType)));

/** The `graph` field to append: the decode nodes and their outputs. */
export function encodeTail(logitsName: string, queryTagIds: readonly number[]): Uint8Array {
  const p = 'earshot_decode_';
  const graph = new Writer()
    .message(GRAPH_NODE, constant(`${p}k`, [CANDIDATES]))
    .message(GRAPH_NODE, node('TopK', `${p}topk`, [logitsName, `${p}k`], [`${p}top_values`, `${p}top_indices`], [intAttribute('axis', -1)]))
    .message(GRAPH_NODE, node('Cast', `${p}cast`, [`${p}top_indices`], [IDS_OUTPUT], [intAttribute('to', INT32)]))
    .message(GRAPH_OUTPUT, output(IDS_OUTPUT, INT32));
  if (queryTagIds.length > 0) {
    graph
      .message(GRAPH_NODE, constant(`${p}q_starts`, [0]))
      .message(GRAPH_NODE, constant(`${p}q_ends`, [QUERY_FRAMES]))
      .message(GRAPH_NODE, constant(`${p}q_axes`, [1]))
      .message(GRAPH_NODE, constant(`${p}tag_ids`, queryTagIds))
      .message(GRAPH_NODE, node('Slice', `${p}slice`, [logitsName, `${p}q_starts`, `${p}q_ends`, `${p}q_axes`], [`${p}query_logits`]))
      .message(GRAPH_NODE, node('Gather', `${p}gather`, [`${p}query_logits`, `${p}tag_ids`], [`${p}tag_logits`], [intAttribute('axis', 2)]))
      .message(GRAPH_NODE, node('LogSoftmax', `${p}log_softmax`, [`${p}tag_logits`], [QUERY_LOG_PROBS_OUTPUT], [intAttribute('axis', -1)]))
      .message(GRAPH_OUTPUT, output(QUERY_LOG_PROBS_OUTPUT, FLOAT));
  }
  return new Writer().message(MODEL_GRAPH, graph).finish();
}
