/**
 * The benchmark harness's own parts that can be wrong without any timing: the call-like audio
 * generator (real espeak-ng and sox; deterministic bytes, exact length, the pause share asked for,
 * speech intervals that match the samples), and the statistics and target checks the figures go
 * through. No timing is asserted here; `npm run bench` measures.
 */
import { createHash } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWav } from '@earshot/core/audio/wav';
import { callAudio, callAudioPath } from '../bench/fixtures/call-audio.js';
import { formatTable, meets, type PartResult } from '../bench/lib/report.js';
import { alternate, median, percentile } from '../bench/lib/stats.js';

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

describe('call-like audio', () => {
  it('is exactly as long as asked, 16 kHz mono 16-bit, with the pause share asked for and speech where the manifest says', async () => {
    const audio = await callAudio({ durationS: 90, seed: 4242 });
    const wav = parseWav(readFileSync(audio.path));
    expect(wav).toMatchObject({ sampleRate: 16000, channels: 1, bitsPerSample: 16, encoding: 'pcm_s16le' });
    expect(wav.samples.length).toBe(90 * 16000);
    expect(audio.pauseShare).toBeGreaterThan(0.3);
    expect(audio.pauseShare).toBeLessThan(0.4);
    const speechS = audio.speech.reduce((s, x) => s + x.endS - x.startS, 0);
    expect(speechS).toBeCloseTo(audio.speechS, 3);
    // Intervals in order, inside the file, never overlapping; varied pauses; several voices.
    for (const [i, s] of audio.speech.entries()) {
      expect(s.endS).toBeGreaterThan(s.startS);
      if (i > 0) expect(s.startS).toBeGreaterThan(audio.speech[i - 1]!.endS);
    }
    expect(audio.speech.at(-1)!.endS).toBeLessThanOrEqual(90);
    const gaps = audio.speech.slice(1).map((s, i) => s.startS - audio.speech[i]!.endS);
    expect(Math.max(...gaps)).toBeGreaterThan(3 * Math.min(...gaps));
    expect(new Set(audio.speech.map((s) => s.voice)).size).toBeGreaterThan(1);
    // Speech is louder than the pauses' noise bed: RMS inside the intervals vs outside.
    const rms = (inside: boolean): number => {
      let sum = 0;
      let n = 0;
      let k = 0;
      for (let i = 0; i < wav.samples.length; i += 16) {
        const t = i / 16000;
        while (k < audio.speech.length && audio.speech[k]!.endS <= t) k++;
        const inSpeech = k < audio.speech.length && audio.speech[k]!.startS <= t;
        if (inSpeech === inside) {
          sum += wav.samples[i]! ** 2;
          n++;
        }
      }
      return Math.sqrt(sum / n);
    };
    expect(rms(true)).toBeGreaterThan(5 * rms(false));
    expect(rms(false)).toBeGreaterThan(0); // the noise bed is there
  });

  it('gives the same bytes when generated again, and other bytes for another seed', async () => {
    const first = await callAudio({ durationS: 12, seed: 4243 });
    const hash = sha(first.path);
    rmSync(first.path);
    rmSync(first.path.replace(/\.wav$/, '.json'));
    const again = await callAudio({ durationS: 12, seed: 4243 });
    expect(again.path).toBe(first.path);
    expect(sha(again.path)).toBe(hash);
    const other = await callAudio({ durationS: 12, seed: 4244 });
    expect(other.path).not.toBe(first.path);
    expect(sha(other.path)).not.toBe(hash);
  });

  it('refuses lengths and shares it cannot make', async () => {
    expect(() => callAudioPath({ durationS: 2 })).toThrow(/at least 3/);
    expect(() => callAudioPath({ durationS: 60, pauseShare: 0.95 })).toThrow(/pauseShare/);
    await expect(callAudio({ durationS: 60, mandarinShare: 2 })).rejects.toThrow(/mandarinShare/);
  });
});

describe('benchmark statistics', () => {
  it('medians and percentiles interpolate like numpy', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99)).toBeCloseTo(9.91, 10);
    expect(median([])).toBeNaN();
  });

  it('alternates which side goes first, pair by pair', async () => {
    const order: string[] = [];
    const pairs = await alternate(
      3,
      async (p) => (order.push(`a${p}`), p),
      async (p) => (order.push(`b${p}`), 10 * p),
    );
    expect(order).toEqual(['a0', 'b0', 'b1', 'a1', 'a2', 'b2']);
    expect(pairs).toEqual([{ a: 0, b: 0 }, { a: 1, b: 10 }, { a: 2, b: 20 }]);
  });

  it('checks targets, and prints whether each is met', () => {
    expect(meets({ name: 'r', value: 1.06, unit: '×', target: { op: '>=', value: 1.05 } })).toBe(true);
    expect(meets({ name: 'r', value: 1.04, unit: '×', target: { op: '>=', value: 1.05 } })).toBe(false);
    expect(meets({ name: 'p', value: 20, unit: 'ms', target: { op: '<', value: 20 } })).toBe(false);
    expect(meets({ name: 'n', value: null, unit: 'ms', target: { op: '<', value: 20 } })).toBeNull();
    expect(meets({ name: 'n', value: 3, unit: '' })).toBeNull();
    const result: PartResult = {
      part: 'service',
      title: 't',
      conditions: {},
      notes: [],
      runs: [],
      figures: [{ name: 'overhead p50', value: 31.2, unit: 'ms', target: { op: '<', value: 20 } }],
    };
    expect(formatTable([result])).toContain('| service | overhead p50 | 31.2 ms | < 20.0 ms | **no** |');
  });
});
