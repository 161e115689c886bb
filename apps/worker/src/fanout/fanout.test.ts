/**
 * Fan-out in one process, against the real things (Redis, a BullMQ flow, the fs blob store, the
 * real Engine on the tiny model): the `transcribe` processor splits a 47 s file (fan-out at 10 s,
 * chunks of 15 s), the test runs each chunk job and then the merge job through their processors as
 * a BullMQ Worker would, and compares the result with a whole-file run. test/fanout.test.ts does
 * the same across worker processes.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { FlowProducer, Queue, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { JobOptionsSchema } from '@earshot/core/jobs/job-options';
import { newQueuedJobRecord } from '@earshot/core/jobs/job-record';
import { JobStore } from '@earshot/core/jobs/job-store';
import {
  chunkJobId,
  enqueueChunks,
  mergeJobId,
  type ChunkJobData,
  type MergeJobData,
  type TranscriptionJobData,
} from '@earshot/core/queue/transcription-queue';
import type { Transcript } from '@earshot/core/results/transcript';
import { FsBlobStore } from '@earshot/core/storage/fs-blob-store';
import { audioKey, chunkAudioKey, chunksPrefix, resultKey } from '@earshot/core/storage/keys';
import { createWebhookDispatcher, type WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import { jobEventId } from '../job-webhooks.js';
import { createJobProcessor } from '../process-job.js';
import { createChunkProcessor } from './process-chunk.js';
import { readManifest } from './chunk-objects.js';
import { createMergeProcessor } from './merge-chunks.js';
import type { FanoutSettings } from './split-job.js';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const TINY_MODEL_DIR = join(REPO_ROOT, '.cache/models/tiny');
const AUDIO_DIR = join(REPO_ROOT, '.cache/test-audio');
const TENANT = 't1';
const run = randomUUID().slice(0, 8);
const keyPrefix = `earshot-test:${run}:`;
const queuePrefix = `bull-test-${run}`;
const QUEUE = 'transcription';
const logger = pino({ level: 'silent' });

let redis: Redis;
let engine: Engine;
let store: FsBlobStore;
let dataDir: string;
let jobStore: JobStore;
let dispatcher: WebhookDispatcher;
let queue: Queue<TranscriptionJobData>;
let flows: FlowProducer;
let fanout: FanoutSettings;

beforeAll(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  engine = await loadEngine(loadEngineConfig({}, { modelDir: TINY_MODEL_DIR }), { inferenceThread: false });
  dataDir = await mkdtemp(join(tmpdir(), 'earshot-fanout-test-'));
  store = new FsBlobStore({ root: dataDir });
  jobStore = new JobStore({ redis, keyPrefix });
  dispatcher = createWebhookDispatcher({ connection: redis, queueName: 'webhooks', prefix: queuePrefix, scheduleMs: [0], logger });
  queue = new Queue<TranscriptionJobData>(QUEUE, { connection: redis, prefix: queuePrefix });
  flows = new FlowProducer({ connection: redis, prefix: queuePrefix });
  fanout = {
    minS: 10,
    chunkS: 15,
    addChunks: (input) => enqueueChunks(flows, QUEUE, input),
    isSplit: async (jobId) => (await queue.getJob(mergeJobId(jobId))) !== undefined,
  };
});

afterAll(async () => {
  await queue?.obliterate({ force: true });
  await dispatcher?.queue.obliterate({ force: true });
  await Promise.all([queue?.close(), flows?.close(), dispatcher?.close()]);
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis?.quit();
  await engine?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const deps = () => ({ store, jobStore, webhooks: dispatcher, publicUrl: 'https://earshot.example/', logger, progressIntervalMs: 50, cancelPollMs: 50 });
const transcribeProcessor = (withFanout: boolean) =>
  createJobProcessor({ ...deps(), engine, sourceMaxBytes: 10 * 1024 * 1024, sourceTimeoutMs: 10_000, ...(withFanout ? { fanout } : {}) });
const chunkProcessor = () => createChunkProcessor({ ...deps(), engine });
const mergeProcessor = () => createMergeProcessor(deps());

/** `file`: a name in .cache/test-audio or an absolute path. */
async function submit(file: string, request: Record<string, unknown> = {}): Promise<{ id: string; job: Job<TranscriptionJobData> }> {
  const id = `job-${randomUUID()}`;
  const key = audioKey(TENANT, id, 'wav');
  await store.put(key, await readFile(file.startsWith('/') ? file : join(AUDIO_DIR, file)));
  const options = JobOptionsSchema.parse({ ...request, webhook: { url: 'https://hooks.example/earshot' } });
  await jobStore.create(newQueuedJobRecord({ id, tenant: TENANT, source: { kind: 'storage', key }, options, metadata: null, idempotencyKey: null }));
  const job = await queue.add('transcribe', { jobId: id, tenant: TENANT }, { jobId: id, attempts: 2 });
  return { id, job };
}

async function chunkJobs(id: string, total: number): Promise<Job<ChunkJobData>[]> {
  const jobs = await Promise.all(Array.from({ length: total }, (_, i) => queue.getJob(chunkJobId(id, i))));
  return jobs.map((job) => job as unknown as Job<ChunkJobData>);
}

async function transcriptOf(id: string): Promise<Transcript> {
  return JSON.parse(Buffer.from(await store.getBytes(resultKey(TENANT, id, 'json'))).toString('utf8')) as Transcript;
}

async function chunkObjects(id: string): Promise<string[]> {
  return (await store.list(chunksPrefix(TENANT, id))).keys;
}

describe('fan-out (split → chunks → merge)', () => {
  it('gives the transcript of a whole-file run, counts chunks on the record and leaves no chunk objects', async () => {
    const whole = await submit('long-45s.wav');
    expect(await transcribeProcessor(false)(whole.job)).toMatchObject({ status: 'completed' });
    const expected = await transcriptOf(whole.id);

    const { id, job } = await submit('long-45s.wav');
    const split = await transcribeProcessor(true)(job);
    expect(split.status).toBe('split');
    const total = split.chunks ?? 0;
    expect(total).toBeGreaterThanOrEqual(3);
    expect((await jobStore.get(id))?.chunks).toEqual({ total, done: 0 });
    // The manifest keeps what the splitter's VAD saw in each span, for the chunk jobs' no-speech flags.
    const spans = (await readManifest(store, TENANT, id)).chunks.flatMap((c) => c.spans);
    expect(spans.length).toBe(expected.segments.length);
    spans.forEach((span, i) => expect(span.speechProbability).toEqual(expected.segments[i]!.speechProbability));
    // The chunks carry their share of the file (the backlog sums them), adding up to its length.
    const chunks = await chunkJobs(id, total);
    const shares = chunks.map((c) => c.data.audio?.durationS ?? 0);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(expected.audio.durationS, 2);
    // A re-run of the split (its worker died before BullMQ heard) adds nothing.
    expect(await transcribeProcessor(true)(job)).toEqual({ status: 'split' });

    // Chunks in any order, by any worker.
    for (const chunk of [...chunks].reverse()) expect(await chunkProcessor()(chunk)).toMatchObject({ status: 'completed' });
    const record = await jobStore.get(id);
    expect(record).toMatchObject({ status: 'processing', chunks: { total, done: total } });
    expect(record?.progress).toBeCloseTo(0.95, 3);

    const merge = (await queue.getJob(mergeJobId(id))) as unknown as Job<MergeJobData>;
    expect(merge.data).toMatchObject({ jobId: id, chunks: total });
    expect(await mergeProcessor()(merge)).toMatchObject({ status: 'completed', segments: expected.segments.length });

    const merged = await transcriptOf(id);
    expect(merged.segments.length).toBe(expected.segments.length);
    merged.segments.forEach((segment, i) => {
      const want = expected.segments[i]!;
      expect(segment.index).toBe(i);
      expect(segment.startS).toBeCloseTo(want.startS, 3);
      expect(segment.endS).toBeCloseTo(want.endS, 3);
      expect(segment.tokens.map((t) => t.id)).toEqual(want.tokens.map((t) => t.id));
      segment.tokens.forEach((t, k) => expect(Math.abs(t.startS - want.tokens[k]!.startS)).toBeLessThan(0.001));
      expect(segment.rawText).toBe(want.rawText);
      expect(segment.speechProbability).not.toBeNull();
      expect(segment.speechProbability).toEqual(want.speechProbability);
      expect(segment.noSpeech).toBe(want.noSpeech);
    });
    // Same shape: the document a whole-file run gives, built by the same builder.
    const { timings: _t1, segments: _s1, ...restMerged } = merged;
    const { timings: _t2, segments: _s2, ...restExpected } = expected;
    expect(restMerged).toEqual(restExpected);
    expect(Object.keys(merged.timings).sort()).toEqual(Object.keys(expected.timings).sort());

    const done = await jobStore.get(id);
    expect(done).toMatchObject({ status: 'completed', progress: 1, chunks: { total, done: total }, result: { segments: expected.segments.length } });
    expect(await chunkObjects(id)).toEqual([]);
    expect(await dispatcher.queue.getJob(jobEventId(id, 'job.completed'))).toBeDefined();
  });

  it('splits a per-channel job channel by channel and merges it into the whole-file transcript', async () => {
    // call-stereo.wav: 22 s, the agent's speech 0.5–17.1 s on the left (two chunks of ≤ 15 s), the customer's 6–19.9 s on the right (one).
    const options = { channels: 'separate', channelNames: ['agent', 'customer'] };
    const whole = await submit('call-stereo.wav', options);
    expect(await transcribeProcessor(false)(whole.job)).toMatchObject({ status: 'completed' });
    const expected = await transcriptOf(whole.id);
    expect(expected.channels?.map((c) => c.channel)).toEqual([0, 1]);

    const { id, job } = await submit('call-stereo.wav', options);
    const split = await transcribeProcessor(true)(job);
    expect(split.status).toBe('split');
    const total = split.chunks ?? 0;
    expect(total).toBe(3);
    const chunks = await chunkJobs(id, total);
    const shares = chunks.map((c) => c.data.audio?.durationS ?? 0);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(expected.audio.durationS, 2);
    for (const chunk of chunks) expect(await chunkProcessor()(chunk)).toMatchObject({ status: 'completed' });
    const merge = (await queue.getJob(mergeJobId(id))) as unknown as Job<MergeJobData>;
    expect(await mergeProcessor()(merge)).toMatchObject({ status: 'completed' });

    const merged = await transcriptOf(id);
    const shape = (t: Transcript): string[] => t.segments.map((s) => `${s.index}|${s.channel}|${s.startS}|${s.endS}|${s.tokens.map((k) => k.id).join(',')}`);
    expect(shape(merged)).toEqual(shape(expected));
    expect(merged.channels).toEqual(expected.channels);
    expect(merged.emotionTimeline).toEqual(expected.emotionTimeline);
    expect(merged.summary).toEqual(expected.summary);
    expect(await chunkObjects(id)).toEqual([]);
  });

  it('without VAD, flags a chunk of noise as a whole-file run does: the probabilities travel in the manifest', async () => {
    // 30 s of noise, then long-45s.wav: fixed 30 s spans [0, 30) noise, [30, 60), [60, 77) speech
    const dir = await mkdtemp(join(tmpdir(), 'earshot-fanout-noise-'));
    try {
      const file = join(dir, 'noise-then-speech.wav');
      const noise = Array<string>(15).fill(join(AUDIO_DIR, 'noise-only.wav'));
      await promisify(execFile)('sox', [...noise, join(AUDIO_DIR, 'long-45s.wav'), file]);
      const whole = await submit(file, { vad: false, dropNoSpeech: true });
      expect(await transcribeProcessor(false)(whole.job)).toMatchObject({ status: 'completed' });
      const expected = await transcriptOf(whole.id);
      expect(expected.segments.map((s) => s.noSpeech)).toEqual([true, false, false]);
      expect(expected.segments[0]!.speechProbability!.max).toBeLessThan(0.35);

      const { id, job } = await submit(file, { vad: false, dropNoSpeech: true });
      const split = await transcribeProcessor(true)(job);
      expect(split.status).toBe('split');
      const chunks = await chunkJobs(id, split.chunks ?? 0);
      expect(chunks.length).toBe(3);
      for (const chunk of chunks) expect(await chunkProcessor()(chunk)).toMatchObject({ status: 'completed' });
      const merge = (await queue.getJob(mergeJobId(id))) as unknown as Job<MergeJobData>;
      expect(await mergeProcessor()(merge)).toMatchObject({ status: 'completed' });
      const merged = await transcriptOf(id);
      expect(merged.segments.map((s) => [s.startS, s.endS, s.speechProbability, s.noSpeech])).toEqual(
        expected.segments.map((s) => [s.startS, s.endS, s.speechProbability, s.noSpeech]),
      );
      expect(merged.summary.noSpeech).toEqual({ segments: 1, seconds: 30 });
      expect(merged.text).toBe(expected.text);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends the chunks of a canceled job at once and deletes their objects', async () => {
    const { id, job } = await submit('long-45s.wav');
    const split = await transcribeProcessor(true)(job);
    const chunks = await chunkJobs(id, split.chunks ?? 0);
    expect(await chunkProcessor()(chunks[0]!)).toMatchObject({ status: 'completed' });
    await jobStore.update(id, () => ({ status: 'canceled', finishedAt: new Date().toISOString() }), ['processing']);
    for (const chunk of chunks.slice(1)) expect(await chunkProcessor()(chunk)).toEqual({ status: 'canceled' });
    const merge = (await queue.getJob(mergeJobId(id))) as unknown as Job<MergeJobData>;
    expect(await mergeProcessor()(merge)).toEqual({ status: 'canceled' });
    expect(await chunkObjects(id)).toEqual([]);
    expect((await jobStore.get(id))?.status).toBe('canceled');
    expect(await store.head(resultKey(TENANT, id, 'json'))).toBeNull();
  });

  it('fails the job with the error of a chunk that cannot run, and deletes the chunk objects', async () => {
    const { id, job } = await submit('long-45s.wav');
    const split = await transcribeProcessor(true)(job);
    const chunks = await chunkJobs(id, split.chunks ?? 0);
    await store.delete(chunkAudioKey(TENANT, id, 1)); // NOT_FOUND: not retryable
    expect(await chunkProcessor()(chunks[0]!)).toMatchObject({ status: 'completed' });
    const error = await chunkProcessor()(chunks[1]!).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    expect(await jobStore.get(id)).toMatchObject({ status: 'failed', error: { code: 'NOT_FOUND' } });
    expect(await chunkObjects(id)).toEqual([]);
    expect(await dispatcher.queue.getJob(jobEventId(id, 'job.failed'))).toBeDefined();
    // The chunks still waiting see the failed job and end without work.
    expect(await chunkProcessor()(chunks[2]!)).toEqual({ status: 'skipped' });
  });
});
