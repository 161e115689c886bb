import type { Redis } from 'ioredis';

/**
 * Closes a Redis connection at shutdown: QUIT when connected (replies in flight are delivered),
 * bounded by `timeoutMs`; a connection that is down or does not answer is dropped at once, so a
 * process never hangs on its way out while Redis is away.
 */
export async function closeRedis(redis: Redis, timeoutMs = 2000): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([redis.quit().then(() => undefined, () => undefined), timeout]);
  clearTimeout(timer);
  redis.disconnect();
}
