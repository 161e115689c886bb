import { describe, expect, it } from 'vitest';
import { planRegions } from './region-plan.js';

describe('planRegions', () => {
  it('gives no region for no frames and one exact region for a short file', () => {
    expect(planRegions(0, { minRegionFrames: 10, warmupFrames: 3, maxRegions: 4 })).toEqual([]);
    expect(planRegions(7, { minRegionFrames: 10, warmupFrames: 3, maxRegions: 4 })).toEqual([
      { startFrame: 0, keepFrom: 0, endFrame: 7 },
    ]);
    expect(planRegions(7, { minRegionFrames: Number.POSITIVE_INFINITY, warmupFrames: 3, maxRegions: 4 })).toHaveLength(1);
  });

  it('cuts consecutive regions of minRegionFrames, each warmed up except the first', () => {
    expect(planRegions(25, { minRegionFrames: 10, warmupFrames: 3, maxRegions: 4 })).toEqual([
      { startFrame: 0, keepFrom: 0, endFrame: 10 },
      { startFrame: 7, keepFrom: 10, endFrame: 20 },
      { startFrame: 17, keepFrom: 20, endFrame: 25 },
    ]);
  });

  it('lengthens the regions to stay within maxRegions and clamps the warm-up at 0', () => {
    const regions = planRegions(100, { minRegionFrames: 10, warmupFrames: 50, maxRegions: 4 });
    expect(regions.map((r) => [r.keepFrom, r.endFrame])).toEqual([
      [0, 25],
      [25, 50],
      [50, 75],
      [75, 100],
    ]);
    expect(regions.map((r) => r.startFrame)).toEqual([0, 0, 0, 25]);
  });
});
