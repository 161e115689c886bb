/**
 * Prometheus metrics on a registry of this app (not prom-client's global one, so several apps in
 * one process, as in tests, never clash):
 * - prom-client's default process and Node.js metrics;
 * - `earshot_http_request_duration_seconds{method,route,status}`: route is the matched route
 *   template (`/v1/jobs/:id`), `unmatched` otherwise, so ids never become label values;
 * - `earshot_queue_jobs{queue,state}`: BullMQ job counts read at scrape time, for state in
 *   waiting, prioritized, active, delayed, failed, completed. waiting + prioritized is the backlog
 *   to scale transcription workers on (KEDA prometheus trigger); failed/completed are bounded by
 *   the queue's removeOnFail/removeOnComplete trimming;
 * - `earshot_jobs_created_total{source}`: jobs accepted by POST /v1/jobs (upload, url, s3).
 */
import type { Queue } from 'bullmq';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const COUNTS_TIMEOUT_MS = 1000;
export const QUEUE_STATES = ['waiting', 'prioritized', 'active', 'delayed', 'failed', 'completed'] as const;

export interface ApiMetrics {
  registry: Registry;
  /** Times every request; mount first. */
  httpTimer: RequestHandler;
  jobsCreated: Counter<'source'>;
}

export function createApiMetrics(queue: Queue, logger: Logger): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const httpDuration = new Histogram({
    name: 'earshot_http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });

  new Gauge({
    name: 'earshot_queue_jobs',
    help: 'Jobs in the BullMQ transcription queue by state (waiting + prioritized = backlog to scale workers on)',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      try {
        // BullMQ waits for a reconnect rather than failing: a scrape must not hang on it.
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer from Redis within ${COUNTS_TIMEOUT_MS} ms`)), COUNTS_TIMEOUT_MS);
        });
        const counts = await Promise.race([queue.getJobCounts(...QUEUE_STATES), timeout]).finally(() => clearTimeout(timer));
        for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      } catch (err) {
        // No value is better than a wrong one: the series disappears while Redis is unreachable.
        logger.warn({ err }, 'could not read queue counts for /metrics');
      }
    },
  });

  const jobsCreated = new Counter({
    name: 'earshot_jobs_created_total',
    help: 'Transcription jobs created through the API, by audio source kind',
    labelNames: ['source'] as const,
    registers: [registry],
  });

  const httpTimer: RequestHandler = (req, res, next) => {
    const stop = httpDuration.startTimer();
    res.on('finish', () => {
      // Routers are mounted at '/' with full paths, so the route path is the whole template.
      const route: unknown = req.route?.path;
      stop({ method: req.method, route: typeof route === 'string' ? route : 'unmatched', status: String(res.statusCode) });
    });
    next();
  };

  return { registry, httpTimer, jobsCreated };
}
