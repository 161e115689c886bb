import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { SileroBatch, type BlockResult } from './silero-batch.js';
import { SileroVad } from './silero-vad.js';
import { ensureTestAudio, readWav16kMono } from './test-audio-fixtures.js';

let vad: SileroVad;
const files = ['en.wav', 'zh.wav', 'en-zh-silence.wav', 'music-tones.wav', 'noise-only.wav'];
const samples = new Map<string, Float32Array>();
const serial = new Map<string, Float32Array>();

beforeAll(async () => {
  ensureTestAudio();
  vad = await SileroVad.create();
  for (const name of files) {
    samples.set(name, readWav16kMono(name));
    serial.set(name, await vad.probabilities(samples.get(name)!));
  }
});

afterAll(async () => {
  await vad.close();
});

/** Steps until every stream is done; a stream joins at its step and is fed in blocks, two ahead. */
async function runAll(
  batch: SileroBatch,
  streams: { id: number; samples: Float32Array; joinAtStep: number }[],
  blockWindows: number,
): Promise<{ probabilities: Map<number, Float32Array>; batchSizes: number[] }> {
  const collected = new Map<number, Float32Array[]>();
  const fed = new Map<number, number>();
  const batchSizes: number[] = [];
  for (let step = 0; ; step++) {
    for (const s of streams) {
      const at = fed.get(s.id) ?? 0;
      const returned = (collected.get(s.id) ?? []).reduce((n, p) => n + p.length, 0) * 512;
      if (step < s.joinAtStep || at >= s.samples.length || at - returned >= 2 * blockWindows * 512) continue;
      const to = Math.min(s.samples.length, at + blockWindows * 512);
      batch.feed(s.id, s.samples.slice(at, to), to >= s.samples.length);
      fed.set(s.id, to);
    }
    const before = batch.counters.windows;
    const results: BlockResult[] = await batch.step();
    if (batch.counters.windows > before) batchSizes.push(batch.counters.windows - before);
    for (const r of results) collected.set(r.streamId, [...(collected.get(r.streamId) ?? []), r.probabilities]);
    if (streams.every((s) => (fed.get(s.id) ?? 0) >= s.samples.length) && batch.streamCount === 0) break;
  }
  const probabilities = new Map<number, Float32Array>();
  for (const [id, parts] of collected) {
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    probabilities.set(id, all);
  }
  return { probabilities, batchSizes };
}

describe('SileroBatch', () => {
  it('gives every stream of a batch its serial probabilities, streams joining and leaving between steps', async () => {
    const batch = await SileroBatch.create({ maxBatch: 8 });
    const streams = files.map((name, k) => ({ id: k + 1, samples: samples.get(name)!, joinAtStep: k * 37 }));
    const { probabilities, batchSizes } = await runAll(batch, streams, 20);
    streams.forEach((s, k) => expect(probabilities.get(s.id), files[k]).toEqual(serial.get(files[k]!)));
    // batches grew as streams joined and shrank as the short ones left
    expect(Math.max(...batchSizes)).toBe(files.length);
    expect(batchSizes[0]).toBe(1);
    expect(batchSizes.at(-1)).toBeLessThan(files.length);
    expect(batch.streamCount).toBe(0);
    await batch.close();
  });

  it('runs at most maxBatch rows per step, round-robin, with unchanged results', async () => {
    const batch = await SileroBatch.create({ maxBatch: 2 });
    const streams = files.map((name, k) => ({ id: k + 1, samples: samples.get(name)!, joinAtStep: 0 }));
    const { probabilities, batchSizes } = await runAll(batch, streams, 1000);
    expect(Math.max(...batchSizes)).toBe(2);
    streams.forEach((s, k) => expect(probabilities.get(s.id)).toEqual(serial.get(files[k]!)));
    await batch.close();
  });

  it('forgets a dropped stream without touching the others', async () => {
    const batch = await SileroBatch.create();
    const en = samples.get('en.wav')!;
    batch.feed(1, en, true);
    batch.feed(2, en, true);
    await batch.step();
    batch.drop(2);
    const results: BlockResult[] = [];
    while (batch.readyCount > 0) results.push(...(await batch.step()));
    expect(results.map((r) => r.streamId)).toEqual([1]);
    expect(results[0]!.probabilities).toEqual(serial.get('en.wav'));
    await batch.close();
  });

  it('reports an empty last block without a run and refuses blocks that split a window', async () => {
    const batch = await SileroBatch.create();
    batch.feed(7, new Float32Array(0), true);
    expect(await batch.step()).toEqual([{ streamId: 7, probabilities: new Float32Array(0), done: true }]);
    expect(batch.counters.steps).toBe(0);
    expect(() => batch.feed(8, new Float32Array(100), false)).toThrow(AppError);
    await batch.close();
    expect(() => batch.feed(9, new Float32Array(512), true)).toThrow(/close/);
  });
});
