/**
 * The API's Redis connection fails fast. A client waiting on an API request should hear "Redis is
 * away, retry" in about a second, not after ioredis has queued its command through several
 * reconnects (9–14 s with the defaults). So: no offline queue (a command sent while disconnected
 * fails at once), a command timeout (a Redis that accepts connections but does not answer), short
 * connect timeouts, and quick reconnects in the background, forever, as before.
 * Routes also check `isRedisReady` before starting work (middleware/require-redis.ts), which
 * covers BullMQ's Queue: it waits for a reconnect instead of failing.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';

/** Longest a single Redis command may take before the request fails with QUEUE_UNAVAILABLE. */
export const REDIS_COMMAND_TIMEOUT_MS = 1000;

export function createFailFastRedis(url: string): Redis {
  return new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
    connectTimeout: 1000,
    // Reconnect every 100 ms … 1 s, forever.
    retryStrategy: (times) => Math.min(100 * times, 1000),
  });
}

export function isRedisReady(redis: Redis): boolean {
  return redis.status === 'ready';
}

/**
 * Waits up to `timeoutMs` for the first connection. The API starts anyway when Redis is not there
 * yet (its requests answer 503 and /readyz says why until it is), so a Redis restart and an API
 * start in any order both work.
 */
export async function waitForRedis(redis: Redis, logger: Logger, timeoutMs = 5000): Promise<void> {
  if (isRedisReady(redis)) return;
  const ready = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      resolve(false);
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    redis.once('ready', onReady);
  });
  if (!ready) logger.warn({ timeoutMs }, 'redis is not reachable yet: serving 503 QUEUE_UNAVAILABLE until it is');
}
