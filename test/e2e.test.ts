/**
 * Earshot end to end: the API (`apps/api/dist/main.js`) and the worker (`apps/worker/dist/main.js`)
 * run as child processes against real Redis and real S3 (radosgw, signature-checking), the worker on
 * the tiny generated model. A local receiver verifies every webhook with the Standard Webhooks
 * reference verifier; a local HTTP server plays the audio host for `url` sources.
 *
 * Isolation: this file's run has its own queue names, BullMQ prefix, Redis key prefix, bucket and
 * storage prefix, all removed in afterAll, and it kills every child it started.
 */
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEnv } from '@earshot/core/config/env';
import { generateWebhookSecret } from '@earshot/core/webhooks/sign';
import { REPO_ROOT, TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR } from './setup/paths.js';
import { makeTestBucket, type TestBucket } from './setup/s3.js';
import { createChildGroup, type Child } from './support/child-processes.js';

const run = randomBytes(4).toString('hex');
const names = {
  queue: `e2e-${run}`,
  webhookQueue: `e2e-webhooks-${run}`,
  queuePrefix: `bull-e2e-${run}`,
  keyPrefix: `earshot-e2e:${run}:`,
  storagePrefix: `e2e-${run}/`,
};
const TENANT = 'e2e';
const API_KEY = `e2e-key-${randomBytes(12).toString('hex')}`;
const WEBHOOK_SECRET = generateWebhookSecret();
const JOB_TIMEOUT_MS = 90_000;

// ---------- child processes ----------

const group = createChildGroup(run, 'earshot-e2e-logs');
const startChild = group.start;
const stopChild = group.stop;

// ---------- local servers: webhook receiver and audio host ----------

interface Delivery {
  path: string;
  id: string;
  verified: boolean;
  payload: { type: string; data: Record<string, unknown> & { jobId: string } };
}

const deliveries: Delivery[] = [];
/** Status codes to answer per receiver path, in order; 200 once a list is used up. */
const replies = new Map<string, number[]>();

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const verifier = new Webhook(WEBHOOK_SECRET);
const receiver = createServer((req, res) => {
  void readBody(req).then((raw) => {
    const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === 'string'));
    let verified = true;
    try {
      verifier.verify(raw, headers);
    } catch {
      verified = false;
    }
    const path = req.url ?? '';
    deliveries.push({ path, id: headers['webhook-id'] ?? '', verified, payload: JSON.parse(raw) as Delivery['payload'] });
    const status = verified ? (replies.get(path)?.shift() ?? 200) : 401;
    res.writeHead(status).end();
  });
});
const audioHost = createServer((req, res) => {
  const file = (req.url ?? '').replace(/^\/audio\//, '');
  if (!/^[a-z0-9.-]+$/.test(file)) return void res.writeHead(404).end();
  readFile(join(TEST_AUDIO_DIR, file)).then(
    (body) => res.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body),
    () => res.writeHead(404).end(),
  );
});
let receiverUrl = '';
let audioUrl = '';

// ---------- API client ----------

let apiUrl = '';

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${API_KEY}`);
  return fetch(`${apiUrl}${path}`, { ...init, headers });
}

async function submitJson(body: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Response> {
  return api('/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

async function submitFile(file: string, fields: Record<string, string> = {}): Promise<string> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  form.append('file', new Blob([await readFile(join(TEST_AUDIO_DIR, file))], { type: 'application/octet-stream' }), file);
  const res = await api('/v1/jobs', { method: 'POST', body: form });
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.id;
}

async function idOf(res: Response): Promise<string> {
  const body = (await res.json()) as { id: string };
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.id;
}

type JobResource = {
  id: string;
  status: string;
  attempts: number;
  error: { code: string; message: string } | null;
  alerts: unknown[];
  result: { synthetic: boolean; segments: number } | null;
};

async function getJob(id: string): Promise<JobResource> {
  const res = await api(`/v1/jobs/${id}`);
  expect(res.status).toBe(200);
  return (await res.json()) as JobResource;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false>, timeoutMs = JOB_TIMEOUT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      const logs = group.tails();
      throw new Error(`timed out waiting for ${what}\n${logs}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function waitForStatus(id: string, statuses: string[], timeoutMs = JOB_TIMEOUT_MS): Promise<JobResource> {
  return waitFor(`job ${id} to be ${statuses.join('/')}`, async () => {
    const job = await getJob(id);
    return statuses.includes(job.status) ? job : null;
  }, timeoutMs);
}

function deliveriesFor(jobId: string, type?: string): Delivery[] {
  return deliveries.filter((d) => d.payload.data.jobId === jobId && (type === undefined || d.payload.type === type));
}

async function waitForWebhook(jobId: string, type: string): Promise<Delivery> {
  return waitFor(`${type} webhook of ${jobId}`, async () => deliveriesFor(jobId, type)[0]);
}

/** Every format of a completed job's result, checked for shape. */
async function checkResults(id: string): Promise<void> {
  const fetchFormat = async (format: string): Promise<string> => {
    const res = await api(`/v1/jobs/${id}/result?format=${format}`);
    expect(res.status, format).toBe(200);
    return res.text();
  };
  const json = JSON.parse(await fetchFormat('json')) as { model: { synthetic: boolean }; segments: { text: string }[]; notice?: string };
  expect(json.model.synthetic).toBe(true);
  expect(json.notice).toMatch(/not a transcription/);
  expect(json.segments.length).toBeGreaterThan(0);
  const cues = json.segments.filter((s) => s.text.length > 0).length;

  const srt = (await fetchFormat('srt')).trim();
  const srtBlocks = srt === '' ? [] : srt.split(/\r?\n\r?\n/);
  for (const block of srtBlocks) expect(block).toMatch(/^\d+\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\r?\n.+/);
  // A long segment may become several cues; an empty one none.
  expect(srtBlocks.length).toBeGreaterThanOrEqual(cues);

  const vtt = await fetchFormat('vtt');
  expect(vtt.startsWith('WEBVTT')).toBe(true);
  const vttCues = vtt
    .split(/\r?\n\r?\n/)
    .slice(1)
    .filter((b) => b.trim() !== '' && !b.startsWith('NOTE'));
  for (const cue of vttCues) expect(cue).toMatch(/\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}/);
  expect(vttCues.length).toBe(srtBlocks.length);

  await fetchFormat('txt');
  await fetchFormat('rich');
}

// ---------- stack ----------

let bucket: TestBucket;
let dataDir: string;
let redis: Redis;
let workerEnv: Record<string, string>;
let worker: Child;

function baseEnv(): Record<string, string> {
  // The children get this machine's environment minus any Earshot/S3 settings, plus the test's.
  const inherited = Object.entries(processEnv()).filter(
    (e): e is [string, string] => e[1] !== undefined && !/^(EARSHOT_|S3_|REDIS_URL$)/.test(e[0]),
  );
  return {
    ...Object.fromEntries(inherited),
    REDIS_URL: 'redis://127.0.0.1:6379',
    EARSHOT_KEY_PREFIX: names.keyPrefix,
    EARSHOT_QUEUE_PREFIX: names.queuePrefix,
    EARSHOT_QUEUE: names.queue,
    EARSHOT_WEBHOOK_QUEUE: names.webhookQueue,
    EARSHOT_STORAGE: 's3',
    S3_BUCKET: bucket.bucket,
    S3_ENDPOINT: bucket.endpoint,
    S3_REGION: bucket.region,
    S3_FORCE_PATH_STYLE: 'true',
    S3_ACCESS_KEY_ID: bucket.accessKeyId,
    S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
    EARSHOT_STORAGE_PREFIX: names.storagePrefix,
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_WEBHOOK_SECRETS: WEBHOOK_SECRET,
    // Short webhook retries and job backoff keep the test fast.
    EARSHOT_WEBHOOK_SCHEDULE_MS: '0,300,600',
    EARSHOT_JOB_ATTEMPTS: '2',
    EARSHOT_JOB_BACKOFF_MS: '200',
    EARSHOT_LOG_LEVEL: 'info',
  };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function startWorker(): Promise<Child> {
  return startChild('worker', 'apps/worker/dist/main.js', workerEnv, 'worker ready');
}

beforeAll(async () => {
  // Children run the built apps: (re)build what is missing or stale (tsc -b is incremental).
  await promisify(execFile)('npx', ['tsc', '-b', 'packages/core', 'apps/api', 'apps/worker'], { cwd: REPO_ROOT, timeout: 240_000 });

  [bucket, dataDir] = await Promise.all([makeTestBucket(), mkdtemp(join(tmpdir(), 'earshot-e2e-'))]);
  redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
  receiverUrl = await listen(receiver);
  audioUrl = await listen(audioHost);

  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  // The audio server and the webhook receiver live on 127.0.0.1: allow private destinations.
  const env = { ...baseEnv(), EARSHOT_PUBLIC_URL: apiUrl, EARSHOT_ALLOW_PRIVATE_NETWORK: 'true' };
  workerEnv = {
    ...env,
    // Tagged slots: real language/emotion/event tags (en, NEUTRAL, Speech), so alert rules can match.
    EARSHOT_MODEL_DIR: TAGGED_TINY_MODEL_DIR,
    EARSHOT_THREADS: '1',
    EARSHOT_WORKER_CONCURRENCY: '4',
    EARSHOT_WORKER_METRICS_HOST: '127.0.0.1',
    EARSHOT_WORKER_METRICS_PORT: '0',
    // Short lock and stalled-check interval: the SIGKILL test recovers its job in seconds.
    EARSHOT_WORKER_LOCK_DURATION_MS: '5000',
    EARSHOT_WORKER_STALLED_INTERVAL_MS: '2000',
    EARSHOT_WORKER_DRAIN_TIMEOUT_MS: '10000',
  };
  const apiEnv = {
    ...env,
    EARSHOT_HOST: '127.0.0.1',
    EARSHOT_PORT: String(port),
    EARSHOT_API_KEYS: `${API_KEY}:${TENANT}`,
    EARSHOT_ALLOW_HTTP_SOURCES: 'true',
  };
  [, worker] = await Promise.all([startChild('api', 'apps/api/dist/main.js', apiEnv, 'earshot api listening'), startWorker()]);
});

afterAll(async () => {
  await group.stopAll();
  await Promise.all([receiver, audioHost].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  if (redis) {
    for (const pattern of [`${names.keyPrefix}*`, `${names.queuePrefix}:*`]) {
      const keys = await redis.keys(pattern);
      if (keys.length) await redis.del(...keys);
    }
    await redis.quit();
  }
  await bucket?.cleanup();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('Earshot end to end (API + worker processes, Redis, S3)', () => {
  let uploadedJobId = '';

  it('transcribes a multipart upload: every result format, a verified job.completed webhook', async () => {
    const id = await submitFile('en.wav', {
      'webhook.url': `${receiverUrl}/hooks/upload`,
      metadata: JSON.stringify({ ticket: 'T-1' }),
      language: 'en',
    });
    uploadedJobId = id;
    const job = await waitForStatus(id, ['completed', 'failed']);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.result?.synthetic).toBe(true);
    await checkResults(id);

    const hook = await waitForWebhook(id, 'job.completed');
    expect(hook.verified).toBe(true);
    expect(hook.path).toBe('/hooks/upload');
    expect(hook.payload.data).toMatchObject({ status: 'completed', metadata: { ticket: 'T-1' } });
    expect((hook.payload.data.links as Record<string, string>).self).toBe(`${apiUrl}/v1/jobs/${id}`);
  });

  it('transcribes a presigned upload sent straight to S3', async () => {
    const bytes = await readFile(join(TEST_AUDIO_DIR, 'zh.wav'));
    const res = await api('/v1/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'zh.wav', contentType: 'audio/wav', sizeBytes: bytes.length }),
    });
    expect(res.status).toBe(201);
    const ticket = (await res.json()) as { uploadId: string; url: string; headers: Record<string, string> };
    expect(ticket.url.startsWith(`${bucket.endpoint}/${bucket.bucket}/`)).toBe(true); // presigned S3, not the API
    const put = await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: bytes });
    expect(put.status).toBe(200);
    const id = await idOf(await submitJson({ audio: { uploadId: ticket.uploadId } }));
    expect((await waitForStatus(id, ['completed', 'failed'])).status).toBe('completed');
    await checkResults(id);
  });

  it('transcribes an s3:// object of the caller (MP3, decoded by ffmpeg)', async () => {
    const key = `inputs-${run}/en-zh-silence.mp3`;
    await bucket.client.send(
      new PutObjectCommand({ Bucket: bucket.bucket, Key: key, Body: await readFile(join(TEST_AUDIO_DIR, 'en-zh-silence.mp3')) }),
    );
    const id = await idOf(await submitJson({ audio: { s3Uri: `s3://${bucket.bucket}/${key}` } }));
    const job = await waitForStatus(id, ['completed', 'failed']);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    await checkResults(id);
  });

  it('transcribes audio the worker downloads from a URL', async () => {
    const id = await idOf(await submitJson({ audio: { url: `${audioUrl}/audio/en.wav` }, webhook: { url: `${receiverUrl}/hooks/url` } }));
    expect((await waitForStatus(id, ['completed', 'failed'])).status).toBe('completed');
    await checkResults(id);
    expect((await waitForWebhook(id, 'job.completed')).verified).toBe(true);
  });

  it('fails corrupt audio with its code and a verified job.failed webhook', async () => {
    const id = await submitFile('corrupt.mp3', { 'webhook.url': `${receiverUrl}/hooks/corrupt` });
    const job = await waitForStatus(id, ['completed', 'failed']);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toMatch(/^AUDIO_(CORRUPT|UNSUPPORTED_FORMAT)$/);
    const hook = await waitForWebhook(id, 'job.failed');
    expect(hook.verified).toBe(true);
    expect(hook.payload.data).toMatchObject({ status: 'failed', error: { code: job.error?.code } });
    const result = await api(`/v1/jobs/${id}/result`);
    expect(((await result.json()) as { code: string }).code).toBe('RESULT_NOT_AVAILABLE');
  });

  it('retries a webhook the receiver answers 500: the same webhook-id arrives twice, attempts are listed', async () => {
    replies.set('/hooks/flaky', [500]);
    const id = await idOf(await submitJson({ audio: { url: `${audioUrl}/audio/en.wav` }, webhook: { url: `${receiverUrl}/hooks/flaky` } }));
    await waitForStatus(id, ['completed']);
    await waitFor('the retried delivery', async () => deliveriesFor(id, 'job.completed').length >= 2);
    const [first, second] = deliveriesFor(id, 'job.completed');
    expect(first?.verified && second?.verified).toBe(true);
    expect(second?.id).toBe(first?.id);
    const attempts = await waitFor('two recorded attempts', async () => {
      const body = (await (await api(`/v1/jobs/${id}/webhooks`)).json()) as { data: { eventId: string; statusCode: number; outcome: string }[] };
      return body.data.length >= 2 ? body.data : null;
    });
    expect(attempts.map((a) => [a.statusCode, a.outcome])).toEqual([
      [500, 'retrying'],
      [200, 'delivered'],
    ]);
    expect(attempts[0]?.eventId).toBe(first?.id);
  });

  it('replays an Idempotency-Key with the same body and refuses it with another (409)', async () => {
    const key = `idem-${run}`;
    const body = { audio: { url: `${audioUrl}/audio/zh.wav` }, language: 'zh' };
    const firstRes = await submitJson(body, { 'idempotency-key': key });
    const first = await idOf(firstRes);
    const replay = await submitJson(body, { 'idempotency-key': key });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(((await replay.json()) as { id: string }).id).toBe(first);
    const other = await submitJson({ ...body, language: 'en' }, { 'idempotency-key': key });
    expect(other.status).toBe(409);
    expect(((await other.json()) as { code: string }).code).toBe('IDEMPOTENCY_KEY_REUSED');
    await waitForStatus(first, ['completed']);
  });

  it('cancels a queued job (twice: same answer), then purges it', async () => {
    const queue = new Queue(names.queue, { connection: redis, prefix: names.queuePrefix });
    await queue.pause(); // holds the job in the queue however fast the worker is
    try {
      const id = await idOf(await submitJson({ audio: { url: `${audioUrl}/audio/en.wav` } }));
      const canceled = await api(`/v1/jobs/${id}`, { method: 'DELETE' });
      expect(canceled.status).toBe(202);
      expect(((await canceled.json()) as JobResource).status).toBe('canceled');
      expect(await queue.getJob(id)).toBeUndefined();
      expect((await api(`/v1/jobs/${id}`, { method: 'DELETE' })).status).toBe(202); // a repeated cancel
      expect((await api(`/v1/jobs/${id}?purge=true`, { method: 'DELETE' })).status).toBe(204);
      expect((await api(`/v1/jobs/${id}`)).status).toBe(404);
    } finally {
      await queue.resume();
      await queue.close();
    }
  });

  it('cancels a job while the worker processes it; the worker stops and stores no result', async () => {
    const id = await idOf(await submitJson({ audio: { url: `${audioUrl}/audio/en-60s.wav` } }));
    await waitForStatus(id, ['processing', 'completed']);
    const res = await api(`/v1/jobs/${id}`, { method: 'DELETE' });
    if (res.status === 409) return; // finished before the cancel landed (a very fast machine): nothing to check
    expect(res.status).toBe(202);
    await new Promise((resolve) => setTimeout(resolve, 3000)); // longer than the worker's cancel poll + a batch
    const job = await getJob(id);
    expect(job.status).toBe('canceled');
    expect(job.result).toBeNull();
    const listed = await bucket.client.send(
      new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: `${names.storagePrefix}tenants/${TENANT}/jobs/${id}/results/` }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('lists jobs with a status filter and a cursor, and deletes a finished job with its stored objects', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `status=completed&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await (await api(`/v1/jobs?${query}`)).json()) as { data: JobResource[]; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const job of page.data) expect(job.status).toBe('completed');
      seen.push(...page.data.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(uploadedJobId);

    const prefix = `${names.storagePrefix}tenants/${TENANT}/jobs/${uploadedJobId}/`;
    const before = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix }));
    expect(before.KeyCount).toBeGreaterThanOrEqual(6); // the audio and five result formats
    expect((await api(`/v1/jobs/${uploadedJobId}?purge=true`, { method: 'DELETE' })).status).toBe(204);
    expect((await api(`/v1/jobs/${uploadedJobId}`)).status).toBe(404);
    const after = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix }));
    expect(after.KeyCount ?? 0).toBe(0);
  });

  it('raises a verified job.alert webhook and lists the alerts when a rule matches', async () => {
    // The tagged tiny model labels every segment en / NEUTRAL / Speech.
    const id = await idOf(
      await submitJson({
        audio: { url: `${audioUrl}/audio/en-zh-silence.wav` },
        alerts: [{ event: 'Speech', minCount: 2 }, { emotion: 'NEUTRAL', minSeconds: 1 }, { emotion: 'ANGRY', minSeconds: 1 }],
        webhook: { url: `${receiverUrl}/hooks/alerts` },
      }),
    );
    const job = await waitForStatus(id, ['completed']);
    expect(job.alerts.map((a) => (a as { label: string }).label)).toEqual(['Speech', 'NEUTRAL']);
    const alert = await waitForWebhook(id, 'job.alert');
    expect(alert.verified).toBe(true);
    expect((alert.payload.data.alerts as { kind: string }[]).map((a) => a.kind)).toEqual(['event.speech', 'emotion.neutral']);
    await waitForWebhook(id, 'job.completed');
    const bad = await submitJson({ audio: { url: `${audioUrl}/audio/en.wav` }, alerts: [{ event: 'Fireworks' }] });
    expect(bad.status).toBe(400);
  });

  it('completes several jobs submitted at once (one worker, concurrent jobs share its engine)', async () => {
    const files = ['en.wav', 'zh.wav', 'en-zh-silence.wav', 'en.wav', 'zh.wav', 'stereo-48k.wav'];
    const ids = await Promise.all(files.map(async (f) => idOf(await submitJson({ audio: { url: `${audioUrl}/audio/${f}` } }))));
    const jobs = await Promise.all(ids.map((id) => waitForStatus(id, ['completed', 'failed'])));
    expect(jobs.map((j) => j.status)).toEqual(files.map(() => 'completed'));
  });

  it('recovers a job whose worker was killed with SIGKILL mid-job (stalled-job recovery by a new worker)', async () => {
    const id = await idOf(
      await submitJson({ audio: { url: `${audioUrl}/audio/en-60s.wav` }, webhook: { url: `${receiverUrl}/hooks/stalled` } }),
    );
    await waitForStatus(id, ['processing'], 30_000);
    worker.process.kill('SIGKILL');
    await worker.exited;
    expect((await getJob(id)).status).toBe('processing'); // nobody finished it

    worker = await startWorker();
    const job = await waitForStatus(id, ['completed', 'failed'], 120_000);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    await checkResults(id);
    await waitForWebhook(id, 'job.completed');
    expect(new Set(deliveriesFor(id, 'job.completed').map((d) => d.id)).size).toBe(1);
  });
});
