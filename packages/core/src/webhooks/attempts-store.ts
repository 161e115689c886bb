/**
 * Every webhook delivery attempt, kept per transcription job so clients can see
 * what happened to their callbacks (GET /v1/jobs/:id/webhooks).
 *
 * Storage: one Redis list per job id (`<keyPrefix><jobId>`), appended in order,
 * trimmed to the newest `maxEntries` and expiring `ttlS` after the last attempt.
 */
import type { Redis } from 'ioredis';
import type { WebhookEventType } from './event.js';

export type WebhookAttemptOutcome = 'delivered' | 'retrying' | 'failed' | 'gone';

export interface WebhookAttempt {
  eventId: string;
  type: WebhookEventType;
  /** The target URL, password redacted. */
  url: string;
  /** 1-based attempt number for this event. */
  attempt: number;
  /** ISO time the attempt started. */
  at: string;
  durationMs: number;
  /** The receiver's HTTP status, or null when there was no answer (timeout, network error). */
  statusCode: number | null;
  /** Null on success; `HTTP <status>` or the network error otherwise. */
  error: string | null;
  outcome: WebhookAttemptOutcome;
}

export interface WebhookAttemptsStore {
  record(jobId: string, attempt: WebhookAttempt): Promise<void>;
  /** The job's attempts, oldest first (all events of the job interleaved by time). */
  list(jobId: string): Promise<WebhookAttempt[]>;
}

export interface RedisWebhookAttemptsStoreOptions {
  redis: Redis;
  /** @defaultValue 'earshot:webhook-attempts:' */
  keyPrefix?: string;
  /** Newest attempts kept per job. @defaultValue 200 */
  maxEntries?: number;
  /** Kept this long after the last attempt; must outlive the retry schedule. @defaultValue 604800 (7 days) */
  ttlS?: number;
}

export function createRedisWebhookAttemptsStore(options: RedisWebhookAttemptsStoreOptions): WebhookAttemptsStore {
  const { redis } = options;
  const keyPrefix = options.keyPrefix ?? 'earshot:webhook-attempts:';
  const maxEntries = options.maxEntries ?? 200;
  const ttlS = options.ttlS ?? 7 * 24 * 3600;
  const keyOf = (jobId: string): string => keyPrefix + jobId;

  return {
    async record(jobId, attempt) {
      const key = keyOf(jobId);
      const results = await redis
        .multi()
        .rpush(key, JSON.stringify(attempt))
        .ltrim(key, -maxEntries, -1)
        .expire(key, ttlS)
        .exec();
      const failure = results?.find(([err]) => err !== null)?.[0];
      if (failure) throw failure;
    },
    async list(jobId) {
      const items = await redis.lrange(keyOf(jobId), 0, -1);
      return items.map((item) => JSON.parse(item) as WebhookAttempt);
    },
  };
}
