#!/usr/bin/env node
/**
 * The webhook delivery process (`earshot-webhooks`): the same deliverer the API runs in-process,
 * on its own, for deployments that set EARSHOT_API_WEBHOOK_WORKER=false on the API (to scale or
 * restart deliveries apart from the API). It reads the service configuration (Redis, queue names,
 * secrets, EARSHOT_WEBHOOK_TIMEOUT_MS, EARSHOT_WEBHOOK_SCHEDULE_MS) and EARSHOT_WEBHOOK_CONCURRENCY.
 *
 * SIGTERM/SIGINT: stops fetching deliveries, waits for the attempts in flight (each bounded by
 * the attempt timeout), closes Redis. A second signal, or EARSHOT_SHUTDOWN_TIMEOUT_MS, exits at
 * once; an attempt cut off that way is retried by another deliverer with the same webhook-id.
 */
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { processEnv } from '@earshot/core/config/env';
import { loadHttpConfig } from '@earshot/core/config/http-config';
import { loadServiceConfig } from '@earshot/core/config/service-config';
import { startWebhookDeliverer, webhookAttemptsStoreOf } from './runtime/webhook-deliverer.js';
import { closeRedis } from '@earshot/core/runtime/close-redis';
import { createReleaseStack } from '@earshot/core/runtime/release-stack';
import { runMain } from '@earshot/core/runtime/run-main';
import { handleShutdownSignals } from '@earshot/core/runtime/shutdown-signals';

async function main(): Promise<void> {
  const env = processEnv();
  const service = loadServiceConfig(env);
  const http = loadHttpConfig(env);
  const logger = pino({ level: http.logLevel, base: { app: 'earshot-webhooks', pid: process.pid } });
  const releasers = createReleaseStack(logger);
  handleShutdownSignals({
    logger,
    timeoutMs: http.shutdownTimeoutMs,
    secondSignalExitCode: 1,
    shutdown: async () => {
      const ok = await releasers.release();
      logger.info('stopped');
      return ok;
    },
  });

  try {
    // Attempt bookkeeping; ioredis' defaults (queue while reconnecting) suit a background worker.
    const redis = new Redis(service.redisUrl, { maxRetriesPerRequest: 3 });
    redis.on('error', (err) => logger.warn({ err }, 'redis error'));
    releasers.push('redis', () => closeRedis(redis));
    await startWebhookDeliverer({
      service,
      concurrency: http.webhookConcurrency,
      attemptsStore: webhookAttemptsStoreOf(redis, service),
      logger,
      releasers,
    });
  } catch (err) {
    await releasers.release().catch(() => undefined);
    throw err;
  }
}

runMain('earshot-webhooks', main);
