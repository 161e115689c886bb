/**
 * Webhook delivery end to end: real Redis (BullMQ queue + attempts store), real
 * HTTP to a local receiver that verifies every request with the Standard
 * Webhooks reference verifier. Each test gets its own queue name, BullMQ prefix
 * and attempts key prefix, and removes its keys afterwards.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { deleteKeys } from './support/redis-keys.js';
import { pino } from 'pino';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createRedisWebhookAttemptsStore, type WebhookAttempt, type WebhookAttemptsStore } from '@earshot/core/webhooks/attempts-store';
import { createWebhookDispatcher, createWebhookWorker, type WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import { createWebhookEvent, type WebhookEvent } from '@earshot/core/webhooks/event';
import { generateWebhookSecret } from '@earshot/core/webhooks/sign';

const REDIS = { host: '127.0.0.1', port: 6379 };
const logger = pino({ level: 'silent' });
const redis = new Redis({ ...REDIS, lazyConnect: false });

// ---------- receiver ----------

/** What the receiver answers to one request: a status, a status with headers, or no answer at all. */
type Reply = number | { status: number; headers: Record<string, string> } | 'hang';

interface Delivery {
  headers: Record<string, string>;
  rawBody: string;
  verified: boolean;
}

interface Receiver {
  url: string;
  deliveries: Delivery[];
  close(): Promise<void>;
}

function webhookHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (typeof value === 'string') out[name] = value;
  return out;
}

/**
 * A node:http receiver on 127.0.0.1 that verifies each request with `secret`.
 * It answers `replies` in order, then `fallback`; a request that fails
 * verification is answered 401 (what a real receiver does).
 */
async function startReceiver(secret: string, replies: Reply[] = [], fallback: Reply = 200): Promise<Receiver> {
  const deliveries: Delivery[] = [];
  const verifier = new Webhook(secret);
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const headers = webhookHeaders(req);
      let verified = true;
      try {
        verifier.verify(rawBody, headers);
      } catch {
        verified = false;
      }
      deliveries.push({ headers, rawBody, verified });
      const reply = replies.shift() ?? fallback;
      if (reply === 'hang') return;
      if (!verified) return void res.writeHead(401).end();
      if (typeof reply === 'number') return void res.writeHead(reply).end();
      res.writeHead(reply.status, reply.headers).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks/earshot`,
    deliveries,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

// ---------- harness ----------

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  // Release in reverse order of acquisition: worker before queue before keys.
  while (cleanups.length > 0) await cleanups.pop()!();
});

afterAll(async () => {
  await redis.quit();
});


interface Harness {
  dispatcher: WebhookDispatcher;
  store: WebhookAttemptsStore;
  receiver: Receiver;
  secret: string;
}

async function setup(options: {
  replies?: Reply[];
  scheduleMs?: number[];
  timeoutMs?: number;
  secrets?: string[];
  receiverSecret?: string;
  concurrency?: number;
  allowPrivateNetwork?: boolean;
}): Promise<Harness> {
  const id = randomUUID().slice(0, 8);
  const prefix = `earshot-test-${id}`;
  const queueName = `webhooks-${id}`;
  const secret = generateWebhookSecret();
  const secrets = options.secrets ?? [secret];
  const keyPrefix = `${prefix}-attempts:`;
  cleanups.push(() => deleteKeys(redis, `${prefix}*`));

  const receiver = await startReceiver(options.receiverSecret ?? secrets[0]!, options.replies ?? []);
  cleanups.push(() => receiver.close());

  const store = createRedisWebhookAttemptsStore({ redis, keyPrefix, ttlS: 600 });
  const connection = { ...REDIS, maxRetriesPerRequest: null };
  const dispatcher = createWebhookDispatcher({
    connection,
    queueName,
    prefix,
    scheduleMs: options.scheduleMs ?? [0, 200, 400],
    jitterRatio: 0,
    logger,
  });
  cleanups.push(() => dispatcher.close());
  const worker = createWebhookWorker({
    connection,
    queueName,
    prefix,
    secrets,
    timeoutMs: options.timeoutMs ?? 5_000,
    concurrency: options.concurrency ?? 2,
    attemptsStore: store,
    logger,
    // The receiver is on 127.0.0.1; one test below turns this off to see the guard refuse it.
    allowPrivateNetwork: options.allowPrivateNetwork ?? true,
  });
  cleanups.push(() => worker.close());
  return { dispatcher, store, receiver, secret: secrets[0]! };
}

async function waitUntil<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Resolves with the job's attempts once its last one is terminal (delivered, failed or gone). */
function waitForFinalAttempt(store: WebhookAttemptsStore, jobId: string): Promise<WebhookAttempt[]> {
  return waitUntil(async () => {
    const attempts = await store.list(jobId);
    return attempts.at(-1)?.outcome === 'retrying' || attempts.length === 0 ? undefined : attempts;
  }, `final webhook attempt of ${jobId}`);
}

function completedEvent(jobId: string): WebhookEvent {
  return createWebhookEvent({
    type: 'job.completed',
    jobId,
    links: { self: `https://api.example.test/v1/jobs/${jobId}`, transcript: `https://api.example.test/v1/jobs/${jobId}/transcript` },
    metadata: { orderId: 42, note: 'héllo ✓' },
  });
}

// ---------- tests ----------

/** The BullMQ delivery job of `eventId`, once it has failed for good. */
function waitForFailedDelivery(dispatcher: WebhookDispatcher, eventId: string) {
  return waitUntil(async () => {
    const found = await dispatcher.queue.getJob(eventId);
    return found && (await found.getState()) === 'failed' ? found : undefined;
  }, 'the delivery job to fail');
}

describe('webhook delivery (BullMQ + Redis + HTTP)', () => {
  it('delivers a signed job.completed event with the thin payload', async () => {
    const { dispatcher, store, receiver } = await setup({});
    const event = completedEvent('job-a');
    await dispatcher.enqueue(event, receiver.url);

    const attempts = await waitForFinalAttempt(store, 'job-a');
    expect(attempts).toMatchObject([{ eventId: event.id, type: 'job.completed', attempt: 1, statusCode: 200, error: null, outcome: 'delivered' }]);
    expect(receiver.deliveries).toHaveLength(1);
    const delivery = receiver.deliveries[0]!;
    expect(delivery.verified).toBe(true);
    expect(delivery.headers['webhook-id']).toBe(event.id);
    expect(event.id).toMatch(/^msg_[A-Za-z0-9_-]{24}$/);
    expect(delivery.headers['content-type']).toBe('application/json');
    expect(delivery.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(delivery.rawBody).toBe(JSON.stringify(event.payload));
    expect(JSON.parse(delivery.rawBody)).toEqual({
      type: 'job.completed',
      timestamp: event.payload.timestamp,
      data: {
        jobId: 'job-a',
        status: 'completed',
        links: { self: 'https://api.example.test/v1/jobs/job-a', transcript: 'https://api.example.test/v1/jobs/job-a/transcript' },
        metadata: { orderId: 42, note: 'héllo ✓' },
      },
    });
  });

  it('retries after a 500 with the same webhook-id and a fresh timestamp and signature', async () => {
    // 1.1 s before the retry so the Unix-second timestamp must differ.
    const { dispatcher, store, receiver } = await setup({ replies: [500, 200], scheduleMs: [0, 1100, 1100] });
    const event = completedEvent('job-b');
    await dispatcher.enqueue(event, receiver.url);

    const attempts = await waitForFinalAttempt(store, 'job-b');
    expect(attempts.map((a) => [a.attempt, a.statusCode, a.error, a.outcome])).toEqual([
      [1, 500, 'HTTP 500', 'retrying'],
      [2, 200, null, 'delivered'],
    ]);
    const [first, second] = receiver.deliveries;
    expect(receiver.deliveries).toHaveLength(2);
    expect(first!.verified && second!.verified).toBe(true);
    expect(second!.headers['webhook-id']).toBe(first!.headers['webhook-id']);
    expect(Number(second!.headers['webhook-timestamp'])).toBeGreaterThan(Number(first!.headers['webhook-timestamp']));
    expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature']);
    expect(second!.rawBody).toBe(first!.rawBody);
  });

  it('stops at once on 410 Gone', async () => {
    const { dispatcher, store, receiver } = await setup({ replies: [410], scheduleMs: [0, 200, 400] });
    const event = completedEvent('job-c');
    await dispatcher.enqueue(event, receiver.url);

    const job = await waitForFailedDelivery(dispatcher, event.id);
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/410/);
    expect(await store.list('job-c')).toMatchObject([{ attempt: 1, statusCode: 410, outcome: 'gone' }]);
    expect(receiver.deliveries).toHaveLength(1);
    // Failed is terminal: nothing is waiting or delayed that could deliver again.
    expect(await dispatcher.queue.getJobCounts('wait', 'delayed', 'active', 'prioritized')).toEqual({
      wait: 0,
      delayed: 0,
      active: 0,
      prioritized: 0,
    });
  });

  it('refuses a receiver on a private address unless allowed (SSRF guard), without sending anything', async () => {
    const { dispatcher, store, receiver } = await setup({ allowPrivateNetwork: false });
    const event = completedEvent('job-private');
    await dispatcher.enqueue(event, receiver.url);

    const job = await waitForFailedDelivery(dispatcher, event.id);
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/private or reserved address/);
    expect(await store.list('job-private')).toMatchObject([{ attempt: 1, statusCode: null, outcome: 'failed' }]);
    expect(receiver.deliveries).toHaveLength(0);
  });

  it('records a timeout as an error and retries', async () => {
    const { dispatcher, store, receiver } = await setup({ replies: ['hang', 200], timeoutMs: 300 });
    const event = completedEvent('job-d');
    await dispatcher.enqueue(event, receiver.url);

    const attempts = await waitForFinalAttempt(store, 'job-d');
    expect(attempts).toMatchObject([
      { attempt: 1, statusCode: null, error: 'timeout after 300 ms', outcome: 'retrying' },
      { attempt: 2, statusCode: 200, error: null, outcome: 'delivered' },
    ]);
    expect(receiver.deliveries.map((d) => d.headers['webhook-id'])).toEqual([event.id, event.id]);
  });

  it('honours Retry-After on 429', async () => {
    const replies: Reply[] = [{ status: 429, headers: { 'retry-after': '1' } }, 200];
    const { dispatcher, store, receiver } = await setup({ replies, scheduleMs: [0, 10, 10] });
    const event = completedEvent('job-r');
    await dispatcher.enqueue(event, receiver.url);

    const delayed = await waitUntil(async () => {
      const found = await dispatcher.queue.getJob(event.id);
      return found && (await found.getState()) === 'delayed' ? found : undefined;
    }, 'the delivery job to be delayed');
    // The schedule says 10 ms; the receiver asked for 1 s.
    expect(delayed.delay).toBe(1000);
    const attempts = await waitForFinalAttempt(store, 'job-r');
    expect(attempts.map((a) => a.outcome)).toEqual(['retrying', 'delivered']);
    expect(receiver.deliveries).toHaveLength(2);
  });

  it('signs with every active secret, and a wrong secret does not verify', async () => {
    const oldSecret = generateWebhookSecret();
    const newSecret = generateWebhookSecret();
    const { dispatcher, store, receiver } = await setup({ secrets: [newSecret, oldSecret], receiverSecret: oldSecret });
    const event = completedEvent('job-e');
    await dispatcher.enqueue(event, receiver.url);
    await waitForFinalAttempt(store, 'job-e');

    const { rawBody, headers, verified } = receiver.deliveries[0]!;
    expect(verified).toBe(true);
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(rawBody, headers)).toEqual(event.payload);
    expect(() => new Webhook(generateWebhookSecret()).verify(rawBody, headers)).toThrow(WebhookVerificationError);
    const tampered = rawBody.replace('job-e', 'job-f');
    expect(tampered).not.toBe(rawBody);
    expect(() => new Webhook(oldSecret).verify(tampered, headers)).toThrow(WebhookVerificationError);
  });

  it('is rejected end to end by a receiver holding a different secret', async () => {
    const { dispatcher, store, receiver } = await setup({ receiverSecret: generateWebhookSecret(), scheduleMs: [0] });
    const event = completedEvent('job-w');
    await dispatcher.enqueue(event, receiver.url);

    const attempts = await waitForFinalAttempt(store, 'job-w');
    expect(receiver.deliveries.map((d) => d.verified)).toEqual([false]);
    expect(attempts).toMatchObject([{ attempt: 1, statusCode: 401, outcome: 'failed' }]);
  });

  it('delivers an event enqueued twice only once', async () => {
    const { dispatcher, store, receiver } = await setup({ concurrency: 1 });
    const event = completedEvent('job-f');
    await dispatcher.enqueue(event, receiver.url);
    await Promise.all([dispatcher.enqueue(event, receiver.url), dispatcher.enqueue(event, receiver.url)]);
    // With one worker slot and FIFO order, a duplicate job would be delivered before this later event.
    const sentinel = completedEvent('job-f-sentinel');
    await dispatcher.enqueue(sentinel, receiver.url);
    await waitForFinalAttempt(store, 'job-f-sentinel');

    expect(receiver.deliveries.map((d) => d.headers['webhook-id'])).toEqual([event.id, sentinel.id]);
    expect(await store.list('job-f')).toHaveLength(1);
    expect(await dispatcher.queue.getJobCounts('completed', 'wait', 'delayed')).toEqual({ completed: 2, wait: 0, delayed: 0 });
  });

  it('rejects non-http webhook urls before queueing', async () => {
    const { dispatcher } = await setup({});
    for (const url of ['ftp://example.test/hook', 'file:///etc/passwd', 'not a url']) {
      await expect(dispatcher.enqueue(completedEvent('job-u'), url)).rejects.toMatchObject({ name: 'AppError', code: 'VALIDATION_FAILED' });
    }
    expect(await dispatcher.queue.getJobCounts('wait', 'delayed')).toEqual({ wait: 0, delayed: 0 });
  });
});
