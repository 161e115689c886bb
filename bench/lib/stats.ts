/** Small statistics for the benchmark: medians, percentiles and pair ratios of alternating runs. */

/** The median of `values` (the mean of the two middle values for an even count); NaN when empty. */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/** Linear-interpolated percentile `p` (0..100) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

export function sum(values: readonly number[]): number {
  return values.reduce((s, v) => s + v, 0);
}

export function mean(values: readonly number[]): number {
  return values.length === 0 ? Number.NaN : sum(values) / values.length;
}

/**
 * Runs `a` and `b` once each per pair, `pairs` times, alternating which goes first (a first in
 * even pairs), so slow drifts of a shared machine fall on both sides equally.
 */
export async function alternate<A, B>(pairs: number, a: (pair: number) => Promise<A>, b: (pair: number) => Promise<B>): Promise<{ a: A; b: B }[]> {
  const out: { a: A; b: B }[] = [];
  for (let pair = 0; pair < pairs; pair++) {
    if (pair % 2 === 0) {
      const ra = await a(pair);
      out.push({ a: ra, b: await b(pair) });
    } else {
      const rb = await b(pair);
      out.push({ a: await a(pair), b: rb });
    }
  }
  return out;
}
