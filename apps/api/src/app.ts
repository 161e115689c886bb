/**
 * The Express app of the Earshot API, built from explicit dependencies so tests and main.ts
 * assemble the same thing (tests with a test Redis prefix, a temp fs store or a test bucket).
 * main.ts owns the process: listening, the webhook worker, signals and shutdown.
 */
import express, { type Express } from 'express';
import { createAppContext, type AppDeps } from './app-context.js';
import { createAuthenticator } from './middleware/auth.js';
import { AutoscaleConfigSchema } from '@earshot/core/config/autoscale-config';
import { registerFleetMetrics } from './middleware/fleet-metrics.js';
import { createApiMetrics } from './middleware/metrics.js';
import { notFoundHandler, problemHandler } from './middleware/problem.js';
import { requestLogger } from './middleware/request-logger.js';
import { requireRedis } from './middleware/require-redis.js';
import { createConsoleRouter } from './routes/console.js';
import { createHealthRouter } from './routes/health.js';
import { createJobEventsRouter } from './routes/job-events.js';
import { createJobsRouter } from './routes/jobs.js';
import { createOpenAiRouter } from './routes/openai.js';
import { createOpenApiRouter } from './routes/openapi.js';
import { openAiErrorHandler } from './openai/openai-error.js';
import { createUploadPutHandler, createUploadsRouter } from './routes/uploads.js';

export type { ApiConfig, AppDeps } from './app-context.js';

export function createApp(deps: AppDeps): Express {
  const ctx = createAppContext(deps);
  const auth = createAuthenticator(deps.config.apiKeys);
  const metrics = createApiMetrics(deps.queue, deps.logger);
  registerFleetMetrics({
    registry: metrics.registry,
    queue: deps.queue,
    redis: deps.redis,
    keyPrefix: deps.config.service.keyPrefix,
    autoscale: deps.config.autoscale ?? AutoscaleConfigSchema.parse({}),
    logger: deps.logger,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');

  app.use(metrics.httpTimer);
  app.use(requestLogger(deps.logger));

  // The web console (static files, no key needed to load it; its API calls carry the key).
  app.use(createConsoleRouter());
  app.use(createHealthRouter({ redis: deps.redis, store: deps.store, registry: metrics.registry, ...(deps.isDraining ? { isDraining: deps.isDraining } : {}) }));
  app.use(createOpenApiRouter());
  // Authorized by the upload's own token (like a presigned URL) or an API key: before the key check.
  const redisUp = requireRedis(deps.redis);
  app.put('/v1/uploads/:uploadId', redisUp, createUploadPutHandler(ctx, auth));
  // The OpenAI-compatible routes answer every error (401 included) in OpenAI's shape.
  const openAiPaths = ['/v1/audio', '/v1/models'];
  app.use(openAiPaths, auth.require, redisUp);
  app.use(createOpenAiRouter(ctx, metrics, deps.eventsHeartbeatMs === undefined ? {} : { heartbeatMs: deps.eventsHeartbeatMs }));
  app.use(openAiPaths, openAiErrorHandler(deps.logger));
  app.use('/v1', auth.require, redisUp);
  app.use(createJobsRouter(ctx, metrics));
  app.use(createJobEventsRouter(ctx, deps.eventsHeartbeatMs === undefined ? {} : { heartbeatMs: deps.eventsHeartbeatMs }));
  app.use(createUploadsRouter(ctx));

  app.use(notFoundHandler);
  app.use(problemHandler(deps.logger));
  return app;
}
