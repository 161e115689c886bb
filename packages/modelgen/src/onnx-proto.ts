/**
 * The ONNX protobuf schema (onnx-proto, protobufjs 6 generated code) as an ES module.
 *
 * onnx-proto is CommonJS with `module.exports = { onnx }`, which Node cannot expose as a named
 * ESM export, so the runtime namespace comes from the default import and the types from a type import.
 */
import onnxProtoModule from 'onnx-proto';
import type { onnx as OnnxTypes } from 'onnx-proto';

export const onnx = onnxProtoModule.onnx;

export type ModelProto = OnnxTypes.IModelProto;
export type GraphProto = OnnxTypes.IGraphProto;
export type NodeProto = OnnxTypes.INodeProto;
export type TensorProto = OnnxTypes.ITensorProto;
export type AttributeProto = OnnxTypes.IAttributeProto;
export type ValueInfoProto = OnnxTypes.IValueInfoProto;
export type StringStringEntryProto = OnnxTypes.IStringStringEntryProto;

/** ONNX tensor element types used here (values of `TensorProto.DataType`). */
export const DataType = {
  FLOAT: 1,
  UINT8: 2,
  INT32: 6,
  INT64: 7,
  BOOL: 9,
  FLOAT16: 10,
} as const;
export type DataTypeCode = (typeof DataType)[keyof typeof DataType];

/** Bytes per element of each supported data type. */
export const BYTES_PER_ELEMENT: Record<DataTypeCode, number> = {
  [DataType.FLOAT]: 4,
  [DataType.UINT8]: 1,
  [DataType.INT32]: 4,
  [DataType.INT64]: 8,
  [DataType.BOOL]: 1,
  [DataType.FLOAT16]: 2,
};
