/**
 * fp16 variant of a generated model, the way onnxconverter-common's `convert_float_to_float16`
 * with `keep_io_types=True` makes one from an fp32 export: every float weight and constant is
 * stored as float16 and computed in float16, while the graph's inputs and outputs stay float32
 * (a Cast after each float input, a Cast before each float output). So the runtime contract
 * (x f32 → logits f32) is unchanged and the in-graph decode edit applies as to the fp32 model.
 */
import { elementCount, type LazyInitializer, type WritableGraph } from './graph-builder.js';
import { DataType, type AttributeProto, type GraphProto, type NodeProto, type TensorProto } from './onnx-proto.js';

/** Ops with no float16 type in opset 13: computed in float32 between two Casts. */
const FLOAT32_ONLY_OPS = new Set(['Range']);

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of `value` (rounded to float32 first, then to nearest even; ±Inf and NaN kept). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → ±Inf
  if (e <= 0) {
    if (e < -10) return sign; // below half the smallest subnormal → ±0
    // subnormal: shift the mantissa (with its implicit 1) right, rounding to nearest even
    const m = mantissa | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = m & ((1 << shift) - 1);
    let out = m >>> shift;
    if (rest > half || (rest === half && (out & 1) === 1)) out++;
    return sign | out;
  }
  let out = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (out & 1) === 1)) out++; // may carry into the exponent: still right
  return sign | out;
}

/** Little-endian float32 bytes → little-endian float16 bytes. */
export function float32BytesToFloat16(bytes: Uint8Array): Uint8Array {
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const out = new Uint16Array(floats.length);
  for (let i = 0; i < floats.length; i++) out[i] = float16Bits(floats[i]!);
  return new Uint8Array(out.buffer);
}

function float16Initializer(init: LazyInitializer): LazyInitializer {
  if (init.dataType !== DataType.FLOAT) return init;
  return { ...init, dataType: DataType.FLOAT16, rawData: () => float32BytesToFloat16(init.rawData()) };
}

function float16Tensor(t: TensorProto): TensorProto {
  if (t.dataType !== DataType.FLOAT) return t;
  const raw = t.rawData ?? new Uint8Array(new Float32Array(t.floatData ?? []).buffer);
  if (raw.byteLength !== 4 * elementCount((t.dims ?? []).map(Number))) throw new Error(`constant ${t.name ?? ''}: unexpected float data`);
  return { ...t, dataType: DataType.FLOAT16, rawData: float32BytesToFloat16(raw), floatData: [] };
}

function castNode(name: string, input: string, output: string, to: number): NodeProto {
  return { opType: 'Cast', name, input: [input], output: [output], attribute: [{ name: 'to', type: 2, i: to }] };
}

/** The float16 version of `graph` (float32 inputs and outputs). */
export function toFloat16Graph(graph: WritableGraph): WritableGraph {
  const proto = graph.toGraphProtoWithoutInitializers();
  const floatInputs = (proto.input ?? []).filter((v) => v.type?.tensorType?.elemType === DataType.FLOAT).map((v) => v.name ?? '');
  const floatOutputs = (proto.output ?? []).filter((v) => v.type?.tensorType?.elemType === DataType.FLOAT).map((v) => v.name ?? '');
  const renamed = new Map<string, string>([...floatInputs, ...floatOutputs].map((n) => [n, `${n}_fp16`]));
  const rename = (n: string): string => renamed.get(n) ?? n;
  /** Names of float (now float16) constant outputs, to find the float inputs of FLOAT32_ONLY_OPS. */
  const floatConstants = new Set<string>();

  const nodes: NodeProto[] = floatInputs.map((n) => castNode(`${n}_to_fp16`, n, rename(n), DataType.FLOAT16));
  for (const node of proto.node ?? []) {
    const attribute: AttributeProto[] = (node.attribute ?? []).map((a) => {
      if (node.opType === 'Constant' && a.t && a.t.dataType === DataType.FLOAT) {
        for (const o of node.output ?? []) floatConstants.add(o);
        return { ...a, t: float16Tensor(a.t) };
      }
      if (node.opType === 'Cast' && a.name === 'to' && Number(a.i) === DataType.FLOAT) return { ...a, i: DataType.FLOAT16 };
      return a;
    });
    const input = (node.input ?? []).map(rename);
    const output = (node.output ?? []).map(rename);
    if (FLOAT32_ONLY_OPS.has(node.opType ?? '') && input.some((i) => floatConstants.has(i))) {
      const id = node.name ?? '';
      const f32Inputs = input.map((i, k) => (floatConstants.has(i) ? `${id}_in${k}_fp32` : i));
      input.forEach((i, k) => {
        if (floatConstants.has(i)) nodes.push(castNode(`${id}_cast_in${k}`, i, f32Inputs[k]!, DataType.FLOAT));
      });
      const f32Outputs = output.map((o) => `${o}_fp32`);
      nodes.push({ ...node, input: f32Inputs, output: f32Outputs, attribute });
      output.forEach((o, k) => nodes.push(castNode(`${id}_cast_out${k}`, f32Outputs[k]!, o, DataType.FLOAT16)));
      continue;
    }
    nodes.push({ ...node, input, output, attribute });
  }
  for (const n of floatOutputs) nodes.push(castNode(`${n}_to_fp32`, rename(n), n, DataType.FLOAT));

  const converted: GraphProto = { ...proto, node: nodes };
  const initializers = graph.initializers.map(float16Initializer);
  return { initializers, toGraphProtoWithoutInitializers: () => converted };
}
