/**
 * Deterministic damage for tests of the partial-decode rule (decode-completeness.ts):
 * the same arguments always give the same bytes (a seeded PRNG, never Math.random), so a
 * damaged file is a fixture, not a dice roll.
 */

/** mulberry32: a tiny seeded PRNG; returns uint32 values. */
export function seededUint32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

/** `count` pseudo-random bytes from `seed`. */
export function seededBytes(count: number, seed: number): Uint8Array {
  const next = seededUint32(seed);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = next() & 0xff;
  return out;
}

/** The first `keepBytes` of `bytes` followed by `garbageBytes` seeded random bytes. */
export function withGarbageTail(bytes: Uint8Array, keepBytes: number, garbageBytes: number, seed: number): Uint8Array {
  const head = bytes.subarray(0, Math.min(keepBytes, bytes.length));
  const out = new Uint8Array(head.length + garbageBytes);
  out.set(head);
  out.set(seededBytes(garbageBytes, seed), head.length);
  return out;
}

/** A copy of the first `fraction` (0..1) of `bytes`, rounded down to a whole byte. */
export function truncateBytes(bytes: Uint8Array, fraction: number): Uint8Array {
  return new Uint8Array(bytes.subarray(0, Math.floor(bytes.length * fraction))); // (Buffer#slice would share memory)
}
