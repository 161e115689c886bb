import { describe, expect, it } from 'vitest';
import { planChunks } from './plan-chunks.js';

/** Spans of `lengthS` every `everyS` seconds from `fromS` (a pause of everyS − lengthS between them). */
function spansEvery(count: number, everyS: number, lengthS: number, fromS = 1): { startS: number; endS: number }[] {
  return Array.from({ length: count }, (_, i) => ({ startS: fromS + i * everyS, endS: fromS + i * everyS + lengthS }));
}

describe('planChunks', () => {
  it('groups spans into chunks of at most chunkS of audio, cut between spans', () => {
    const spans = spansEvery(30, 10, 8); // 30 spans over ~300 s
    const chunks = planChunks(spans, 305, 60);
    expect(chunks.length).toBe(5);
    for (const chunk of chunks) {
      expect(chunk.endS - chunk.offsetS).toBeLessThanOrEqual(60);
      expect(chunk.spans.length).toBe(6);
    }
    // Every span lands in exactly one chunk, unchanged once shifted back.
    const back = chunks.flatMap((c) => c.spans.map((s) => ({ startS: +(s.startS + c.offsetS).toFixed(3), endS: +(s.endS + c.offsetS).toFixed(3) })));
    expect(back).toEqual(spans);
  });

  it('gives shares that partition the whole file, cut inside pauses', () => {
    const spans = spansEvery(12, 10, 8, 2.5);
    const chunks = planChunks(spans, 130, 25);
    expect(chunks[0]?.shareStartS).toBe(0);
    expect(chunks.at(-1)?.shareEndS).toBe(130);
    for (let i = 1; i < chunks.length; i++) {
      const cut = chunks[i]!.shareStartS;
      expect(cut).toBe(chunks[i - 1]!.shareEndS);
      expect(cut).toBeGreaterThan(chunks[i - 1]!.endS); // after the previous chunk's last span
      expect(cut).toBe(chunks[i]!.offsetS); // at the next chunk's first span
    }
    expect(chunks.reduce((sum, c) => sum + (c.shareEndS - c.shareStartS), 0)).toBeCloseTo(130, 9);
  });

  it('keeps a span longer than chunkS whole, in a chunk of its own', () => {
    const chunks = planChunks([{ startS: 0, endS: 5 }, { startS: 6, endS: 40 }, { startS: 41, endS: 45 }], 50, 20);
    expect(chunks.map((c) => c.spans.length)).toEqual([1, 1, 1]);
    expect(chunks[1]).toMatchObject({ offsetS: 6, endS: 40, spans: [{ startS: 0, endS: 34 }] });
  });

  it('keeps relative spans on whole milliseconds', () => {
    const [chunk] = planChunks([{ startS: 120.001, endS: 123.457 }, { startS: 124.1, endS: 130.333 }], 200, 60);
    expect(chunk?.spans).toEqual([{ startS: 0, endS: 3.456 }, { startS: 4.099, endS: 10.332 }]);
  });

  it("keeps each span's speech probability (measured on the whole file), and leaves it absent where it was", () => {
    const p = { mean: 0.2, max: 0.3 };
    const chunks = planChunks([{ startS: 1, endS: 5, speechProbability: p }, { startS: 6, endS: 9, speechProbability: null }, { startS: 30, endS: 31 }], 40, 20);
    expect(chunks.map((c) => c.spans)).toEqual([
      [
        { startS: 0, endS: 4, speechProbability: p },
        { startS: 5, endS: 8, speechProbability: null },
      ],
      [{ startS: 0, endS: 1 }],
    ]);
  });

  it('makes no chunk of no speech', () => {
    expect(planChunks([], 900, 300)).toEqual([]);
  });
});
