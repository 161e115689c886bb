/**
 * A stretch of one file run as its own Silero stream. The stream starts `warm-up` frames before
 * the region (from zero state, like a fresh serial run) so that its recurrent state has settled
 * when the region begins; the warm-up's probabilities are discarded.
 */
export interface Region {
  /** First frame the stream runs (≤ keepFrom). */
  startFrame: number;
  /** First frame whose probability is kept. */
  keepFrom: number;
  /** End of the region (exclusive); the next region keeps from here. */
  endFrame: number;
}

export interface RegionPlanOptions {
  /** Shortest region, in frames (a shorter file is one region). */
  minRegionFrames: number;
  /** Warm-up before each region but the first, in frames. */
  warmupFrames: number;
  /** Most regions per file; a longer file gets longer regions. */
  maxRegions: number;
}

/**
 * Splits F frames into consecutive regions of equal length (the last may be shorter): as many
 * as fit at `minRegionFrames` each, at most `maxRegions`. The first region starts at frame 0
 * with no warm-up, so a file of one region runs exactly as the serial detector does.
 * F → R regions covering [0, F) without overlap in their kept frames; [] for F = 0.
 */
export function planRegions(frames: number, o: RegionPlanOptions): Region[] {
  if (frames <= 0) return [];
  const length = Math.max(o.minRegionFrames, Math.ceil(frames / o.maxRegions), 1);
  const regions: Region[] = [];
  for (let keepFrom = 0; keepFrom < frames; keepFrom += length) {
    regions.push({ startFrame: Math.max(0, keepFrom - o.warmupFrames), keepFrom, endFrame: Math.min(frames, keepFrom + length) });
  }
  return regions;
}
