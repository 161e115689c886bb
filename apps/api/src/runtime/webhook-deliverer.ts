/**
 * The webhook delivery worker, as the API process runs it (EARSHOT_API_WEBHOOK_WORKER=true, the
 * default) and as the separate `webhooks` process runs it (webhooks.ts, for deployments that
 * scale deliveries apart from the API). Both call `startWebhookDeliverer`, so they sign with the
 * same secrets, read the same queue and record attempts where the API lists them.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ServiceConfig } from '@earshot/core/config/service-config';
import { createRedisWebhookAttemptsStore, type WebhookAttemptsStore } from '@earshot/core/webhooks/attempts-store';
import { createWebhookWorker } from '@earshot/core/webhooks/delivery-queue';
import { devWebhookSecret } from './dev-credentials.js';
import { closeRedis } from '@earshot/core/runtime/close-redis';
import type { ReleaseStack } from '@earshot/core/runtime/release-stack';

/** Where webhook attempts are kept (the API lists them from here). */
export function webhookAttemptsStoreOf(redis: Redis, service: ServiceConfig): WebhookAttemptsStore {
  return createRedisWebhookAttemptsStore({ redis, keyPrefix: `${service.keyPrefix}webhook-attempts:` });
}

export interface WebhookDelivererDeps {
  service: ServiceConfig;
  /** Parallel deliveries (EARSHOT_WEBHOOK_CONCURRENCY). */
  concurrency: number;
  attemptsStore: WebhookAttemptsStore;
  logger: Logger;
  releasers: ReleaseStack;
}

/**
 * Starts delivering. A delivery's lock lasts a few attempt timeouts, so when a deliverer dies
 * mid-attempt another one (or its restart) retries the attempt within seconds rather than after
 * BullMQ's default 30 s lock; the receiver sees the same `webhook-id` again and drops the duplicate.
 */
export async function startWebhookDeliverer(deps: WebhookDelivererDeps): Promise<void> {
  const { service, logger, releasers } = deps;
  let secrets = service.webhookSecrets ?? [];
  if (secrets.length === 0) {
    const dev = await devWebhookSecret(service.dataDir);
    logger.warn({ file: dev.file }, `EARSHOT_WEBHOOK_SECRETS is not set: webhooks are signed with the development secret in ${dev.file}`);
    process.stderr.write(`  Earshot development webhook secret: ${dev.secret}\n  (saved in ${dev.file})\n\n`);
    secrets = [dev.secret];
  }
  // A worker's connection must retry forever (maxRetriesPerRequest: null); BullMQ duplicates it for blocking calls.
  const connection = new Redis(service.redisUrl, { maxRetriesPerRequest: null });
  connection.on('error', (err) => logger.warn({ err }, 'webhook worker redis error'));
  releasers.push('webhook worker redis', () => closeRedis(connection));
  const lockDurationMs = Math.max(5_000, 2 * service.webhookTimeoutMs);
  const worker = createWebhookWorker({
    connection,
    queueName: service.webhookQueueName,
    prefix: service.queuePrefix,
    secrets,
    timeoutMs: service.webhookTimeoutMs,
    lockDurationMs,
    stalledIntervalMs: Math.max(1_000, Math.round(lockDurationMs / 2)),
    concurrency: deps.concurrency,
    allowPrivateNetwork: service.allowPrivateNetwork,
    attemptsStore: deps.attemptsStore,
    logger,
  });
  releasers.push('webhook worker', () => worker.close());
  logger.info({ queue: service.webhookQueueName, concurrency: deps.concurrency, lockDurationMs }, 'webhook delivery worker started');
}
