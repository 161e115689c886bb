/**
 * The scaling signal, exported on the API's /metrics (one exporter for the whole fleet):
 * - `earshot_backlog_audio_seconds{queue}`: audio seconds waiting + prioritized + not yet done on active jobs;
 * - `earshot_oldest_waiting_seconds{queue}`: age of the oldest waiting job (0 when none waits);
 * - `earshot_worker_throughput_audio_seconds_per_second{worker}`: each live worker's measured
 *   throughput (audio seconds per busy wall second), as the workers publish it through Redis;
 * - `earshot_workers{queue}`: live workers (fresh reports), including those without a throughput yet
 *   (the web console's operator panel shows it);
 * - `earshot_desired_workers{queue}`: the scaling policy's answer (scaling/decide-workers.ts) for
 *   these inputs, which KEDA scales the worker Deployments on (infra/keda-scaledobject.yaml).
 * One snapshot serves all five per scrape. While Redis is away the series disappear (no value is
 * better than a wrong one, and KEDA keeps the current size when its query returns nothing).
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { AutoscaleConfig } from '@earshot/core/config/autoscale-config';
import { createAutoscaler, readFleet, type FleetSnapshot } from '@earshot/core/fleet/autoscaler';

export interface FleetMetricsDeps {
  registry: Registry;
  queue: Queue;
  redis: Redis;
  keyPrefix: string;
  autoscale: AutoscaleConfig;
  logger: Logger;
}

/** Snapshots younger than this are reused (the four gauges collect one after another). */
const SNAPSHOT_TTL_MS = 1000;
/** A scrape must not hang on Redis. */
const SNAPSHOT_TIMEOUT_MS = 5000;

export function registerFleetMetrics(deps: FleetMetricsDeps): void {
  const { registry, queue } = deps;
  const autoscaler = createAutoscaler(deps.autoscale);
  let cached: { at: number; snapshot: Promise<FleetSnapshot | null>; desired: Promise<number | null> } | null = null;

  const current = (): NonNullable<typeof cached> => {
    const now = Date.now();
    if (cached && now - cached.at < SNAPSHOT_TTL_MS) return cached;
    const snapshot = withTimeout(readFleet({ queue, redis: deps.redis, keyPrefix: deps.keyPrefix }, now)).catch((err: unknown) => {
      deps.logger.warn({ err }, 'could not read the fleet for /metrics');
      return null;
    });
    const desired = snapshot.then((s) => {
      if (!s) return null;
      const decision = autoscaler.decide(s);
      if (decision.direction !== 'hold') deps.logger.info({ queue: queue.name, desired: decision.desired, reason: decision.reason }, 'desired workers changed');
      return decision.desired;
    });
    cached = { at: now, snapshot, desired };
    return cached;
  };

  new Gauge({
    name: 'earshot_backlog_audio_seconds',
    help: 'Audio seconds waiting, prioritized, or not yet done on active jobs',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await current().snapshot;
      if (s) this.set({ queue: queue.name }, round(s.backlog.audioS));
    },
  });
  new Gauge({
    name: 'earshot_oldest_waiting_seconds',
    help: 'Age of the oldest waiting job in seconds (0 when none waits)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await current().snapshot;
      if (s) this.set({ queue: queue.name }, round(s.backlog.oldestWaitingS ?? 0));
    },
  });
  new Gauge({
    name: 'earshot_worker_throughput_audio_seconds_per_second',
    help: 'Audio seconds a worker finishes per busy wall second (moving average over 10 minutes)',
    labelNames: ['worker'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await current().snapshot;
      for (const w of s?.workers ?? []) if (w.throughput !== null) this.set({ worker: w.worker }, round(w.throughput));
    },
  });
  new Gauge({
    name: 'earshot_workers',
    help: 'Live transcription workers (fresh reports in the worker registry)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const s = await current().snapshot;
      if (s) this.set({ queue: queue.name }, s.workers.length);
    },
  });
  new Gauge({
    name: 'earshot_desired_workers',
    help: 'Transcription workers the scaling policy asks for (work-based: audio seconds, throughput, drain target)',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const desired = await current().desired;
      if (desired !== null) this.set({ queue: queue.name }, desired);
    },
  });
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${SNAPSHOT_TIMEOUT_MS} ms`)), SNAPSHOT_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
