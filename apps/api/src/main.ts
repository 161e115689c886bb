#!/usr/bin/env node
/**
 * The API process: reads the configuration from the environment (config/service-config.ts and
 * config/http-config.ts), wires Redis, the blob store, the job store and the transcription queue
 * into createApp, runs the webhook delivery worker in-process unless EARSHOT_API_WEBHOOK_WORKER=false
 * (then run webhooks.ts as its own process), and listens on EARSHOT_HOST:EARSHOT_PORT.
 *
 * Redis fails fast (runtime/fail-fast-redis.ts): while it is away, requests that need it answer
 * 503 QUEUE_UNAVAILABLE at once instead of waiting for a reconnect; the client reconnects by itself.
 *
 * SIGTERM/SIGINT: /readyz turns 503, the server stops accepting connections and finishes the
 * requests in flight, then the webhook worker, the queue, the store and Redis are released (in
 * reverse order of creation). A second signal, or EARSHOT_SHUTDOWN_TIMEOUT_MS passing, exits at once.
 */
import { setMaxListeners } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino, type Logger } from 'pino';
import { processEnv } from '@earshot/core/config/env';
import { loadAutoscaleConfig } from '@earshot/core/config/autoscale-config';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import { loadHttpConfig, type ApiKey, type HttpConfig } from '@earshot/core/config/http-config';
import { loadServiceConfig, type ServiceConfig } from '@earshot/core/config/service-config';
import { JobStore } from '@earshot/core/jobs/job-store';
import { createTranscriptionQueue } from '@earshot/core/queue/transcription-queue';
import { createBlobStore } from '@earshot/core/storage/create-blob-store';
import { createApp } from './app.js';
import { blobStoreConfigOf } from '@earshot/core/config/blob-store-config';
import { devApiKey } from './runtime/dev-credentials.js';
import { createFailFastRedis, waitForRedis } from './runtime/fail-fast-redis.js';
import { createHttpServer } from './runtime/http-server.js';
import { createAudioMeasurer } from './jobs/measure-audio.js';
import { startSubmissionSweeper } from './jobs/sweep-submissions.js';
import { UploadRegistry } from './uploads/upload-registry.js';
import { startWebhookDeliverer, webhookAttemptsStoreOf } from './runtime/webhook-deliverer.js';
import { closeRedis } from '@earshot/core/runtime/close-redis';
import { createReleaseStack } from '@earshot/core/runtime/release-stack';
import { runMain } from '@earshot/core/runtime/run-main';
import { handleShutdownSignals } from '@earshot/core/runtime/shutdown-signals';

async function resolveApiKeys(http: HttpConfig, service: ServiceConfig, logger: Logger): Promise<ApiKey[]> {
  if (http.apiKeys && http.apiKeys.length > 0) return http.apiKeys;
  const dev = await devApiKey(service.dataDir);
  logger.warn({ tenant: dev.tenant, file: dev.file, apiKey: dev.key }, `EARSHOT_API_KEYS is not set: development API key is ${dev.key}`);
  process.stderr.write(
    `\n  Earshot development API key (tenant "${dev.tenant}"): ${dev.key}\n` +
      `  saved in ${dev.file}; try: curl -H "Authorization: Bearer ${dev.key}" ${service.publicUrl.replace(/\/+$/, '')}/v1/jobs\n` +
      `  set EARSHOT_API_KEYS=<key>:<tenant>[,…] in production\n\n`,
  );
  return [{ key: dev.key, tenant: dev.tenant }];
}

function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    // Idle keep-alive sockets would hold close() open until they time out.
    server.closeIdleConnections();
  });
}

async function main(): Promise<void> {
  const env = processEnv();
  const service = loadServiceConfig(env);
  const http = loadHttpConfig(env);
  // The API reads audio headers with ffprobe (beside EARSHOT_FFMPEG), never decodes.
  const { ffmpegPath } = loadEngineConfig(env);
  const logger = pino({ level: http.logLevel, base: { app: 'earshot-api', pid: process.pid } });
  const releasers = createReleaseStack(logger);
  let draining = false;
  const closing = new AbortController();
  // Every open event stream and synchronous wait listens to it: no listener limit.
  setMaxListeners(0, closing.signal);
  handleShutdownSignals({
    logger,
    timeoutMs: http.shutdownTimeoutMs,
    secondSignalExitCode: 1,
    shutdown: async () => {
      draining = true;
      closing.abort();
      const ok = await releasers.release();
      logger.info('stopped');
      return ok;
    },
  });

  try {
    const redis = createFailFastRedis(service.redisUrl);
    redis.on('error', (err) => logger.warn({ err }, 'redis error'));
    releasers.push('redis', () => closeRedis(redis));
    await waitForRedis(redis, logger);

    const store = createBlobStore(blobStoreConfigOf(service));
    releasers.push('blob store', () => store.close());
    await store.prepare();
    logger.info({ store: store.description }, 'blob store ready');

    const jobs = new JobStore({ redis, keyPrefix: service.keyPrefix, retentionS: service.retentionS });
    const queue = createTranscriptionQueue({ connection: redis, name: service.queueName, prefix: service.queuePrefix });
    queue.on('error', (err) => logger.warn({ err }, 'transcription queue error'));
    releasers.push('transcription queue', () => queue.close());
    const webhookAttempts = webhookAttemptsStoreOf(redis, service);

    if (http.webhookWorker) {
      await startWebhookDeliverer({ service, concurrency: http.webhookConcurrency, attemptsStore: webhookAttempts, logger, releasers });
    } else {
      logger.info('webhook delivery worker disabled (EARSHOT_API_WEBHOOK_WORKER=false): run `node apps/api/dist/webhooks.js` (earshot-webhooks)');
    }

    const apiKeys = await resolveApiKeys(http, service, logger);
    const app = createApp({
      store,
      jobs,
      queue,
      webhookAttempts,
      redis,
      config: { service, http, apiKeys, autoscale: loadAutoscaleConfig(env) },
      logger,
      isDraining: () => draining,
      closing: closing.signal,
      measureAudio: createAudioMeasurer({ store, ffmpegPath: ffmpegPath === 'none' ? null : ffmpegPath, logger }),
    });
    const sweepMs = http.submissionSweepS * 1000;
    const stopSweeper = startSubmissionSweeper({
      jobs,
      queue,
      uploads: new UploadRegistry(redis, service.keyPrefix),
      logger,
      ageMs: sweepMs,
      intervalMs: Math.min(30_000, sweepMs / 2),
    });
    releasers.push('submission sweeper', stopSweeper);
    const httpServer = createHttpServer(app, { requestTimeoutMs: http.requestTimeoutMs, logger });
    const address = await listen(httpServer, http.port, http.host);
    releasers.push('http server', () => closeServer(httpServer));
    logger.info({ host: address.address, port: address.port, publicUrl: service.publicUrl, tenants: [...new Set(apiKeys.map((k) => k.tenant))] }, 'earshot api listening');
  } catch (err) {
    await releasers.release().catch(() => undefined);
    throw err;
  }
}

runMain('earshot-api', main);
