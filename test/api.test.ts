/**
 * The REST API in-process (createApp on an ephemeral port) against real Redis, with the fs store
 * on a temp directory and the S3 store on a real S3 server (radosgw via test/setup/s3.ts) where
 * storage matters (multipart uploads, presigned and API uploads, s3:// sources, deletion). No
 * worker runs: "finished" jobs are simulated through the JobStore and result objects written
 * with the store. Each API instance gets its own Redis key prefix and BullMQ queue, removed
 * afterwards; each store its own directory or bucket.
 */
import { UNSCORED_TAGS } from '@earshot/core/decoding/segment-tags';
import { segmentWords } from '@earshot/core/results/words';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { deleteKeys } from './support/redis-keys.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '@earshot/api/app';
import { loadHttpConfig } from '@earshot/core/config/http-config';
import { loadServiceConfig } from '@earshot/core/config/service-config';
import type { JobRecord } from '@earshot/core/jobs/job-record';
import { JobStore } from '@earshot/core/jobs/job-store';
import { createTranscriptionQueue, type TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import type { Transcript } from '@earshot/core/results/transcript';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { FsBlobStore } from '@earshot/core/storage/fs-blob-store';
import { resultKey } from '@earshot/core/storage/keys';
import { S3BlobStore } from '@earshot/core/storage/s3-blob-store';
import { createRedisWebhookAttemptsStore, type WebhookAttemptsStore } from '@earshot/core/webhooks/attempts-store';
import type { Queue } from 'bullmq';
import { createAudioMeasurer } from '@earshot/api/jobs/measure-audio';
import { TEST_AUDIO_DIR } from './setup/paths.js';
import { makeTestBucket, type TestBucket } from './setup/s3.js';

const RUN = randomBytes(4).toString('hex');
const KEY_T1 = `test-key-t1-${RUN}-0123456789`;
const KEY_T2 = `test-key-t2-${RUN}-0123456789`;
const AUTH = { authorization: `Bearer ${KEY_T1}` };
const AUTH_T2 = { authorization: `Bearer ${KEY_T2}` };
const logger = pino({ level: 'silent' });
const redis = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** Bytes that look like nothing in particular (the API sniffs nothing). */
const audioBytes = (n: number): Buffer => randomBytes(n);

// ---------- harness ----------

interface Api {
  url: string;
  store: BlobStore;
  jobs: JobStore;
  queue: Queue<TranscriptionJobData>;
  attempts: WebhookAttemptsStore;
  close(): Promise<void>;
}

let apiCount = 0;

/** createApp with test settings on 127.0.0.1:<ephemeral>; `env` overrides service/http settings. */
async function startApi(store: BlobStore, env: Record<string, string> = {}): Promise<Api> {
  const n = ++apiCount;
  const keyPrefix = `earshot-test:api:${RUN}:${n}:`;
  const queuePrefix = `earshot-test-bull-${RUN}`;
  const queueName = `api-${n}`;
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const s3 = store instanceof S3BlobStore;
  const envFor = {
    EARSHOT_KEY_PREFIX: keyPrefix,
    EARSHOT_QUEUE_PREFIX: queuePrefix,
    EARSHOT_QUEUE: queueName,
    EARSHOT_PUBLIC_URL: url,
    EARSHOT_STORAGE: s3 ? 's3' : 'fs',
    ...(s3 ? { S3_BUCKET: store.bucket, EARSHOT_STORAGE_PREFIX: 'store/' } : {}),
    EARSHOT_API_KEYS: `${KEY_T1}:t1, ${KEY_T2}:t2`,
    ...env,
  };
  const service = loadServiceConfig(envFor);
  const http = loadHttpConfig(envFor);
  const jobs = new JobStore({ redis, keyPrefix });
  const queue = createTranscriptionQueue({ connection: redis, name: queueName, prefix: queuePrefix });
  const attempts = createRedisWebhookAttemptsStore({ redis, keyPrefix: `${keyPrefix}webhook-attempts:` });
  const measureAudio = createAudioMeasurer({ store, ffmpegPath: 'ffmpeg', logger });
  const app = createApp({ store, jobs, queue, webhookAttempts: attempts, redis, config: { service, http, apiKeys: http.apiKeys ?? [] }, logger, measureAudio });
  server.on('request', app);
  return {
    url,
    store,
    jobs,
    queue,
    attempts,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
      await deleteKeys(redis, `${keyPrefix}*`);
      await deleteKeys(redis, `${queuePrefix}:${queueName}:*`);
    },
  };
}


interface StoreFixture {
  name: 'fs' | 's3';
  store: BlobStore;
  bucket?: TestBucket;
  cleanup(): Promise<void>;
}

async function fsStore(): Promise<StoreFixture> {
  const root = await mkdtemp(join(tmpdir(), 'earshot-api-test-'));
  return { name: 'fs', store: new FsBlobStore({ root }), cleanup: () => rm(root, { recursive: true, force: true }) };
}

async function s3Store(): Promise<StoreFixture> {
  const bucket = await makeTestBucket();
  const store = new S3BlobStore({
    bucket: bucket.bucket,
    endpoint: bucket.endpoint,
    region: bucket.region,
    accessKeyId: bucket.accessKeyId,
    secretAccessKey: bucket.secretAccessKey,
    forcePathStyle: true,
    prefix: 'store/',
  });
  return {
    name: 's3',
    store,
    bucket,
    async cleanup() {
      store.destroy();
      await bucket.cleanup();
    },
  };
}

// ---------- request helpers ----------

async function call(api: Api, method: string, path: string, init: { headers?: Record<string, string>; json?: unknown; body?: RequestInit['body'] } = {}) {
  const headers: Record<string, string> = { ...AUTH, ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const res = await fetch(`${api.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  const json = type.includes('json') && text !== '' ? (JSON.parse(text) as Record<string, any>) : null;
  return { status: res.status, headers: res.headers, text, json: json as Record<string, any> };
}

function uploadForm(file: Uint8Array, filename: string, fields: Record<string, string> = {}, fieldsFirst = true): FormData {
  const form = new FormData();
  const addFields = () => Object.entries(fields).forEach(([k, v]) => form.append(k, v));
  if (fieldsFirst) addFields();
  form.append('file', new Blob([file], { type: 'audio/wav' }), filename);
  if (!fieldsFirst) addFields();
  return form;
}

function expectProblem(res: { status: number; headers: Headers; json: Record<string, any> }, status: number, code: string): void {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.json).toMatchObject({ status, code, type: `urn:earshot:problem:${code}` });
  expect(typeof res.json.title).toBe('string');
  expect(typeof res.json.detail).toBe('string');
  expect(res.json.requestId).toBe(res.headers.get('x-request-id'));
  expect(JSON.stringify(res.json)).not.toMatch(/\n\s+at /); // no stack traces
}

async function markFinished(api: Api, id: string, change: Partial<JobRecord>): Promise<JobRecord> {
  const updated = await api.jobs.update(id, () => ({ finishedAt: new Date().toISOString(), ...change }));
  if (!updated) throw new Error(`job ${id} missing`);
  return updated;
}

function transcript(): Transcript {
  const tokens = [' hello', ' world'].map((text, i) => ({ id: i + 1, text, startS: 0.5 + i * 0.06, endS: 0.56 + i * 0.06 }));
  return {
    schemaVersion: '1.2',
    audio: { durationS: 3, format: 'wav', sampleRate: 16000, channels: 1 },
    language: 'en',
    text: 'hello world',
    richText: 'hello world',
    segments: [
      { index: 0, startS: 0.5, endS: 2.5, channel: null, language: 'en', emotion: 'NEUTRAL', event: 'Speech', itn: true, text: 'hello world', rawText: '', richText: 'hello world', tokens, words: segmentWords(tokens), ...UNSCORED_TAGS, speechProbability: null },
    ],
    emotionTimeline: [],
    eventTimeline: [],
    summary: { speechS: 2, speechRatio: 0.67, emotionSeconds: { NEUTRAL: 2 }, events: {}, languageShares: { en: 1 }, languageProbs: {}, noSpeech: { segments: 0, seconds: 0 } },
    timings: { decodeMs: 1, vadMs: 1, featuresMs: 1, inferenceMs: 1, decodingMs: 1, totalMs: 5, realTimeFactor: 0.01 },
    model: { name: 'test', file: 'model.onnx', synthetic: true, quantized: false, vocabSize: 10, executionProvider: 'cpu' },
    options: { language: 'auto', itn: true, banEmotionUnknown: false, vad: true, languages: null, dropNoSpeech: false, timelineMinConfidence: 0, channels: 'mix', channelNames: null },
  };
}

/** Writes json + txt results for a job and marks it completed, as the worker would. */
async function completeJob(api: Api, job: { id: string }, tenant = 't1'): Promise<{ json: string; txt: string }> {
  const json = `${JSON.stringify(transcript(), null, 2)}\n`;
  const txt = 'hello world\n';
  const keys = { json: resultKey(tenant, job.id, 'json'), txt: resultKey(tenant, job.id, 'txt') };
  await api.store.put(keys.json, Buffer.from(json), { contentType: 'application/json; charset=utf-8' });
  await api.store.put(keys.txt, Buffer.from(txt), { contentType: 'text/plain; charset=utf-8' });
  const t = transcript();
  await markFinished(api, job.id, {
    status: 'completed',
    progress: 1,
    result: { keys, durationS: 3, language: 'en', segments: 1, synthetic: true, summary: t.summary },
    timings: t.timings,
  });
  return { json, txt };
}

afterAll(async () => {
  await redis.quit();
});

// ---------- tests that do not depend on the store ----------

describe('API basics (fs store)', () => {
  let fixture: StoreFixture;
  let api: Api;
  beforeAll(async () => {
    fixture = await fsStore();
    api = await startApi(fixture.store);
  });
  afterAll(async () => {
    await api?.close();
    await fixture?.cleanup();
  });

  it('serves /healthz and /readyz without a key', async () => {
    const health = await fetch(`${api.url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ok', checks: { redis: 'ok', storage: 'ok' } });
  });

  it('exposes Prometheus metrics with the queue gauge and the HTTP histogram', async () => {
    const created = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/a.wav' } } });
    expect(created.status).toBe(202);
    const res = await fetch(`${api.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    const queue = api.queue.name;
    expect(text).toContain(`earshot_queue_jobs{queue="${queue}",state="waiting"} 1`);
    for (const state of ['prioritized', 'active', 'delayed', 'failed', 'completed']) {
      expect(text).toContain(`earshot_queue_jobs{queue="${queue}",state="${state}"} 0`);
    }
    expect(text).toMatch(/earshot_http_request_duration_seconds_count\{method="POST",route="\/v1\/jobs",status="202"\} 1/);
    expect(text).toContain('earshot_jobs_created_total{source="url"} 1');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('answers 401 problem JSON without or with a wrong API key', async () => {
    const none = await call(api, 'GET', '/v1/jobs', { headers: { authorization: '' } });
    expectProblem(none, 401, 'UNAUTHORIZED');
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const wrong = await call(api, 'GET', '/v1/jobs', { headers: { authorization: 'Bearer not-a-valid-key-at-all' } });
    expectProblem(wrong, 401, 'UNAUTHORIZED');
    const basic = await call(api, 'POST', '/v1/jobs', { headers: { authorization: `Basic ${KEY_T1}` }, json: {} });
    expectProblem(basic, 401, 'UNAUTHORIZED');
  });

  it('answers unknown routes with 404 problem JSON and echoes X-Request-Id', async () => {
    const res = await call(api, 'GET', '/nope', { headers: { 'x-request-id': 'req-abc.123' } });
    expectProblem(res, 404, 'NOT_FOUND');
    expect(res.json.requestId).toBe('req-abc.123');
    expect(res.json.instance).toBe('/nope');
    const generated = await call(api, 'GET', '/v1/jobs/does-not-exist', { headers: { 'x-request-id': 'bad id with spaces' } });
    expectProblem(generated, 404, 'NOT_FOUND');
    expect(generated.json.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('rejects invalid job requests with 400 VALIDATION_FAILED listing the issues', async () => {
    const bad = await call(api, 'POST', '/v1/jobs', {
      json: { audio: { url: 'https://example.com/a.wav' }, language: 'xx', priority: 0, langauge: 'en' },
    });
    expectProblem(bad, 400, 'VALIDATION_FAILED');
    const paths = (bad.json.errors as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['language', 'priority']));
    expect(bad.json.errors.some((e: { message: string }) => e.message.includes('langauge'))).toBe(true);

    const noAudio = await call(api, 'POST', '/v1/jobs', { json: { language: 'en' } });
    expectProblem(noAudio, 400, 'VALIDATION_FAILED');
    expect(noAudio.json.errors[0].path).toBe('audio');

    const two = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/a.wav', uploadId: 'x' } } });
    expectProblem(two, 400, 'VALIDATION_FAILED');

    const plainHttp = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'http://example.com/a.wav' } } });
    expectProblem(plainHttp, 400, 'VALIDATION_FAILED');
    expect(plainHttp.json.errors[0].path).toBe('audio.url');

    const bigMetadata = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/a.wav' }, metadata: { blob: 'x'.repeat(17_000) } } });
    expectProblem(bigMetadata, 400, 'VALIDATION_FAILED');
    expect(bigMetadata.json.errors[0].path).toBe('metadata');

    const malformed = await call(api, 'POST', '/v1/jobs', { headers: { 'content-type': 'application/json' }, body: '{"audio": ' });
    expectProblem(malformed, 400, 'VALIDATION_FAILED');

    const text = await call(api, 'POST', '/v1/jobs', { headers: { 'content-type': 'text/plain' }, body: 'hello' });
    expectProblem(text, 415, 'UNSUPPORTED_MEDIA_TYPE');

    const badQuery = await call(api, 'GET', '/v1/jobs?limit=101');
    expectProblem(badQuery, 400, 'VALIDATION_FAILED');
    const badCursor = await call(api, 'GET', '/v1/jobs?cursor=zzz');
    expectProblem(badCursor, 400, 'VALIDATION_FAILED');
    expect((await api.jobs.list('t1', { limit: 100 })).jobs).toHaveLength(1); // only the metrics test's job
  });

  it('creates a job from an https URL, hides URL secrets, and echoes metadata', async () => {
    const res = await call(api, 'POST', '/v1/jobs', {
      json: {
        audio: { url: 'https://user:pw@example.com/call.mp3?X-Amz-Signature=secret&id=7' },
        language: 'en',
        priority: 5,
        webhook: { url: 'https://hooks.example.com/earshot' },
        alerts: [{ emotion: 'ANGRY', minSeconds: 5 }],
        metadata: { ticket: 'T-1', nested: { a: [1, 2] } },
      },
    });
    expect(res.status).toBe(202);
    const job = res.json;
    expect(res.headers.get('location')).toBe(`${api.url}/v1/jobs/${job.id}`);
    expect(job).toMatchObject({
      status: 'queued',
      progress: 0,
      startedAt: null,
      finishedAt: null,
      error: null,
      result: null,
      alerts: [],
      metadata: { ticket: 'T-1', nested: { a: [1, 2] } },
      options: { language: 'en', itn: true, priority: 5, webhook: { url: 'https://hooks.example.com/earshot' } },
      links: { self: `${api.url}/v1/jobs/${job.id}`, webhooks: `${api.url}/v1/jobs/${job.id}/webhooks` },
    });
    expect(job.links.result).toBeUndefined();
    expect(job.source.kind).toBe('url');
    expect(job.source.url).not.toContain('secret');
    expect(job.source.url).not.toContain(':pw@');
    // The worker gets the real URL from the record; the queue payload carries ids only.
    const queued = await api.queue.getJob(job.id);
    expect(queued?.data).toEqual({ jobId: job.id, tenant: 't1', audio: null }); // a URL's duration is unknown until a worker decodes it
    expect((await api.jobs.get(job.id))?.source).toEqual({ kind: 'url', url: 'https://user:pw@example.com/call.mp3?X-Amz-Signature=secret&id=7' });
    expect(queued?.opts.priority).toBe(5);
    expect(await queued?.getState()).toBe('prioritized');
    const got = await call(api, 'GET', `/v1/jobs/${job.id}`);
    expect(got.json).toEqual(job);
    const otherTenant = await call(api, 'GET', `/v1/jobs/${job.id}`, { headers: AUTH_T2 });
    expectProblem(otherTenant, 404, 'NOT_FOUND');
  });

  it('refuses s3:// sources when storage is fs', async () => {
    const res = await call(api, 'POST', '/v1/jobs', { json: { audio: { s3Uri: 's3://some-bucket/a.wav' } } });
    expectProblem(res, 422, 'VALIDATION_FAILED');
    expect(res.json.errors[0].path).toBe('audio.s3Uri');
  });

  it('refuses unknown, foreign and empty upload ids', async () => {
    const unknown = await call(api, 'POST', '/v1/jobs', { json: { audio: { uploadId: '00000000-0000-4000-8000-000000000000' } } });
    expectProblem(unknown, 422, 'SOURCE_NOT_FOUND');
    const ticket = await call(api, 'POST', '/v1/uploads', { json: { filename: 'a.wav' } });
    expect(ticket.status).toBe(201);
    const notPut = await call(api, 'POST', '/v1/jobs', { json: { audio: { uploadId: ticket.json.uploadId } } });
    expectProblem(notPut, 422, 'SOURCE_NOT_FOUND');
    const foreign = await call(api, 'POST', '/v1/jobs', { headers: AUTH_T2, json: { audio: { uploadId: ticket.json.uploadId } } });
    expectProblem(foreign, 422, 'SOURCE_NOT_FOUND');
    const emptyPut = await fetch(ticket.json.url, { method: 'PUT', body: new Uint8Array(0) });
    expect(emptyPut.status).toBe(422);
    const wrongToken = await fetch(ticket.json.url.replace(/token=[^&]+/, 'token=nope'), { method: 'PUT', body: audioBytes(10) });
    expect(wrongToken.status).toBe(404);
    const noToken = await fetch(ticket.json.url.replace(/\?.*$/, ''), { method: 'PUT', body: audioBytes(10) });
    expect(noToken.status).toBe(401);
  });

  it('replays the same job for the same Idempotency-Key and body, 409 for another body', async () => {
    const body = { audio: { url: 'https://example.com/idem.wav' }, language: 'en', metadata: { n: 1 } };
    const key = { 'idempotency-key': `idem-${RUN}` };
    const first = await call(api, 'POST', '/v1/jobs', { headers: key, json: body });
    expect(first.status).toBe(202);
    // Same request with keys reordered and a default spelled out: the same canonical body.
    const again = await call(api, 'POST', '/v1/jobs', { headers: key, json: { metadata: { n: 1 }, itn: true, language: 'en', audio: { url: 'https://example.com/idem.wav' } } });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.json.id).toBe(first.json.id);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    const other = await call(api, 'POST', '/v1/jobs', { headers: key, json: { ...body, language: 'zh' } });
    expectProblem(other, 409, 'IDEMPOTENCY_KEY_REUSED');
    // Keys are per tenant.
    const t2 = await call(api, 'POST', '/v1/jobs', { headers: { ...key, ...AUTH_T2 }, json: { ...body, language: 'zh' } });
    expect(t2.status).toBe(202);
    expect(t2.json.id).not.toBe(first.json.id);
    const badKey = await call(api, 'POST', '/v1/jobs', { headers: { 'idempotency-key': '' }, json: body });
    expectProblem(badKey, 400, 'VALIDATION_FAILED');
  });

  it('lists jobs newest first across pages, with a status filter and tenant isolation', async () => {
    const listApi = await startApi(fixture.store);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await call(listApi, 'POST', '/v1/jobs', { json: { audio: { url: `https://example.com/${i}.wav` } } });
        expect(res.status).toBe(202);
        ids.push(res.json.id as string);
      }
      await completeJob(listApi, { id: ids[1]! });
      await completeJob(listApi, { id: ids[3]! });

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page = await call(listApi, 'GET', `/v1/jobs?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.status).toBe(200);
        expect(page.json.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.json.data.map((j: { id: string }) => j.id));
        cursor = page.json.nextCursor as string | null;
        pages++;
      } while (cursor !== null && pages < 10);
      expect(seen).toHaveLength(5);
      expect(new Set(seen)).toEqual(new Set(ids));
      const created = await Promise.all(seen.map((id) => listApi.jobs.get(id).then((j) => Date.parse(j!.createdAt))));
      expect([...created].sort((a, b) => b - a)).toEqual(created);

      const completed = await call(listApi, 'GET', '/v1/jobs?status=completed&limit=1');
      expect(completed.json.data).toHaveLength(1);
      const rest = await call(listApi, 'GET', `/v1/jobs?status=completed&limit=1&cursor=${encodeURIComponent(completed.json.nextCursor)}`);
      const completedIds = [completed.json.data[0].id, ...rest.json.data.map((j: { id: string }) => j.id)];
      expect(new Set(completedIds)).toEqual(new Set([ids[1], ids[3]]));
      expect(rest.json.data[0].links.result.json).toBe(`${listApi.url}/v1/jobs/${rest.json.data[0].id}/result?format=json`);

      const queued = await call(listApi, 'GET', '/v1/jobs?status=queued');
      expect(queued.json.data).toHaveLength(3);
      expect(queued.json.nextCursor).toBeNull();
      const defaults = await call(listApi, 'GET', '/v1/jobs');
      expect(defaults.json.data).toHaveLength(5);

      const t2 = await call(listApi, 'GET', '/v1/jobs', { headers: AUTH_T2 });
      expect(t2.json).toEqual({ data: [], nextCursor: null });
    } finally {
      await listApi.close();
    }
  });

  it('cancels a queued job (BullMQ job removed); a repeated cancel answers the same; purge deletes it', async () => {
    const res = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/cancel.wav' } } });
    const id = res.json.id as string;
    expect(await api.queue.getJob(id)).toBeDefined();
    const canceled = await call(api, 'DELETE', `/v1/jobs/${id}`);
    expect(canceled.status).toBe(202);
    expect(canceled.json).toMatchObject({ id, status: 'canceled', error: { code: 'JOB_CANCELED' } });
    expect(canceled.json.finishedAt).not.toBeNull();
    expect(await api.queue.getJob(id)).toBeUndefined();
    expect((await call(api, 'GET', `/v1/jobs/${id}`)).json.status).toBe('canceled');
    const result = await call(api, 'GET', `/v1/jobs/${id}/result`);
    expectProblem(result, 404, 'RESULT_NOT_AVAILABLE');
    // A client retrying its cancel gets the first answer again, and keeps its job.
    const again = await call(api, 'DELETE', `/v1/jobs/${id}`);
    expect(again.status).toBe(202);
    expect(again.json).toEqual(canceled.json);
    expect((await call(api, 'GET', `/v1/jobs/${id}`)).json.status).toBe('canceled');
    expectProblem(await call(api, 'DELETE', `/v1/jobs/${id}?purge=maybe`), 400, 'VALIDATION_FAILED');
    const deleted = await call(api, 'DELETE', `/v1/jobs/${id}?purge=true`);
    expect(deleted.status).toBe(204);
    expectProblem(await call(api, 'GET', `/v1/jobs/${id}`), 404, 'NOT_FOUND');
    expectProblem(await call(api, 'DELETE', `/v1/jobs/${id}?purge=true`), 404, 'NOT_FOUND');
  });

  it('refuses to purge a running job and to cancel a finished one', async () => {
    const res = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/running.wav' } } });
    const id = res.json.id as string;
    const purge = await call(api, 'DELETE', `/v1/jobs/${id}?purge=true`);
    expectProblem(purge, 409, 'JOB_NOT_FINISHED');
    expect((await api.jobs.get(id))?.status).toBe('queued');
    await completeJob(api, { id });
    const cancel = await call(api, 'DELETE', `/v1/jobs/${id}`);
    expectProblem(cancel, 409, 'JOB_ALREADY_FINISHED');
    expect(cancel.json.details).toEqual({ status: 'completed' });
    expect((await api.jobs.get(id))?.status).toBe('completed');
  });

  it('cancels a processing job by marking it canceled', async () => {
    const res = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/busy.wav' } } });
    const id = res.json.id as string;
    await api.jobs.update(id, () => ({ status: 'processing', startedAt: new Date().toISOString(), phase: 'inference', progress: 0.4 }));
    const canceled = await call(api, 'DELETE', `/v1/jobs/${id}`);
    expect(canceled.status).toBe(202);
    expect(canceled.json.status).toBe('canceled');
    expect((await api.jobs.get(id))?.status).toBe('canceled');
    const otherTenant = await call(api, 'DELETE', `/v1/jobs/${id}`, { headers: AUTH_T2 });
    expectProblem(otherTenant, 404, 'NOT_FOUND');
  });

  it('serves results: 409 while queued, stored and rendered formats once completed', async () => {
    const form = uploadForm(audioBytes(1000), 'Réunion du lundi.wav');
    const created = await call(api, 'POST', '/v1/jobs', { body: form });
    const id = created.json.id as string;
    const early = await call(api, 'GET', `/v1/jobs/${id}/result?format=txt`);
    expectProblem(early, 409, 'JOB_NOT_FINISHED');
    expect(early.json.details).toEqual({ status: 'queued' });

    const stored = await completeJob(api, { id });
    const resource = await call(api, 'GET', `/v1/jobs/${id}`);
    expect(resource.json.status).toBe('completed');
    expect(resource.json.result).toMatchObject({ durationS: 3, language: 'en', segments: 1, synthetic: true });
    expect(Object.keys(resource.json.links.result)).toEqual(['json', 'rich', 'txt', 'srt', 'vtt']);

    const json = await call(api, 'GET', `/v1/jobs/${id}/result`);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(json.text).toBe(stored.json);
    expect(json.headers.get('content-disposition')).toBe(
      `attachment; filename="R_union_du_lundi.json"; filename*=UTF-8''${encodeURIComponent('Réunion du lundi.json')}`,
    );
    const txt = await call(api, 'GET', `/v1/jobs/${id}/result?format=txt`);
    expect(txt.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(txt.text).toBe(stored.txt);
    // srt and vtt were not stored: rendered from the JSON transcript.
    const srt = await call(api, 'GET', `/v1/jobs/${id}/result?format=srt`);
    expect(srt.status).toBe(200);
    expect(srt.headers.get('content-type')).toMatch(/^application\/x-subrip/);
    expect(srt.text).toMatch(/^1\r?\n00:00:00,500 --> /);
    expect(srt.text).toContain('hello world');
    const vtt = await call(api, 'GET', `/v1/jobs/${id}/result?format=vtt`);
    expect(vtt.text.startsWith('WEBVTT')).toBe(true);
    expect(vtt.headers.get('content-disposition')).toContain('.vtt"');

    expectProblem(await call(api, 'GET', `/v1/jobs/${id}/result?format=docx`), 400, 'VALIDATION_FAILED');
    expectProblem(await call(api, 'GET', `/v1/jobs/${id}/result`, { headers: AUTH_T2 }), 404, 'NOT_FOUND');

    const failed = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/f.wav' } } });
    await markFinished(api, failed.json.id, { status: 'failed', error: { code: 'AUDIO_CORRUPT', message: 'bad audio' } });
    const failedResult = await call(api, 'GET', `/v1/jobs/${failed.json.id}/result?format=json`);
    expectProblem(failedResult, 404, 'RESULT_NOT_AVAILABLE');
    expect((await call(api, 'GET', `/v1/jobs/${failed.json.id}`)).json.error).toEqual({ code: 'AUDIO_CORRUPT', message: 'bad audio' });
  });

  it('lists webhook delivery attempts of a job', async () => {
    const created = await call(api, 'POST', '/v1/jobs', { json: { audio: { url: 'https://example.com/w.wav' }, webhook: { url: 'https://hooks.example.com/x' } } });
    const id = created.json.id as string;
    expect((await call(api, 'GET', `/v1/jobs/${id}/webhooks`)).json).toEqual({ data: [] });
    const attempt = {
      eventId: 'msg_1',
      type: 'job.completed' as const,
      url: 'https://hooks.example.com/x',
      attempt: 1,
      at: new Date().toISOString(),
      durationMs: 12,
      statusCode: 500,
      error: 'HTTP 500',
      outcome: 'retrying' as const,
    };
    await api.attempts.record(id, attempt);
    expect((await call(api, 'GET', `/v1/jobs/${id}/webhooks`)).json).toEqual({ data: [attempt] });
    expectProblem(await call(api, 'GET', `/v1/jobs/${id}/webhooks`, { headers: AUTH_T2 }), 404, 'NOT_FOUND');
  });

  it('accepts http URLs only when EARSHOT_ALLOW_HTTP_SOURCES is on', async () => {
    const open = await startApi(fixture.store, { EARSHOT_ALLOW_HTTP_SOURCES: 'true' });
    try {
      const res = await call(open, 'POST', '/v1/jobs', { json: { audio: { url: 'http://127.0.0.1:9/a.wav' } } });
      expect(res.status).toBe(202);
      const ftp = await call(open, 'POST', '/v1/jobs', { json: { audio: { url: 'ftp://example.com/a.wav' } } });
      expectProblem(ftp, 400, 'VALIDATION_FAILED');
    } finally {
      await open.close();
    }
  });
});

// ---------- storage-dependent behaviour, on both stores ----------

describe.each(['fs', 's3'] as const)('uploads and deletion with the %s store', (storeName) => {
  let fixture: StoreFixture;
  let api: Api;
  let small: Api; // 64 KiB upload limit
  const LIMIT = 64 * 1024;

  beforeAll(async () => {
    fixture = storeName === 'fs' ? await fsStore() : await s3Store();
    api = await startApi(fixture.store);
    small = await startApi(fixture.store, { EARSHOT_MAX_UPLOAD_BYTES: String(LIMIT) });
  });
  afterAll(async () => {
    await small?.close();
    await api?.close();
    await fixture?.cleanup();
  });

  async function storedKeys(tenant = 't1'): Promise<string[]> {
    return (await fixture.store.list(`tenants/${tenant}/`)).keys;
  }

  /** Stored job objects whose job record exists in neither API instance (left behind by a rejected request). */
  async function orphanKeys(): Promise<string[]> {
    const orphans: string[] = [];
    for (const key of await storedKeys()) {
      const id = /^tenants\/t1\/jobs\/([^/]+)\//.exec(key)?.[1];
      if (id && !(await api.jobs.get(id)) && !(await small.jobs.get(id))) orphans.push(key);
    }
    return orphans;
  }

  it('multipart upload: streams the file into storage and queues the job', async () => {
    const bytes = audioBytes(300_000);
    const form = uploadForm(bytes, 'meeting.wav', { options: JSON.stringify({ language: 'zh', vad: { threshold: 0.6 } }), itn: 'false', metadata: '{"caller":"+1"}' });
    const res = await call(api, 'POST', '/v1/jobs', { body: form });
    expect(res.status, res.text).toBe(202);
    const job = res.json;
    expect(job).toMatchObject({
      status: 'queued',
      source: { kind: 'upload', filename: 'meeting.wav', contentType: 'audio/wav', sizeBytes: bytes.length },
      options: { language: 'zh', itn: false, vad: { threshold: 0.6 } },
      metadata: { caller: '+1' },
    });
    const record = await api.jobs.get(job.id);
    expect(record?.source.kind).toBe('storage');
    const key = record?.source.kind === 'storage' ? record.source.key : '';
    expect(key).toBe(`tenants/t1/jobs/${job.id}/audio/source.wav`);
    expect(sha256(await fixture.store.getBytes(key))).toBe(sha256(bytes));
    const queued = await api.queue.getJob(job.id);
    expect(queued?.data).toEqual({ jobId: job.id, tenant: 't1', audio: null }); // random bytes: no duration to read
    expect(await queued?.getState()).toBe('waiting');
  });

  it('reads the audio duration from the uploaded container at submission (record, resource, queue payload)', async () => {
    const wav = await readFile(join(TEST_AUDIO_DIR, 'en-60s.wav'));
    const flac = await readFile(join(TEST_AUDIO_DIR, 'en-zh-silence.flac'));
    for (const [bytes, name] of [[wav, 'call.wav'], [flac, 'call.flac']] as const) {
      const res = await call(api, 'POST', '/v1/jobs', { body: uploadForm(bytes, name) });
      expect(res.status, res.text).toBe(202);
      const audio = res.json.audio as { durationS: number; exact: boolean };
      expect(audio.exact).toBe(false); // declared by the container; a worker's decode makes it exact
      const decoded = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', join(TEST_AUDIO_DIR, name === 'call.wav' ? 'en-60s.wav' : 'en-zh-silence.flac')]).toString());
      expect(Math.abs(audio.durationS - decoded)).toBeLessThan(0.05);
      expect((await api.jobs.get(res.json.id as string))?.audio).toEqual(audio);
      expect((await api.queue.getJob(res.json.id as string))?.data.audio).toEqual(audio);
    }
  });

  it('multipart upload: options after the file work too; bad options store nothing', async () => {
    const late = await call(api, 'POST', '/v1/jobs', { body: uploadForm(audioBytes(500), 'x.mp3', { language: 'ja' }, false) });
    expect(late.status).toBe(202);
    expect(late.json.options.language).toBe('ja');
    const before = await storedKeys();
    const early = await call(api, 'POST', '/v1/jobs', { body: uploadForm(audioBytes(500), 'x.wav', { language: 'klingon' }) });
    expectProblem(early, 400, 'VALIDATION_FAILED');
    const after = await call(api, 'POST', '/v1/jobs', { body: uploadForm(audioBytes(500), 'x.wav', { priority: '-3' }, false) });
    expectProblem(after, 400, 'VALIDATION_FAILED');
    expect(after.json.errors[0].path).toBe('priority');
    const noFile = new FormData();
    noFile.append('language', 'en');
    expectProblem(await call(api, 'POST', '/v1/jobs', { body: noFile }), 400, 'VALIDATION_FAILED');
    expect(await storedKeys()).toEqual(before);
  });

  it('multipart upload: an empty file is 422 AUDIO_EMPTY and nothing is stored', async () => {
    const before = await storedKeys();
    const res = await call(api, 'POST', '/v1/jobs', { body: uploadForm(new Uint8Array(0), 'empty.wav') });
    expectProblem(res, 422, 'AUDIO_EMPTY');
    expect(await storedKeys()).toEqual(before);
  });

  it('multipart upload: over the size limit is 413 and nothing is stored', async () => {
    // Just over the limit: the multipart body is read and the stream is cut at the limit.
    const res = await call(small, 'POST', '/v1/jobs', { body: uploadForm(audioBytes(LIMIT + 1), 'big.wav') });
    expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
    expect(res.json.details).toEqual({ maxBytes: LIMIT });
    // Exactly the limit is fine.
    const ok = await call(small, 'POST', '/v1/jobs', { body: uploadForm(audioBytes(LIMIT), 'fits.wav') });
    expect(ok.status).toBe(202);
    // Far over the limit: refused from Content-Length before the body is read.
    const huge = await fetch(`${small.url}/v1/jobs`, { method: 'POST', headers: AUTH, body: uploadForm(audioBytes(3 * 1024 * 1024), 'huge.wav') }).then(
      (r) => r.status,
      () => 'connection closed early',
    );
    expect([413, 'connection closed early']).toContain(huge);
    const jobs = await small.jobs.list('t1', { limit: 100 });
    expect(jobs.jobs.map((j) => j.id)).toEqual([ok.json.id]);
    const keys = await storedKeys();
    expect(keys.filter((k) => k.includes(`/jobs/${ok.json.id}/`))).toHaveLength(1);
    expect(await orphanKeys()).toEqual([]);
  });

  it('multipart upload: idempotent replays keep one copy of the audio', async () => {
    const bytes = audioBytes(2000);
    const key = { 'idempotency-key': `mp-${storeName}-${RUN}` };
    const first = await call(api, 'POST', '/v1/jobs', { headers: key, body: uploadForm(bytes, 'a.wav', { language: 'en' }) });
    expect(first.status).toBe(202);
    const before = await storedKeys();
    const again = await call(api, 'POST', '/v1/jobs', { headers: key, body: uploadForm(bytes, 'a.wav', { language: 'en' }) });
    expect(again.status).toBe(200);
    expect(again.json.id).toBe(first.json.id);
    expect(await storedKeys()).toEqual(before);
    const otherFile = await call(api, 'POST', '/v1/jobs', { headers: key, body: uploadForm(audioBytes(2000), 'a.wav', { language: 'en' }) });
    expectProblem(otherFile, 409, 'IDEMPOTENCY_KEY_REUSED');
    expect(await storedKeys()).toEqual(before);
  });

  it('upload flow: POST /v1/uploads, PUT the bytes to the returned URL, then create the job', async () => {
    const bytes = audioBytes(200_000);
    const ticket = await call(api, 'POST', '/v1/uploads', { json: { filename: 'call.wav', contentType: 'audio/wav', sizeBytes: bytes.length } });
    expect(ticket.status).toBe(201);
    expect(ticket.json).toMatchObject({ method: 'PUT', headers: { 'Content-Type': 'audio/wav' } });
    expect(Date.parse(ticket.json.expiresAt)).toBeGreaterThan(Date.now());
    if (storeName === 's3') {
      expect(ticket.json.url).toContain(fixture.bucket!.endpoint);
      expect(ticket.json.url).toContain('X-Amz-Signature=');
    } else {
      expect(ticket.json.url.startsWith(`${api.url}/v1/uploads/${ticket.json.uploadId}?token=`)).toBe(true);
    }
    // Exactly what a client does: PUT to the URL with the given headers, no API key.
    const put = await fetch(ticket.json.url, { method: 'PUT', headers: ticket.json.headers, body: bytes });
    expect(put.status, await put.clone().text()).toBe(200);
    await put.body?.cancel();

    const created = await call(api, 'POST', '/v1/jobs', { json: { audio: { uploadId: ticket.json.uploadId }, language: 'en' } });
    expect(created.status, created.text).toBe(202);
    expect(created.json.source).toMatchObject({ kind: 'upload', filename: 'call.wav', sizeBytes: bytes.length });
    const record = await api.jobs.get(created.json.id);
    const key = record?.source.kind === 'storage' ? record.source.key : '';
    expect(key).toBe(`tenants/t1/uploads/${ticket.json.uploadId}/source.wav`);
    expect(sha256(await fixture.store.getBytes(key))).toBe(sha256(bytes));
    expect((await api.queue.getJob(created.json.id))?.data).toEqual({ jobId: created.json.id, tenant: 't1', audio: null });

    // An upload feeds one job, and its bytes can no longer be replaced.
    const reuse = await call(api, 'POST', '/v1/jobs', { json: { audio: { uploadId: ticket.json.uploadId } } });
    expectProblem(reuse, 409, 'CONFLICT');
    if (storeName === 'fs') {
      const replace = await fetch(ticket.json.url, { method: 'PUT', headers: ticket.json.headers, body: audioBytes(10) });
      expect(replace.status).toBe(409);
      await replace.body?.cancel();
    }
  });

  it('upload flow: an upload over the limit is refused', async () => {
    const tooBig = await call(small, 'POST', '/v1/uploads', { json: { sizeBytes: LIMIT + 1 } });
    expectProblem(tooBig, 413, 'PAYLOAD_TOO_LARGE');
    const ticket = await call(small, 'POST', '/v1/uploads', { json: { filename: 'x.ogg' } });
    const put = await fetch(ticket.json.url, { method: 'PUT', body: audioBytes(LIMIT + 10) });
    if (storeName === 'fs') {
      // The API enforces the limit while streaming (413) and stores nothing.
      expect(put.status).toBe(413);
      // Chunked, without a Content-Length: the limit is enforced while streaming.
      const chunked = await fetch(ticket.json.url, {
        method: 'PUT',
        body: new Blob([audioBytes(LIMIT + 10)]).stream(),
        duplex: 'half',
      } as RequestInit & { duplex: 'half' });
      expect(chunked.status).toBe(413);
      await chunked.body?.cancel();
      expect(await fixture.store.head(`tenants/t1/uploads/${ticket.json.uploadId}/source.ogg`)).toBeNull();
    } else {
      // S3 accepts the presigned PUT; the job request enforces the limit and removes the object.
      expect(put.status).toBe(200);
      const res = await call(small, 'POST', '/v1/jobs', { json: { audio: { uploadId: ticket.json.uploadId } } });
      expectProblem(res, 413, 'PAYLOAD_TOO_LARGE');
      expect(await fixture.store.head(`tenants/t1/uploads/${ticket.json.uploadId}/source.ogg`)).toBeNull();
    }
    await put.body?.cancel();
  });

  it('deletes a finished job with its audio and results', async () => {
    const ticket = await call(api, 'POST', '/v1/uploads', { json: { filename: 'del.wav' } });
    const put = await fetch(ticket.json.url, { method: 'PUT', headers: ticket.json.headers, body: audioBytes(5000) });
    expect(put.status).toBe(200);
    await put.body?.cancel();
    const fromUpload = await call(api, 'POST', '/v1/jobs', { json: { audio: { uploadId: ticket.json.uploadId } } });
    const fromMultipart = await call(api, 'POST', '/v1/jobs', { body: uploadForm(audioBytes(5000), 'del2.wav') });
    for (const created of [fromUpload, fromMultipart]) {
      expect(created.status).toBe(202);
      const id = created.json.id as string;
      const record = await api.jobs.get(id);
      const audio = record?.source.kind === 'storage' ? record.source.key : '';
      await completeJob(api, { id });
      expect(await fixture.store.head(audio)).not.toBeNull();
      expect(await fixture.store.head(resultKey('t1', id, 'json'))).not.toBeNull();

      expectProblem(await call(api, 'DELETE', `/v1/jobs/${id}?purge=true`, { headers: AUTH_T2 }), 404, 'NOT_FOUND');
      const res = await call(api, 'DELETE', `/v1/jobs/${id}?purge=true`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(await fixture.store.head(audio)).toBeNull();
      expect(await fixture.store.head(resultKey('t1', id, 'json'))).toBeNull();
      expect(await fixture.store.head(resultKey('t1', id, 'txt'))).toBeNull();
      expect(await api.jobs.get(id)).toBeNull();
      expectProblem(await call(api, 'GET', `/v1/jobs/${id}`), 404, 'NOT_FOUND');
    }
  });

  it.runIf(storeName === 's3')('s3:// sources: existing objects are accepted, missing and foreign ones refused', async () => {
    const bucket = fixture.bucket!;
    const store = fixture.store as S3BlobStore;
    // An object the client put in the bucket outside the service's storage prefix.
    const external = new S3BlobStore({ ...bucket, forcePathStyle: true });
    try {
      await external.put('inputs/call.wav', audioBytes(100));
      await external.put('store/tenants/t2/jobs/x/audio/source.wav', audioBytes(100));
    } finally {
      external.destroy();
    }
    const uri = `s3://${store.bucket}/inputs/call.wav`;
    const ok = await call(api, 'POST', '/v1/jobs', { json: { audio: { s3Uri: uri } } });
    expect(ok.status, ok.text).toBe(202);
    expect(ok.json.source).toEqual({ kind: 's3', uri });
    expect((await api.jobs.get(ok.json.id))?.source).toEqual({ kind: 's3', uri });

    const missing = await call(api, 'POST', '/v1/jobs', { json: { audio: { s3Uri: `s3://${store.bucket}/inputs/nope.wav` } } });
    expectProblem(missing, 422, 'SOURCE_NOT_FOUND');
    const foreign = await call(api, 'POST', '/v1/jobs', { json: { audio: { s3Uri: `s3://${store.bucket}/store/tenants/t2/jobs/x/audio/source.wav` } } });
    expectProblem(foreign, 422, 'VALIDATION_FAILED');
    const malformed = await call(api, 'POST', '/v1/jobs', { json: { audio: { s3Uri: 's3://Bad_Bucket/x' } } });
    expectProblem(malformed, 400, 'VALIDATION_FAILED');

    const allowList = await startApi(fixture.store, { EARSHOT_S3_SOURCE_BUCKETS: 'some-other-bucket' });
    try {
      const notAllowed = await call(allowList, 'POST', '/v1/jobs', { json: { audio: { s3Uri: uri } } });
      expectProblem(notAllowed, 422, 'VALIDATION_FAILED');
    } finally {
      await allowList.close();
    }
  });

  it('readiness reports the store', async () => {
    const ready = await fetch(`${api.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ checks: { storage: 'ok' } });
  });
});
