/**
 * The model runtime on the tiny generated model: metadata loading and its
 * errors, padded batches equal to single runs, the dynamic batcher's budget and
 * failure isolation, and the worker-thread runner.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudioFile } from '@earshot/core/audio/decode';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { AppError } from '@earshot/core/errors/app-error';
import { FeatureExtractor, featureOptionsOf } from '@earshot/core/features/compute-features';
import { DynamicBatcher, type BatchReport } from '@earshot/core/model/dynamic-batcher';
import type { BatchItem } from '@earshot/core/model/inference-runner';
import { readOnnxMetadata } from '@earshot/core/model/onnx-metadata';
import { SenseVoiceSession } from '@earshot/core/model/sense-voice-session';
import { ThreadedRunner } from '@earshot/core/model/threaded-runner';
import { onnx } from '@earshot/modelgen/onnx-proto';
import { TEST_AUDIO_DIR, TINY_MODEL_DIR, TINY_MODEL_PATH, TINY_TOKENS_PATH } from './setup/paths.js';

const RUNTIME = { threads: 1, provider: 'cpu' as const, deviceId: 0 };

async function expectAppError(p: Promise<unknown>, code: string): Promise<AppError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

/** A copy of the tiny model with metadata changed by `edit`. */
function tinyWithMetadata(dir: string, edit: (props: { key: string; value: string }[]) => void): string {
  const model = onnx.ModelProto.decode(readFileSync(TINY_MODEL_PATH));
  const props = model.metadataProps.map((p) => ({ key: p.key ?? '', value: p.value ?? '' }));
  edit(props);
  model.metadataProps = props.map((p) => onnx.StringStringEntryProto.create(p));
  const out = join(dir, 'model.onnx');
  writeFileSync(out, onnx.ModelProto.encode(model).finish());
  copyFileSync(TINY_TOKENS_PATH, join(dir, 'tokens.txt'));
  return out;
}

describe('model metadata', () => {
  let work: string;
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'earshot-model-'));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('reads the sherpa-onnx metadata without loading the graph', async () => {
    const props = await readOnnxMetadata(TINY_MODEL_PATH);
    expect(props.vocab_size).toBe('25055');
    expect(props.lfr_window_size).toBe('7');
    expect(props.neg_mean?.split(',')).toHaveLength(560);
    expect(props.earshot_synthetic).toBe('1');
  });

  it('refuses a model that lacks a required key, naming it', async () => {
    const path = tinyWithMetadata(join(work), (p) => p.splice(p.findIndex((x) => x.key === 'lfr_window_shift'), 1));
    const err = await expectAppError(SenseVoiceSession.create(path, RUNTIME), 'MODEL_INVALID');
    expect(err.message).toContain('lfr_window_shift');
  });

  it('refuses CMVN vectors of the wrong length', async () => {
    const path = tinyWithMetadata(join(work), (p) => {
      const e = p.find((x) => x.key === 'neg_mean')!;
      e.value = e.value.split(',').slice(0, 80).join(',');
    });
    const err = await expectAppError(SenseVoiceSession.create(path, RUNTIME), 'MODEL_INVALID');
    expect(err.message).toContain('neg_mean');
  });

  it('reports missing files and non-ONNX files with their own codes', async () => {
    await expectAppError(readOnnxMetadata(join(work, 'nope.onnx')), 'MODEL_NOT_FOUND');
    const junk = join(work, 'junk.onnx');
    writeFileSync(junk, Buffer.from('this is not protobuf at all, just text'));
    await expectAppError(SenseVoiceSession.create(junk, RUNTIME), 'MODEL_INVALID');
  });
});

describe('batched inference', () => {
  let session: SenseVoiceSession;
  let items: BatchItem[];

  beforeAll(async () => {
    session = await SenseVoiceSession.create(TINY_MODEL_PATH, RUNTIME);
    const m = session.metadata;
    const features = new FeatureExtractor(featureOptionsOf(m));
    const audio = await readAudioFile(join(TEST_AUDIO_DIR, 'en-zh-silence.wav'), { ffmpegPath: null });
    // Five slices of different lengths (0.02 s … 3 s), including one shorter than a frame.
    items = [0.02, 0.5, 1.2, 2, 3].map((s, i) => {
      const from = 16000 * (1 + i * 0.7);
      const f = features.compute(audio.samples.subarray(from, from + Math.round(s * 16000)));
      return { features: f.data, frames: f.frames, languageId: m.languageIds.auto, textNormId: m.withoutItn };
    });
  });
  afterAll(async () => session?.close());

  it('gives every item of a padded batch exactly its single-item result', async () => {
    const singles = [];
    for (const it of items) singles.push((await session.decodeBatch([it]))[0]);
    const batched = await session.decodeBatch(items);
    expect(batched).toEqual(singles);
    expect(items[0]!.frames).toBe(0); // 0.02 s is under one 25 ms frame: T = 0 still decodes the 4 slots
    expect(batched[0]!.ids.length).toBeGreaterThan(0);
  });

  it('forms batches under the duration budget, shortest padding first, same results', async () => {
    const reports: BatchReport[] = [];
    const batcher = new DynamicBatcher(session, { batchSizeS: 4, maxBatchItems: 32, maxDelayMs: 0 }, (r) => reports.push(r));
    const out = await Promise.all(items.map((it) => batcher.decode(it)));
    expect(out).toEqual(await session.decodeBatch(items));
    expect(reports.length).toBeGreaterThan(1);
    for (const r of reports) {
      expect(r.ok).toBe(true);
      // longest × count ≤ budget (4 s = 66 LFR frames), unless an item is alone
      if (r.items > 1) expect(r.paddedFrames).toBeLessThanOrEqual(Math.floor(4 / 0.06));
    }
    expect(reports.reduce((s, r) => s + r.items, 0)).toBe(items.length);
  });

  it('fails only the bad item of a failing batch', async () => {
    const reports: BatchReport[] = [];
    // No padding limit: the three items must share one batch.
    const batcher = new DynamicBatcher(session, { batchSizeS: 600, maxBatchItems: 32, maxDelayMs: 0, maxPaddingShare: 1 }, (r) => reports.push(r));
    const bad: BatchItem = { ...items[2]!, frames: items[2]!.frames + 5 }; // features do not match the frame count
    const settled = await Promise.allSettled([items[1]!, bad, items[3]!].map((it) => batcher.decode(it)));
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(((settled[1] as PromiseRejectedResult).reason as AppError).code).toBe('INFERENCE_FAILED');
    expect(reports[0]).toMatchObject({ items: 3, ok: false });
  });

  it('runs the same in a worker thread', async () => {
    const threaded = await ThreadedRunner.start(TINY_MODEL_PATH, RUNTIME);
    try {
      expect(threaded.metadata.vocabSize).toBe(25055);
      expect(await threaded.decodeBatch(items)).toEqual(await session.decodeBatch(items));
      await expectAppError(threaded.decodeBatch([{ ...items[1]!, frames: 3 }]), 'INFERENCE_FAILED');
    } finally {
      await threaded.close();
    }
    await expectAppError(threaded.decodeBatch(items), 'INFERENCE_FAILED'); // closed
  });
});

describe('engine batching across requests', () => {
  it('puts segments of concurrent requests into the same model batch', async () => {
    const reports: BatchReport[] = [];
    const engine = await loadEngine(
      // A long delay, a large budget and no padding limit: the first batch waits until both
      // requests have submitted, and takes everything.
      loadEngineConfig({}, { modelDir: TINY_MODEL_DIR, threads: 1, batchDelayMs: 5000, batchSizeS: 600, batchMaxPadding: 1 }),
      { inferenceThread: true, onBatch: (r) => reports.push(r) },
    );
    try {
      const files = ['en-zh-silence.wav', 'long-45s.wav'].map((f) => readFileSync(join(TEST_AUDIO_DIR, f)));
      const [a, b] = await Promise.all(files.map((bytes) => engine.transcribe(bytes, { vad: { maxSegmentS: 10 } })));
      const largestAlone = Math.max(a!.segments.length, b!.segments.length);
      expect(reports.reduce((s, r) => s + r.items, 0)).toBe(a!.segments.length + b!.segments.length);
      // A batch bigger than either request alone can only hold segments of both.
      expect(Math.max(...reports.map((r) => r.items))).toBeGreaterThan(largestAlone);
    } finally {
      await engine.close();
    }
  });
});

describe('engine errors', () => {
  let engine: Engine;
  beforeAll(async () => {
    engine = await loadEngine(loadEngineConfig({}, { modelDir: TINY_MODEL_DIR, threads: 1 }), { inferenceThread: true });
  });
  afterAll(async () => engine?.close());

  it('turns bad input into typed errors and keeps working', async () => {
    const read = (f: string): Buffer => readFileSync(join(TEST_AUDIO_DIR, f));
    await expectAppError(engine.transcribe(new Uint8Array(0)), 'AUDIO_EMPTY');
    await expectAppError(engine.transcribe(read('empty.wav')), 'AUDIO_EMPTY');
    await expectAppError(engine.transcribe(read('random.bin')), 'AUDIO_UNSUPPORTED_FORMAT');
    await expectAppError(engine.transcribe(read('corrupt.mp3')), 'AUDIO_CORRUPT');
    await expectAppError(engine.transcribe(read('silence.wav')), 'AUDIO_SILENT');
    await expectAppError(engine.transcribe(read('en.wav'), { language: 'fr' as never }), 'INVALID_OPTIONS');
    const ok = await engine.transcribe(read('en.wav'));
    expect(ok.segments.length).toBeGreaterThan(0);
    expect(ok.model).toMatchObject({ synthetic: true, executionProvider: 'cpu' });
    expect(ok.notice).toMatch(/not a transcription/);
  });

  it('stops a canceled request', async () => {
    const ac = new AbortController();
    const p = engine.transcribe(readFileSync(join(TEST_AUDIO_DIR, 'long-45s.wav')), {}, {
      signal: ac.signal,
      onProgress: (pr) => {
        if (pr.phase === 'features') ac.abort();
      },
    });
    await expectAppError(p, 'JOB_CANCELED');
  });

  it('reports noise-only audio as a transcript with no speech', async () => {
    const t = await engine.transcribe(readFileSync(join(TEST_AUDIO_DIR, 'noise-only.wav')));
    expect(t.segments).toEqual([]);
    expect(t.summary.speechRatio).toBe(0);
  });

  it('refuses a model directory without a model', async () => {
    await expectAppError(loadEngine(loadEngineConfig({}, { modelDir: TEST_AUDIO_DIR })), 'MODEL_NOT_FOUND');
  });
});
