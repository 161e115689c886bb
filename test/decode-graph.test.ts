/**
 * Decoding in the graph (model/decode-graph.ts) against the unedited graph: the same padded
 * batches through a session whose graph ends in TopK + tag log-softmax and through one that
 * copies the logits out and decodes them in JavaScript. Ids, frames and tags must be equal,
 * with and without banned ids; the query log-probabilities equal to float precision.
 */
import { copyFile, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudioFile } from '@earshot/core/audio/decode';
import { AppError } from '@earshot/core/errors/app-error';
import { queryTagIds } from '@earshot/core/decoding/query-tags';
import { decodeSenseVoiceOutput } from '@earshot/core/decoding/sense-voice-output';
import { SymbolTable } from '@earshot/core/decoding/symbol-table';
import { FeatureExtractor, featureOptionsOf } from '@earshot/core/features/compute-features';
import type { BatchItem, ItemDecode } from '@earshot/core/model/inference-runner';
import { SenseVoiceSession } from '@earshot/core/model/sense-voice-session';
import { ThreadedRunner } from '@earshot/core/model/threaded-runner';
import { TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR, TINY_MODEL_DIR } from './setup/paths.js';

const RUNTIME = { threads: 1, provider: 'cpu' as const, deviceId: 0 };
const EMO_UNKNOWN = '<|EMO_UNKNOWN|>';

describe.each([
  ['tiny', TINY_MODEL_DIR],
  ['tiny-tagged', TAGGED_TINY_MODEL_DIR],
])('in-graph decoding on the %s model', (_name, dir) => {
  let edited: SenseVoiceSession;
  let fromCache: SenseVoiceSession;
  let reference: SenseVoiceSession;
  let cacheDir: string;
  let symbols: SymbolTable;
  let tagIds: number[];
  let items: BatchItem[];

  beforeAll(async () => {
    symbols = await SymbolTable.fromFile(join(dir, 'tokens.txt'));
    tagIds = queryTagIds(symbols);
    const modelPath = join(dir, 'model.onnx');
    // A private model cache: the first session writes the optimised copy, the second loads it.
    cacheDir = await mkdtemp(join(tmpdir(), 'earshot-graph-cache-'));
    const runtime = { ...RUNTIME, modelCache: { dir: cacheDir, maxBytes: 1e9 } };
    edited = await SenseVoiceSession.create(modelPath, runtime, { queryTagIds: tagIds });
    fromCache = await SenseVoiceSession.create(modelPath, runtime, { queryTagIds: tagIds });
    expect([edited.origin, fromCache.origin]).toEqual(['optimized-written', 'optimized-cache']);
    reference = await SenseVoiceSession.create(modelPath, RUNTIME, { queryTagIds: tagIds, inGraph: false });
    const m = edited.metadata;
    const features = new FeatureExtractor(featureOptionsOf(m));
    items = [];
    // Slices of several files, 0.02 s (no frame) … 8 s, every language id and both text norms.
    const languages = [m.languageIds.auto, m.languageIds.en, m.languageIds.zh, m.languageIds.ja];
    for (const [f, file] of ['en-zh-silence.wav', 'en.wav', 'zh.wav', 'long-45s.wav'].entries()) {
      const audio = await readAudioFile(join(TEST_AUDIO_DIR, file), { ffmpegPath: null });
      [0.02, 0.7, 2.5, 5, 8].forEach((s, i) => {
        const from = Math.min(16000 * i * 0.9, Math.max(0, audio.samples.length - s * 16000));
        const feats = features.compute(audio.samples.subarray(from, from + Math.round(s * 16000)));
        items.push({
          features: feats.data,
          frames: feats.frames,
          languageId: languages[(f + i) % languages.length]!,
          textNormId: i % 2 ? m.withItn : m.withoutItn,
        });
      });
    }
  }, 120_000);
  afterAll(async () => {
    await edited?.close();
    await fromCache?.close();
    await reference?.close();
    await rm(cacheDir, { recursive: true, force: true });
  });

  /** Both sessions on the same batches: singles, one padded batch of all, and mixed batches. */
  async function compare(batch: BatchItem[]): Promise<ItemDecode[]> {
    const [a, b] = [await edited.decodeBatch(batch), await reference.decodeBatch(batch)];
    expect(await fromCache.decodeBatch(batch)).toEqual(a); // the optimised copy computes the same
    expect(a.map(({ ids, frames }) => ({ ids, frames }))).toEqual(b.map(({ ids, frames }) => ({ ids, frames })));
    a.forEach((d, i) => {
      const r = b[i]!;
      expect(d.queryLogProbs).toHaveLength(4 * tagIds.length);
      let maxDiff = 0;
      d.queryLogProbs!.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - r.queryLogProbs![j]!))));
      expect(maxDiff).toBeLessThan(1e-4);
      const timing = { segmentStartS: 0, lfrWindowShift: 6 };
      const [x, y] = [decodeSenseVoiceOutput(d, symbols, timing), decodeSenseVoiceOutput(r, symbols, timing)];
      expect([x.language, x.emotion, x.event, x.itn, x.text]).toEqual([y.language, y.emotion, y.event, y.itn, y.text]);
    });
    return a;
  }

  async function compareAll(bannedIds: number[]): Promise<ItemDecode[]> {
    const banned = items.map((it) => ({ ...it, bannedIds }));
    const all = await compare(banned);
    for (const it of banned) await compare([it]);
    await compare([banned[0]!, banned[7]!, banned[19]!]); // 0 frames, short and long in one padded batch
    await compare(banned.filter((_, i) => i % 3 === 1));
    return all;
  }

  it('gives the ids, frames and tags of the unedited graph, padded batches included', async () => {
    const all = await compareAll([]);
    expect(all.some((d) => d.ids.length > 4)).toBe(true);
  });

  it('gives the same results with banEmotionUnknown and with a banned id the model does pick', async () => {
    const plain = await edited.decodeBatch(items);
    await compareAll([symbols.id(EMO_UNKNOWN)!]);
    // Ban what the emotion slot and a speech frame chose: the second-best must be the one taken.
    const emotion = plain.find((d) => d.ids.length >= 3)!.ids[1]!;
    const speech = plain.find((d) => d.ids.length > 5)!.ids[5]!;
    for (const id of [emotion, speech]) {
      const banned = await compareAll([id]);
      expect(banned.every((d) => !d.ids.includes(id))).toBe(true);
      expect(banned).not.toEqual(plain);
    }
  });

  it('returns the tag log-probabilities through the worker thread too', async () => {
    const threaded = await ThreadedRunner.start(join(dir, 'model.onnx'), RUNTIME, { queryTagIds: tagIds });
    try {
      expect(threaded.queryTagIds).toEqual(tagIds);
      const out = await threaded.decodeBatch(items.slice(0, 5));
      expect(out).toEqual(await edited.decodeBatch(items.slice(0, 5)));
      // Each row is a distribution over the tag ids.
      const k = tagIds.length;
      for (let q = 0; q < 4; q++) {
        const row = out[1]!.queryLogProbs!.subarray(q * k, (q + 1) * k);
        expect(row.reduce((s, v) => s + Math.exp(v), 0)).toBeCloseTo(1, 4);
      }
    } finally {
      await threaded.close();
    }
  });
});

describe('in-graph decoding, errors', () => {
  it('refuses tag ids outside the vocabulary (tokens.txt of another model) as MODEL_INVALID', async () => {
    const err = await SenseVoiceSession.create(join(TINY_MODEL_DIR, 'model.onnx'), RUNTIME, { queryTagIds: [25055] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('MODEL_INVALID');
    expect((err as AppError).message).toContain('tokens.txt');
  });
});

describe('the model cache', () => {
  it('writes the edited and optimised models once, loads the optimised copy by path afterwards, and falls back without a cache', async () => {
    // A private copy of the model and a private cache directory.
    const dir = await mkdtemp(join(tmpdir(), 'earshot-cache-test-'));
    const modelPath = join(dir, 'model.onnx');
    const cacheDir = join(dir, 'cache');
    await copyFile(join(TINY_MODEL_DIR, 'model.onnx'), modelPath);
    const tagIds = queryTagIds(await SymbolTable.fromFile(join(TINY_MODEL_DIR, 'tokens.txt')));
    const runtime = { ...RUNTIME, modelCache: { dir: cacheDir, maxBytes: 1e9 } };
    const entries = async (): Promise<string[]> => (await readdir(cacheDir)).filter((f) => !f.startsWith('.')).sort();
    try {
      const first = await SenseVoiceSession.create(modelPath, runtime, { queryTagIds: tagIds });
      await first.close();
      expect(first.origin).toBe('optimized-written');
      const made = await entries();
      expect(made).toHaveLength(2); // the edited model and its optimised copy
      const [editedEntry, optimizedEntry] = [made.find((f) => !f.includes('.opt-'))!, made.find((f) => f.includes('.opt-'))!];
      expect(await readdir(join(cacheDir, editedEntry))).toEqual(['model.onnx', 'source.json']);
      expect((await readdir(join(cacheDir, optimizedEntry))).sort()).toEqual(['model.onnx', 'model.onnx.data', 'source.json']);
      expect((await stat(join(cacheDir, editedEntry, 'model.onnx'))).size).toBeGreaterThan((await stat(modelPath)).size);
      const written = await stat(join(cacheDir, optimizedEntry, 'model.onnx.data'));

      const second = await SenseVoiceSession.create(modelPath, runtime, { queryTagIds: tagIds });
      await second.close();
      expect(second.origin).toBe('optimized-cache');
      expect((await stat(join(cacheDir, optimizedEntry, 'model.onnx.data'))).mtimeMs).toBe(written.mtimeMs); // reused
      expect(await entries()).toEqual(made);

      // An entry removed between two starts is made again; no optimised copy when turned off; no cache at all.
      await rm(join(cacheDir, optimizedEntry), { recursive: true });
      const again = await SenseVoiceSession.create(modelPath, runtime, { queryTagIds: tagIds });
      await again.close();
      expect(again.origin).toBe('optimized-written');
      // A damaged copy (truncated by a full disk, say) is dropped and written again.
      await writeFile(join(cacheDir, optimizedEntry, 'model.onnx'), 'not a model');
      const repaired = await SenseVoiceSession.create(modelPath, runtime, { queryTagIds: tagIds });
      await repaired.close();
      expect(repaired.origin).toBe('optimized-written');
      expect((await stat(join(cacheDir, optimizedEntry, 'model.onnx'))).size).toBeGreaterThan(1000);
      const plain = await SenseVoiceSession.create(modelPath, { ...runtime, optimizedModelCache: false }, { queryTagIds: tagIds });
      await plain.close();
      expect(plain.origin).toBe('edited-file');
      const none = await SenseVoiceSession.create(modelPath, { ...runtime, modelCache: null }, { queryTagIds: tagIds });
      await none.close();
      expect(none.origin).toBe('edited-bytes');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
