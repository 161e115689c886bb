/**
 * Per-tensor asymmetric QUInt8 weight quantization, as onnxruntime's `quantize_dynamic`
 * (weight_type=QUInt8, per_channel=False, reduce_range=False) computes it for sherpa-onnx's int8 export:
 * rmin = min(0, min w), rmax = max(0, max w), scale = (rmax − rmin)/255, zero_point = round(−rmin/scale),
 * q = clamp(round(w/scale) + zero_point, 0, 255), dividing in float32 and rounding half to even (numpy).
 */

export interface QuantizedUint8 {
  /** Same length as the input. */
  readonly data: Uint8Array;
  /** float32 scale; w ≈ (q − zeroPoint) · scale. */
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Round half to even, like numpy.round. */
function roundHalfEven(x: number): number {
  const r = Math.round(x); // halves go up: 2.5 → 3, −2.5 → −2
  return r - x === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

/** (n) float32 → (n) uint8 with one scale and zero point. */
export function quantizeUint8PerTensor(weights: Float32Array): QuantizedUint8 {
  let rmin = 0;
  let rmax = 0;
  for (const w of weights) {
    if (w < rmin) rmin = w;
    if (w > rmax) rmax = w;
  }
  const scale = rmax === rmin ? 1 : Math.fround((rmax - rmin) / 255);
  const zeroPoint = Math.min(255, Math.max(0, roundHalfEven(Math.fround(-rmin / scale))));
  const data = new Uint8Array(weights.length);
  for (let i = 0; i < weights.length; i++) {
    const q = roundHalfEven(Math.fround((weights[i] as number) / scale)) + zeroPoint;
    data[i] = q < 0 ? 0 : q > 255 ? 255 : q;
  }
  return { data, scale, zeroPoint };
}
