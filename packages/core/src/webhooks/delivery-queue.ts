/**
 * Webhook delivery on its own BullMQ queue, so a slow or dead receiver never
 * holds a transcription worker: the transcription worker only `enqueue`s, and a
 * cheap HTTP-bound webhook worker does the POSTs and the retries.
 *
 * Words: an **event** (`WebhookEvent`, id `msg_…`) is delivered to one **url**
 * by one **delivery job** whose BullMQ jobId is the event id, so enqueuing the
 * same event twice is a no-op. Each try is an **attempt**; every attempt is
 * recorded in the `WebhookAttemptsStore`.
 *
 * Retries: the job carries its schedule (`attempts` = schedule length, delays in
 * the job data), read back by a custom BullMQ backoff strategy. Jobs enqueued
 * under an old schedule keep it after a deploy. 410 Gone ends the job at once
 * (UnrecoverableError); Retry-After on 429/503 is honoured up to `maxRetryAfterMs`.
 */
import { Queue, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError, toAppError } from '../errors/app-error.js';
import type { WebhookAttempt, WebhookAttemptOutcome, WebhookAttemptsStore } from './attempts-store.js';
import { assertPublicDestination } from '../net/destination-guard.js';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, postWebhook } from './deliver.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEvent } from './event.js';
import {
  DEFAULT_MAX_RETRY_AFTER_MS,
  DEFAULT_WEBHOOK_JITTER_RATIO,
  DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS,
  assertRetrySchedule,
  computeRetryDelayMs,
} from './retry-schedule.js';
import { createWebhookSigner } from './sign.js';
import { parseWebhookUrl, redactWebhookUrl } from './webhook-url.js';

const JOB_NAME = 'deliver';
const BACKOFF_TYPE = 'webhook-schedule';

const deliveryJobDataSchema = z.object({
  eventId: z.string().min(1),
  type: z.enum(WEBHOOK_EVENT_TYPES),
  /** The transcription job the event is about (attempts are stored under it). */
  jobId: z.string().min(1),
  url: z.string().min(1),
  /** The serialized payload, fixed at enqueue so every attempt sends (and signs) the same bytes. */
  body: z.string(),
  retry: z.object({ scheduleMs: z.array(z.number().int().nonnegative()).min(1), jitterRatio: z.number().nonnegative() }),
});

export type WebhookDeliveryJobData = z.infer<typeof deliveryJobDataSchema>;

export interface WebhookDeliveryResult {
  statusCode: number;
  attempt: number;
}

export interface WebhookQueueLocation {
  /** BullMQ connection (options or a client; a shared client needs `maxRetriesPerRequest: null`). */
  connection: ConnectionOptions;
  queueName: string;
  /** BullMQ key prefix. @defaultValue 'bull' */
  prefix?: string;
}

export interface WebhookDispatcherOptions extends WebhookQueueLocation {
  /** Delay before each attempt in ms; length = number of attempts. @defaultValue DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS */
  scheduleMs?: readonly number[];
  /** Extra random delay, as a fraction of each scheduled delay; 0 disables it. @defaultValue 0.1 */
  jitterRatio?: number;
  /** How long finished delivery jobs are kept; also how long a duplicate enqueue stays a no-op. @defaultValue 86400 */
  keepFinishedS?: number;
  logger: Logger;
}

export interface WebhookDispatcher {
  /** Queues delivery of `event` to `url`. Throws VALIDATION_FAILED for a bad url, QUEUE_UNAVAILABLE if Redis fails. */
  enqueue(event: WebhookEvent, url: string): Promise<void>;
  readonly queue: Queue<WebhookDeliveryJobData>;
  close(): Promise<void>;
}

export function createWebhookDispatcher(options: WebhookDispatcherOptions): WebhookDispatcher {
  const scheduleMs = [...(options.scheduleMs ?? DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS)];
  assertRetrySchedule(scheduleMs);
  const jitterRatio = options.jitterRatio ?? DEFAULT_WEBHOOK_JITTER_RATIO;
  const keepFinishedS = options.keepFinishedS ?? 24 * 3600;
  const logger = options.logger.child({ component: 'webhook-dispatcher', queue: options.queueName });
  const queue = new Queue<WebhookDeliveryJobData>(options.queueName, {
    connection: options.connection,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
  });
  queue.on('error', (err) => logger.error({ err }, 'webhook queue error'));

  return {
    queue,
    async enqueue(event, url) {
      parseWebhookUrl(url);
      const data: WebhookDeliveryJobData = {
        eventId: event.id,
        type: event.payload.type,
        jobId: event.payload.data.jobId,
        url,
        body: JSON.stringify(event.payload),
        retry: { scheduleMs, jitterRatio },
      };
      try {
        await queue.add(JOB_NAME, data, {
          jobId: event.id,
          attempts: scheduleMs.length,
          backoff: { type: BACKOFF_TYPE },
          ...(scheduleMs[0] ? { delay: scheduleMs[0] } : {}),
          removeOnComplete: { age: keepFinishedS },
          removeOnFail: { age: keepFinishedS },
        });
      } catch (err) {
        throw toAppError(err, 'QUEUE_UNAVAILABLE');
      }
      logger.debug({ eventId: event.id, jobId: data.jobId, type: data.type }, 'webhook queued');
    },
    close: () => queue.close(),
  };
}

export interface WebhookWorkerOptions extends WebhookQueueLocation {
  /** Active `whsec_…` secrets; all of them sign every attempt (rotation). */
  secrets: readonly string[];
  /** Per-attempt HTTP timeout. @defaultValue 15000 */
  timeoutMs?: number;
  /** Longest Retry-After honoured; longer ones are clamped. @defaultValue 3600000 */
  maxRetryAfterMs?: number;
  /** Parallel deliveries per worker; they are I/O bound. @defaultValue 10 */
  concurrency?: number;
  /** BullMQ lock of a delivery in progress; a dead worker's delivery is retried after it expires. @defaultValue 30000 */
  lockDurationMs?: number;
  /** How often this worker looks for deliveries whose lock expired. @defaultValue 30000 */
  stalledIntervalMs?: number;
  attemptsStore: WebhookAttemptsStore;
  logger: Logger;
  /** Deliver to receivers on loopback/private addresses (development, tests). @defaultValue false */
  allowPrivateNetwork?: boolean;
}

export interface WebhookWorker {
  readonly worker: Worker<WebhookDeliveryJobData, WebhookDeliveryResult>;
  /** Stops fetching and waits for the attempts in flight (each bounded by `timeoutMs`). */
  close(): Promise<void>;
}

/** Thrown for a failed attempt that may be retried; carries the receiver's Retry-After. */
class WebhookAttemptError extends Error {
  override readonly name = 'WebhookAttemptError';
  constructor(
    message: string,
    readonly retryAfterMs: number | null,
  ) {
    super(message);
  }
}

export function createWebhookWorker(options: WebhookWorkerOptions): WebhookWorker {
  const signer = createWebhookSigner(options.secrets);
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
  const logger = options.logger.child({ component: 'webhook-worker', queue: options.queueName });
  const { attemptsStore } = options;

  async function record(jobId: string, attempt: WebhookAttempt): Promise<void> {
    try {
      await attemptsStore.record(jobId, attempt);
    } catch (err) {
      // Losing a history line is better than re-sending a delivered event because bookkeeping failed.
      logger.warn({ err, eventId: attempt.eventId, jobId }, 'could not record webhook attempt');
    }
  }

  async function processDelivery(job: Job<WebhookDeliveryJobData, WebhookDeliveryResult>): Promise<WebhookDeliveryResult> {
    const parsed = deliveryJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed webhook job data: ${parsed.error.message}`);
    const data = parsed.data;
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    const at = new Date();
    const log = logger.child({ eventId: data.eventId, jobId: data.jobId, attempt });
    const base = { eventId: data.eventId, type: data.type, url: redactWebhookUrl(data.url), attempt, at: at.toISOString() };

    try {
      const url = parseWebhookUrl(data.url);
      if (!options.allowPrivateNetwork) await assertPublicDestination(url, 'webhook URL');
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof AppError && err.retryable && attempt < maxAttempts) {
        // e.g. the receiver's name does not resolve right now
        await record(data.jobId, { ...base, durationMs: 0, statusCode: null, error: message, outcome: 'retrying' });
        throw new WebhookAttemptError(message, null);
      }
      await record(data.jobId, { ...base, durationMs: 0, statusCode: null, error: message, outcome: 'failed' });
      throw new UnrecoverableError(message);
    }

    // A fresh timestamp and signature per attempt; the webhook-id stays the event id.
    const headers = signer.sign(data.eventId, at, data.body);
    const result = await postWebhook({ url: data.url, body: data.body, headers, timeoutMs });
    const outcome: WebhookAttemptOutcome = result.ok
      ? 'delivered'
      : result.statusCode === 410
        ? 'gone'
        : attempt >= maxAttempts
          ? 'failed'
          : 'retrying';
    await record(data.jobId, { ...base, durationMs: result.durationMs, statusCode: result.statusCode, error: result.error, outcome });

    const fields = { url: base.url, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs };
    switch (outcome) {
      case 'delivered':
        log.info(fields, 'webhook delivered');
        return { statusCode: result.statusCode ?? 0, attempt };
      case 'gone':
        log.error(fields, 'webhook receiver answered 410 Gone; not retrying');
        throw new UnrecoverableError('receiver answered 410 Gone');
      case 'failed':
        log.error(fields, 'webhook delivery failed after the last attempt');
        break;
      case 'retrying':
        log.warn(fields, 'webhook attempt failed; will retry');
        break;
    }
    throw new WebhookAttemptError(result.error ?? 'delivery failed', result.retryAfterMs);
  }

  const worker = new Worker<WebhookDeliveryJobData, WebhookDeliveryResult>(options.queueName, processDelivery, {
    connection: options.connection,
    ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
    concurrency: options.concurrency ?? 10,
    ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
    settings: {
      // BullMQ calls this with the number of attempts made so far, including the one that just failed.
      backoffStrategy: (attemptsMade, _type, err, job) => {
        const parsed = deliveryJobDataSchema.shape.retry.safeParse((job?.data as Partial<WebhookDeliveryJobData> | undefined)?.retry);
        if (!parsed.success) return -1;
        return computeRetryDelayMs({
          scheduleMs: parsed.data.scheduleMs,
          nextAttempt: attemptsMade + 1,
          jitterRatio: parsed.data.jitterRatio,
          retryAfterMs: err instanceof WebhookAttemptError ? err.retryAfterMs : null,
          maxRetryAfterMs,
        });
      },
    },
  });
  worker.on('error', (err) => logger.error({ err }, 'webhook worker error'));

  return { worker, close: () => worker.close() };
}
