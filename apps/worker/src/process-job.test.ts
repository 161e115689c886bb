/**
 * The job processor against the real things: Redis (job records, BullMQ queues), the fs blob
 * store in a temp dir, the real Engine on the tiny generated model, the real webhook
 * dispatcher, and local HTTP servers for URL sources. Jobs are real BullMQ jobs; the test calls
 * the processor itself (what a BullMQ Worker does), so each outcome can be checked exactly.
 * Every test file run uses its own queue names and key prefix and removes them afterwards.
 */
import { randomUUID } from 'node:crypto';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import { truncateBytes } from '@earshot/core/audio/damage-audio';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { JobOptionsSchema, type JobOptionsInput } from '@earshot/core/jobs/job-options';
import { newQueuedJobRecord, type JobRecord, type JobSource } from '@earshot/core/jobs/job-record';
import { JobStore } from '@earshot/core/jobs/job-store';
import { buildTranscript } from '@earshot/core/results/build-transcript';
import type { TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import { FsBlobStore } from '@earshot/core/storage/fs-blob-store';
import { audioKey, resultKey } from '@earshot/core/storage/keys';
import { createWebhookDispatcher, type WebhookDeliveryJobData, type WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import { createJobProcessor, type JobProcessorDeps } from './process-job.js';
import { jobEventId } from './job-webhooks.js';

const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TINY_MODEL_DIR = join(REPO_ROOT, '.cache/models/tiny');
const AUDIO_DIR = join(REPO_ROOT, '.cache/test-audio');
const TENANT = 't1';
const run = randomUUID().slice(0, 8);
const keyPrefix = `earshot-test:${run}:`;
const queuePrefix = `bull-test-${run}`;
const logger = pino({ level: 'silent' });

let redis: Redis;
let engine: Engine;
let store: FsBlobStore;
let dataDir: string;
let jobStore: JobStore;
let dispatcher: WebhookDispatcher;
let queue: Queue<TranscriptionJobData>;
let http: Server;
let httpUrl: string;
const served = new Map<string, { status: number; body?: Buffer }>();

beforeAll(async () => {
  redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  engine = await loadEngine(loadEngineConfig({}, { modelDir: TINY_MODEL_DIR }), { inferenceThread: false });
  dataDir = await mkdtemp(join(tmpdir(), 'earshot-worker-test-'));
  store = new FsBlobStore({ root: dataDir });
  jobStore = new JobStore({ redis, keyPrefix });
  dispatcher = createWebhookDispatcher({ connection: redis, queueName: 'webhooks', prefix: queuePrefix, scheduleMs: [0], logger });
  // Webhook delivery jobs are only enqueued here (no webhook worker runs), so they stay inspectable.
  queue = new Queue<TranscriptionJobData>('transcription', { connection: redis, prefix: queuePrefix });
  http = createServer((req, res) => {
    const answer = served.get(req.url ?? '') ?? { status: 404 };
    res.writeHead(answer.status, answer.body ? { 'content-length': answer.body.length } : {}).end(answer.body);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => http?.close(() => resolve()));
  await queue?.obliterate({ force: true });
  await dispatcher?.queue.obliterate({ force: true });
  await queue?.close();
  await dispatcher?.close();
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis?.quit();
  await engine?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function processor(overrides: Partial<JobProcessorDeps> = {}) {
  return createJobProcessor({
    engine,
    store,
    jobStore,
    webhooks: dispatcher,
    publicUrl: 'https://earshot.example/',
    logger,
    sourceMaxBytes: 10 * 1024 * 1024,
    sourceTimeoutMs: 10_000,
    allowPrivateNetwork: true, // the audio server of these tests is on 127.0.0.1
    progressIntervalMs: 50,
    cancelPollMs: 50,
    ...overrides,
  });
}

/** A job record plus its BullMQ job, as the API creates them. */
async function submit(source: JobSource, options: JobOptionsInput = {}, attempts = 3): Promise<{ record: JobRecord; job: Job<TranscriptionJobData> }> {
  const id = `job-${randomUUID()}`;
  const record = newQueuedJobRecord({
    id,
    tenant: TENANT,
    source,
    options: JobOptionsSchema.parse({ webhook: { url: 'https://hooks.example/earshot' }, ...options }),
    metadata: { ticket: 42 },
    idempotencyKey: null,
  });
  await jobStore.create(record);
  const job = await queue.add('transcribe', { jobId: id, tenant: TENANT }, { jobId: id, attempts });
  return { record, job };
}

async function uploaded(file: string, jobId = randomUUID()): Promise<JobSource> {
  const key = audioKey(TENANT, jobId, file.split('.').pop() ?? 'bin');
  await store.put(key, await readFile(join(AUDIO_DIR, file)));
  return { kind: 'storage', key };
}

async function webhookJob(eventId: string): Promise<WebhookDeliveryJobData | undefined> {
  return (await dispatcher.queue.getJob(eventId))?.data;
}

describe('createJobProcessor', () => {
  it('transcribes an upload, stores every format, completes the record and queues job.completed', async () => {
    const { record, job } = await submit(await uploaded('en.wav'));
    const result = await processor()(job);
    expect(result).toMatchObject({ status: 'completed', segments: expect.any(Number) });

    const done = await jobStore.get(record.id);
    expect(done).toMatchObject({ status: 'completed', progress: 1, phase: 'done', error: null, alerts: [], warnings: [] });
    expect(done?.startedAt).not.toBeNull();
    expect(done?.finishedAt).not.toBeNull();
    expect(done?.result?.synthetic).toBe(true);
    expect(done?.result?.durationS).toBeCloseTo(5.959, 2);
    expect(done?.timings?.totalMs).toBeGreaterThan(0);
    for (const format of ['json', 'rich', 'txt', 'srt', 'vtt'] as const) {
      expect(done?.result?.keys[format]).toBe(resultKey(TENANT, record.id, format));
    }
    const json = JSON.parse(Buffer.from(await store.getBytes(resultKey(TENANT, record.id, 'json'))).toString('utf8'));
    expect(json.segments.length).toBe(done?.result?.segments);
    expect(Buffer.from(await store.getBytes(resultKey(TENANT, record.id, 'vtt'))).toString('utf8')).toMatch(/^WEBVTT/);

    const hook = await webhookJob(jobEventId(record.id, 'job.completed'));
    expect(hook).toMatchObject({ type: 'job.completed', jobId: record.id, url: 'https://hooks.example/earshot' });
    const payload = JSON.parse(hook?.body ?? '{}');
    expect(payload.data).toMatchObject({ jobId: record.id, status: 'completed', metadata: { ticket: 42 } });
    expect(payload.data.links.self).toBe(`https://earshot.example/v1/jobs/${record.id}`);
    expect(payload.data.links.srt).toBe(`https://earshot.example/v1/jobs/${record.id}/result?format=srt`);
    expect(await webhookJob(jobEventId(record.id, 'job.alert'))).toBeUndefined();
  });

  it('is idempotent: a re-run of a completed job changes nothing and queues no second event', async () => {
    const { record, job } = await submit(await uploaded('zh.wav'));
    await processor()(job);
    const first = await jobStore.get(record.id);
    const webhooksBefore = await dispatcher.queue.count();
    expect(await processor()(job)).toEqual({ status: 'completed' });
    expect((await jobStore.get(record.id))?.finishedAt).toBe(first?.finishedAt);
    expect(await dispatcher.queue.count()).toBe(webhooksBefore);
  });

  it('takes over a record left "processing" by a dead worker', async () => {
    const { record, job } = await submit(await uploaded('en.wav'));
    await jobStore.update(record.id, () => ({ status: 'processing', phase: 'inference', progress: 0.5 }));
    expect(await processor()(job)).toMatchObject({ status: 'completed' });
    expect((await jobStore.get(record.id))?.status).toBe('completed');
  });

  it('fails corrupt audio at once (UnrecoverableError), records the code and queues job.failed', async () => {
    const { record, job } = await submit(await uploaded('corrupt.mp3'));
    const error = await processor()(job).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnrecoverableError);
    const failed = await jobStore.get(record.id);
    expect(failed?.status).toBe('failed');
    expect(failed?.error?.code).toMatch(/^AUDIO_(CORRUPT|UNSUPPORTED_FORMAT)$/);
    expect((error as Error).message).toContain(failed?.error?.code);
    const hook = await webhookJob(jobEventId(record.id, 'job.failed'));
    expect(JSON.parse(hook?.body ?? '{}').data).toMatchObject({ status: 'failed', error: { code: failed?.error?.code } });
  });

  it('completes a partly decodable file and copies the transcript warning into the record', async () => {
    const jobId = randomUUID();
    const key = audioKey(TENANT, jobId, 'flac');
    await store.put(key, truncateBytes(await readFile(join(AUDIO_DIR, 'en-zh-silence.flac')), 0.9));
    const { record, job } = await submit({ kind: 'storage', key });
    expect(await processor()(job)).toMatchObject({ status: 'completed' });
    const done = await jobStore.get(record.id);
    expect(done?.warnings).toEqual([
      { code: 'AUDIO_PARTIALLY_DECODED', message: expect.stringContaining('[flac]'), decodedS: done?.result?.durationS, declaredS: expect.closeTo(11.12, 2) },
    ]);
    const json = JSON.parse(Buffer.from(await store.getBytes(resultKey(TENANT, record.id, 'json'))).toString('utf8'));
    expect(json.warnings).toEqual(done?.warnings);
  });

  it('retries a 5xx URL source (record back to queued) and fails it on the last attempt', async () => {
    served.set('/flaky.wav', { status: 503 });
    const { record, job } = await submit({ kind: 'url', url: `${httpUrl}/flaky.wav` }, {}, 2);
    const first = await processor()(job).catch((e: unknown) => e);
    expect(first).not.toBeInstanceOf(UnrecoverableError);
    expect((first as { code?: string }).code).toBe('SOURCE_FETCH_FAILED');
    expect(await jobStore.get(record.id)).toMatchObject({ status: 'queued', phase: 'retrying', error: { code: 'SOURCE_FETCH_FAILED' } });
    expect(await webhookJob(jobEventId(record.id, 'job.failed'))).toBeUndefined();

    job.attemptsMade = 1; // what BullMQ counts before the second (last) attempt
    const last = await processor()(job).catch((e: unknown) => e);
    expect(last).toBeInstanceOf(UnrecoverableError);
    expect(await jobStore.get(record.id)).toMatchObject({ status: 'failed', error: { code: 'SOURCE_FETCH_FAILED' } });
    expect(await webhookJob(jobEventId(record.id, 'job.failed'))).toBeDefined();
  });

  it('downloads URL sources; a 4xx fails at once and an oversized body is AUDIO_TOO_LARGE', async () => {
    served.set('/en.wav', { status: 200, body: await readFile(join(AUDIO_DIR, 'en.wav')) });
    const ok = await submit({ kind: 'url', url: `${httpUrl}/en.wav` });
    expect(await processor()(ok.job)).toMatchObject({ status: 'completed' });

    const missing = await submit({ kind: 'url', url: `${httpUrl}/nope.wav` });
    expect(await processor()(missing.job).catch((e: unknown) => e)).toBeInstanceOf(UnrecoverableError);
    expect((await jobStore.get(missing.record.id))?.error).toMatchObject({ code: 'SOURCE_FETCH_FAILED', message: expect.stringContaining('404') });

    const big = await submit({ kind: 'url', url: `${httpUrl}/en.wav` });
    await expect(processor({ sourceMaxBytes: 1000 })(big.job)).rejects.toBeInstanceOf(UnrecoverableError);
    expect((await jobStore.get(big.record.id))?.error?.code).toBe('AUDIO_TOO_LARGE');
  });

  it('does no work for a job canceled before it started', async () => {
    const { record, job } = await submit(await uploaded('en.wav'));
    await jobStore.update(record.id, () => ({ status: 'canceled', finishedAt: new Date().toISOString() }));
    expect(await processor()(job)).toEqual({ status: 'canceled' });
    expect(await store.head(resultKey(TENANT, record.id, 'json'))).toBeNull();
  });

  it('stops a running job when its record is canceled, and stores no results', async () => {
    const { record, job } = await submit(await uploaded('long-45s.wav'));
    const running = processor()(job);
    for (let i = 0; i < 200 && (await jobStore.get(record.id))?.status !== 'processing'; i++) await sleep(10);
    await jobStore.update(record.id, () => ({ status: 'canceled', finishedAt: new Date().toISOString() }), ['processing']);
    expect(await running).toEqual({ status: 'canceled' });
    expect((await jobStore.get(record.id))?.status).toBe('canceled');
    expect(await store.head(resultKey(TENANT, record.id, 'json'))).toBeNull();
  });

  it('lists matching alerts on the record and queues job.alert', async () => {
    // The tiny model's emotion/event slots hold random vocabulary pieces, never a real tag,
    // so a real model's labels are stood in for: every segment of the real transcript is
    // relabelled Laughter/ANGRY and the transcript rebuilt (summary included) by the real code.
    const relabelling: JobProcessorDeps['engine'] = {
      async transcribeFile(path, request, hooks) {
        const t = await engine.transcribeFile(path, request, hooks);
        const segments = t.segments.map((s) => ({ ...s, event: 'Laughter', emotion: 'ANGRY' }));
        return buildTranscript({ audio: t.audio, segments, timings: t.timings, model: t.model, options: t.options });
      },
    };
    const { record, job } = await submit(await uploaded('en.wav'), {
      alerts: [{ event: 'Laughter', minCount: 1 }, { emotion: 'ANGRY', minSeconds: 1, name: 'angry' }, { event: 'Cough' }],
    });
    await processor({ engine: relabelling })(job);
    const done = await jobStore.get(record.id);
    expect(done?.alerts.map((a) => a.rule)).toEqual(['event:Laughter(count≥1)', 'angry']);
    const hook = await webhookJob(jobEventId(record.id, 'job.alert'));
    const alerts = JSON.parse(hook?.body ?? '{}').data.alerts;
    expect(alerts).toMatchObject([{ kind: 'event.laughter' }, { kind: 'emotion.angry', details: { rule: 'angry' } }]);
  });
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
