/**
 * A small ONNX graph builder on top of onnx-proto.
 *
 * Glossary:
 * - node: one operator application; `op()` returns its single output name, `node()` several.
 * - constant: a small non-trainable tensor emitted as a `Constant` node (not an initializer), so that
 *   "initializer elements" counts exactly the model's parameters.
 * - initializer: a weight tensor. It is lazy: its bytes are produced only when the model is written,
 *   one tensor at a time, so a ~1 GB model never has to be held in memory as a whole.
 */
import {
  BYTES_PER_ELEMENT,
  DataType,
  type AttributeProto,
  type DataTypeCode,
  type GraphProto,
  type NodeProto,
  type TensorProto,
  type ValueInfoProto,
} from './onnx-proto.js';

/** A weight tensor whose little-endian bytes are produced on demand. */
export interface LazyInitializer {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: DataTypeCode;
  /** Number of elements (product of dims; 1 for a scalar). */
  readonly elementCount: number;
  /** Produces the raw bytes, `elementCount × bytesPerElement` long. Called once per write. */
  readonly rawData: () => Uint8Array;
}

/** Attribute values: integer, integer list, string, or a tensor (`{ tensor }`). */
export type AttributeValue = number | readonly number[] | string | { readonly tensor: TensorProto };

/** A symbolic (`'N'`) or fixed (`560`) dimension of a graph input or output. */
export type Dim = number | string;

// AttributeProto.AttributeType values.
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_TENSOR = 4;
const ATTR_INTS = 7;

/** Product of dims (1 for a scalar). */
export function elementCount(dims: readonly number[]): number {
  return dims.reduce((product, dim) => product * dim, 1);
}

/** Views a typed array's bytes (the platform is little-endian, checked by the writer). */
export function bytesOf(array: Float32Array | Int32Array | BigInt64Array | Uint8Array): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function toAttribute(name: string, value: AttributeValue): AttributeProto {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`attribute ${name}: only integer numbers are supported`);
    return { name, type: ATTR_INT, i: value };
  }
  if (typeof value === 'string') return { name, type: ATTR_STRING, s: new TextEncoder().encode(value) };
  if ('tensor' in value) return { name, type: ATTR_TENSOR, t: value.tensor };
  return { name, type: ATTR_INTS, ints: [...value] };
}

function valueInfo(name: string, elemType: DataTypeCode, dims: readonly Dim[]): ValueInfoProto {
  const dim = dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** What the model writer needs of a graph: the graph without weights, and the lazy weights. */
export interface WritableGraph {
  readonly initializers: readonly LazyInitializer[];
  toGraphProtoWithoutInitializers(): GraphProto;
}

export class GraphBuilder implements WritableGraph {
  /** Prefix for generated node and value names, e.g. `encoders.3.self_attn`. */
  scope = '';
  private readonly nodes: NodeProto[] = [];
  private readonly inits: LazyInitializer[] = [];
  private readonly initNames = new Set<string>();
  private readonly inputs: ValueInfoProto[] = [];
  private readonly outputs: ValueInfoProto[] = [];
  private readonly constantCache = new Map<string, string>();
  private counter = 0;

  constructor(readonly name: string) {}

  /** Adds a node and returns its `outputCount` generated output names. */
  node(opType: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}, outputCount = 1): string[] {
    const id = `${this.scope ? `${this.scope}/` : ''}${opType}_${this.counter++}`;
    const outputs = Array.from({ length: outputCount }, (_, i) => (outputCount === 1 ? id : `${id}:${i}`));
    const attribute = Object.entries(attrs).map(([name, value]) => toAttribute(name, value));
    this.nodes.push({ opType, name: id, input: [...inputs], output: outputs, ...(attribute.length ? { attribute } : {}) });
    return outputs;
  }

  /** Adds a single-output node and returns its output name. */
  op(opType: string, inputs: readonly string[], attrs: Record<string, AttributeValue> = {}): string {
    const [output] = this.node(opType, inputs, attrs, 1);
    return output as string;
  }

  /** Adds a node whose outputs are the given names (used for graph outputs). */
  nodeWithOutputs(opType: string, inputs: readonly string[], outputs: readonly string[], attrs: Record<string, AttributeValue> = {}): void {
    const attribute = Object.entries(attrs).map(([name, value]) => toAttribute(name, value));
    this.nodes.push({ opType, name: `${opType}_${this.counter++}`, input: [...inputs], output: [...outputs], ...(attribute.length ? { attribute } : {}) });
  }

  /** A shared `Constant` node of int64 values (`dims` defaults to a 1-D tensor; `[]` for a scalar). */
  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(DataType.INT64, dims, bytesOf(BigInt64Array.from(values, (v) => BigInt(v))), values);
  }

  /** A shared `Constant` node of int32 values. */
  constInt32(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(DataType.INT32, dims, bytesOf(Int32Array.from(values)), values);
  }

  /** A shared `Constant` node of float32 values (stored rounded to float32). */
  constFloat(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(DataType.FLOAT, dims, bytesOf(Float32Array.from(values)), values);
  }

  private constant(dataType: DataTypeCode, dims: readonly number[], rawData: Uint8Array, values: readonly number[]): string {
    const key = `${dataType}|${dims.join(',')}|${values.join(',')}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    const savedScope = this.scope;
    this.scope = 'const';
    const output = this.op('Constant', [], { value: { tensor: { dims: [...dims], dataType, rawData } } });
    this.scope = savedScope;
    this.constantCache.set(key, output);
    return output;
  }

  /** Registers a lazy initializer and returns its name (names must be unique). */
  initializer(name: string, dims: readonly number[], dataType: DataTypeCode, rawData: () => Uint8Array): string {
    if (this.initNames.has(name)) throw new Error(`duplicate initializer ${name}`);
    this.initNames.add(name);
    const count = elementCount(dims);
    const expectedBytes = count * BYTES_PER_ELEMENT[dataType];
    this.inits.push({
      name,
      dims: [...dims],
      dataType,
      elementCount: count,
      rawData: () => {
        const bytes = rawData();
        if (bytes.byteLength !== expectedBytes) {
          throw new Error(`initializer ${name}: ${bytes.byteLength} bytes, expected ${expectedBytes}`);
        }
        return bytes;
      },
    });
    return name;
  }

  /** Registers a float32 initializer filled on demand by `fill`. */
  floatInitializer(name: string, dims: readonly number[], fill: (out: Float32Array) => void): string {
    return this.initializer(name, dims, DataType.FLOAT, () => {
      const data = new Float32Array(elementCount(dims));
      fill(data);
      return bytesOf(data);
    });
  }

  input(name: string, elemType: DataTypeCode, dims: readonly Dim[]): string {
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataTypeCode, dims: readonly Dim[]): string {
    this.outputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  get initializers(): readonly LazyInitializer[] {
    return this.inits;
  }

  /** Total number of initializer elements (= the model's parameter count). */
  parameterCount(): number {
    return this.inits.reduce((sum, init) => sum + init.elementCount, 0);
  }

  /** The graph without its initializers (the writer streams those separately). */
  toGraphProtoWithoutInitializers(): GraphProto {
    return { name: this.name, node: this.nodes, input: this.inputs, output: this.outputs };
  }
}
