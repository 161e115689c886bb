#!/usr/bin/env node
/**
 * The host supervisor (`npm run workers -- --min 0 --max N`, also the worker image's entry point
 * when a host should scale itself, like Celery's --autoscale): keeps between MIN and MAX worker
 * processes on this machine by the same policy and the same signals as the fleet exporter
 * (fleet/autoscaler.ts: backlog in audio seconds, measured throughput, drain target, cold start,
 * idle time). With EARSHOT_GPUS=0,1,… one process per listed GPU (CUDA_VISIBLE_DEVICES). Scale-up
 * starts processes; scale-down sends SIGTERM (the worker drains, handing back what it cannot
 * finish), idle workers first. At zero no process, and no model memory, is held. One log line per
 * decision that changes something, with the inputs that led to it.
 *
 * Options: --min N, --max N (override EARSHOT_AUTOSCALE_MIN_WORKERS / _MAX_WORKERS),
 * --worker PATH (the worker script; default apps/worker/dist/main.js beside this file).
 */
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { AutoscaleConfigSchema, loadAutoscaleConfig } from '@earshot/core/config/autoscale-config';
import { processEnv } from '@earshot/core/config/env';
import { loadServiceConfig } from '@earshot/core/config/service-config';
import { loadSupervisorConfig } from '@earshot/core/config/supervisor-config';
import { loadWorkerConfig } from '@earshot/core/config/worker-config';
import { createAutoscaler, readFleet } from '@earshot/core/fleet/autoscaler';
import { createTranscriptionQueue } from '@earshot/core/queue/transcription-queue';
import { closeRedis } from '@earshot/core/runtime/close-redis';
import { createReleaseStack } from '@earshot/core/runtime/release-stack';
import { runMain } from '@earshot/core/runtime/run-main';
import { handleShutdownSignals } from '@earshot/core/runtime/shutdown-signals';
import { createWorkerPool, type PoolWorker } from './supervisor/worker-pool.js';

function parseCli() {
  const { values } = parseArgs({
    options: { min: { type: 'string' }, max: { type: 'string' }, worker: { type: 'string' } },
    strict: true,
    allowPositionals: false,
  });
  return values;
}

async function main(): Promise<void> {
  const env = processEnv();
  const cli = parseCli();
  const service = loadServiceConfig(env);
  const supervisor = loadSupervisorConfig(env);
  const base = loadAutoscaleConfig(env);
  const gpus = supervisor.gpus ?? [];
  const maxWorkers = Math.min(cli.max === undefined ? base.maxWorkers : Number(cli.max), gpus.length > 0 ? gpus.length : Infinity);
  const autoscale = AutoscaleConfigSchema.parse({ ...base, minWorkers: cli.min ?? base.minWorkers, maxWorkers });
  const logger = pino({ level: loadWorkerConfig(env).logLevel, base: { app: 'earshot-supervisor', pid: process.pid } });
  const releases = createReleaseStack(logger);

  const redis = new Redis(service.redisUrl, { maxRetriesPerRequest: 3 });
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  releases.push('redis', () => closeRedis(redis));
  const queue = createTranscriptionQueue({ connection: redis, name: service.queueName, prefix: service.queuePrefix });
  queue.on('error', (err) => logger.warn({ err }, 'queue error'));
  releases.push('queue', () => queue.close());

  const workerScript = cli.worker ?? join(dirname(fileURLToPath(import.meta.url)), 'main.js');
  const pool = createWorkerPool({
    workerScript,
    // Several workers on one host: each its own free metrics port (the fleet registry is their common voice).
    env: { ...env, EARSHOT_WORKER_METRICS_PORT: '0' },
    gpus,
    onLine: (_pid, line) => process.stdout.write(`${line}\n`),
    logger,
  });
  releases.push('workers', () => pool.stopAll());

  const autoscaler = createAutoscaler(autoscale);
  const host = hostname();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  releases.push('decision loop', () => {
    stopped = true;
    clearTimeout(timer);
  });

  /** Scale-down victims: starting workers (no job yet), then idle ones, then the newest. */
  const victims = async (count: number): Promise<PoolWorker[]> => {
    const snapshot = await readFleet({ queue, redis, keyPrefix: service.keyPrefix }, Date.now());
    const active = new Map(snapshot.workers.map((w) => [w.worker, w.activeJobs]));
    const rank = (w: PoolWorker): number => (w.state === 'starting' ? 0 : (active.get(`${host}-${w.pid}`) ?? 0) === 0 ? 1 : 2);
    return pool
      .live()
      .sort((a, b) => rank(a) - rank(b) || b.startedAt - a.startedAt)
      .slice(0, count);
  };

  const tick = async (): Promise<void> => {
    const snapshot = await readFleet({ queue, redis, keyPrefix: service.keyPrefix }, Date.now());
    const live = pool.live();
    const fleet = { current: live.length, starting: live.filter((w) => w.state === 'starting').length };
    const decision = autoscaler.decide(snapshot, fleet);
    const delta = decision.desired - fleet.current;
    if (delta === 0) return;
    logger.info(
      {
        desired: decision.desired,
        current: fleet.current,
        starting: fleet.starting,
        backlogAudioS: Math.round(snapshot.backlog.audioS * 10) / 10,
        waitingJobs: snapshot.backlog.waitingJobs,
        activeJobs: snapshot.backlog.activeJobs,
        throughput: decision.throughputPerWorker,
        throughputSource: decision.throughputSource,
        reason: decision.reason,
      },
      delta > 0 ? `scaling up: starting ${delta} worker(s)` : `scaling down: stopping ${-delta} worker(s)`,
    );
    if (delta > 0) {
      for (let i = 0; i < delta; i++) {
        const started = pool.start();
        if (!started) {
          logger.warn({ gpus }, 'no free GPU for another worker');
          break;
        }
        logger.info({ workerPid: started.pid, gpu: started.gpu }, 'worker process started');
      }
    } else {
      for (const worker of await victims(-delta)) {
        logger.info({ workerPid: worker.pid, state: worker.state }, 'stopping worker process (it drains first)');
        pool.stop(worker);
      }
    }
  };

  const loop = (): void => {
    if (stopped) return;
    tick()
      .catch((err: unknown) => logger.warn({ err }, 'scaling decision failed; keeping the current workers'))
      .finally(() => {
        if (!stopped) timer = setTimeout(loop, supervisor.intervalMs);
      });
  };

  handleShutdownSignals({
    logger,
    shutdown: async () => {
      const ok = await releases.release();
      logger.info('supervisor stopped');
      return ok;
    },
  });
  logger.info(
    { queue: service.queueName, min: autoscale.minWorkers, max: autoscale.maxWorkers, gpus, idleS: autoscale.idleS, targetDrainS: autoscale.targetDrainS },
    'supervisor started',
  );
  loop();
}

runMain('earshot-supervisor', main);
