/**
 * Deterministic pseudo-random weights: xoshiro128** seeded through splitmix32, Box–Muller normals.
 *
 * Every tensor has its own stream derived from (seed, tensor name), so tensors can be generated
 * lazily in any order and an int8 model quantizes exactly the weights of the fp32 model of the
 * same seed. 32-bit integer arithmetic only (Math.imul), so a full model's 234 M normals take seconds.
 */

/** FNV-1a hash of a string's UTF-16 code units. */
function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** The 4 × 32-bit xoshiro128 state for (seed, stream), expanded with splitmix32. */
export function streamState(seed: number, stream: string): Uint32Array {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be a uint32, got ${seed}`);
  let x = (seed ^ Math.imul(fnv1a32(stream), 0x9e3779b9)) >>> 0;
  const state = new Uint32Array(4);
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    state[i] = (z ^ (z >>> 16)) >>> 0;
  }
  if (state.every((word) => word === 0)) state[0] = 1; // xoshiro's only invalid state
  return state;
}

const TWO_PI = 2 * Math.PI;
const INV_2_32 = 1 / 4294967296;

/**
 * Fills `out` with N(mean, std²) samples from the stream (seed, stream).
 * Pairs of uniforms u1 ∈ (0, 1], u2 ∈ [0, 1) give r·cos(2πu2), r·sin(2πu2) with r = √(−2 ln u1).
 */
export function fillNormal(out: Float32Array, seed: number, stream: string, std: number, mean = 0): Float32Array {
  const state = streamState(seed, stream);
  let s0 = state[0] as number;
  let s1 = state[1] as number;
  let s2 = state[2] as number;
  let s3 = state[3] as number;
  const next = (): number => {
    const mul = Math.imul(s1, 5);
    const result = Math.imul((mul << 7) | (mul >>> 25), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    return result;
  };
  for (let i = 0; i < out.length; i += 2) {
    const u1 = (next() + 1) * INV_2_32;
    const u2 = next() * INV_2_32;
    const r = Math.sqrt(-2 * Math.log(u1)) * std;
    const theta = TWO_PI * u2;
    out[i] = mean + r * Math.cos(theta);
    if (i + 1 < out.length) out[i + 1] = mean + r * Math.sin(theta);
  }
  return out;
}
