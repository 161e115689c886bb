import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from '../audio/decode.js';
import { TEST_AUDIO_DIR } from '../vad/test-audio-fixtures.js';
import { FeatureExtractor, type FeatureOptions } from './compute-features.js';
import { FeaturePool } from './feature-pool.js';

// SenseVoice's LFR window with CMVN vectors that are not trivial (so a mix-up would show).
const options: FeatureOptions = {
  lfrWindowSize: 7,
  lfrWindowShift: 6,
  negMean: Float32Array.from({ length: 560 }, (_, i) => -10 + (i % 17) * 0.3),
  invStddev: Float32Array.from({ length: 560 }, (_, i) => 0.2 + (i % 11) * 0.01),
  normalizeSamples: false,
};

let samples: Float32Array;
let pool: FeaturePool;

beforeAll(async () => {
  samples = (await decodeAudio(await readFile(join(TEST_AUDIO_DIR, 'en-zh-silence.wav')))).samples;
  pool = new FeaturePool(options, 2);
});

afterAll(async () => {
  await pool.close();
});

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('FeaturePool', () => {
  it('gives the same features, bit for bit, as inline computation, for concurrent segments', async () => {
    const inline = new FeatureExtractor(options);
    // Segments of many lengths (down to shorter than one fbank frame), all submitted at once.
    const spans = Array.from({ length: 40 }, (_, i) => {
      const from = (i * 3_779) % (samples.length - 20_000);
      return [from, from + 100 + ((i * 7_919) % 160_000)] as const;
    });
    const pooled = await Promise.all(spans.map(([a, b]) => pool.compute(samples.slice(a, b))));
    spans.forEach(([a, b], i) => {
      const expected = inline.compute(samples.slice(a, b));
      expect(pooled[i]!.frames).toBe(expected.frames);
      expect(sameBits(pooled[i]!.data, expected.data)).toBe(true);
    });
  });

  it('accepts a view into a larger array (copied, the caller keeps its array)', async () => {
    const view = samples.subarray(16_000, 48_000);
    const f = await pool.compute(view);
    expect(view.length).toBe(32_000); // not detached
    expect(sameBits(f.data, new FeatureExtractor(options).compute(view).data)).toBe(true);
  });

  it('refuses work once closed', async () => {
    const p = new FeaturePool(options, 1);
    await p.close();
    await expect(p.compute(new Float32Array(16_000))).rejects.toMatchObject({ code: 'INTERNAL' });
  });

  it('needs at least one thread', () => {
    expect(() => new FeaturePool(options, 0)).toThrow(RangeError);
  });
});
