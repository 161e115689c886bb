#!/usr/bin/env node
/**
 * The transcription worker process: a thin composition root. Reads the
 * configuration once, opens Redis, storage, the ONE engine of this process and a
 * BullMQ worker with `concurrency` slots, then waits for jobs. Concurrent jobs
 * share the engine, so their speech segments fill the same model batches.
 *
 * Everything opened pushes a releaser onto one stack; SIGTERM/SIGINT drains the
 * BullMQ worker (bounded by EARSHOT_WORKER_DRAIN_TIMEOUT_MS) and releases the rest
 * in reverse order (shutdown.ts).
 */
import { hostname } from 'node:os';
import { FlowProducer, Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';
import { processEnv } from '@earshot/core/config/env';
import type { EngineConfig } from '@earshot/core/config/engine-config';
import { loadServiceConfig, type ServiceConfig } from '@earshot/core/config/service-config';
import { loadWorkerConfig, loadWorkerEngineConfig, type WorkerConfig } from '@earshot/core/config/worker-config';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { isAppError } from '@earshot/core/errors/app-error';
import { JobEventLog } from '@earshot/core/jobs/job-events';
import { JobStore } from '@earshot/core/jobs/job-store';
import { enqueueChunks, mergeJobId, TRANSCRIPTION_JOB_NAMES, type TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import { createBlobStore } from '@earshot/core/storage/create-blob-store';
import { createWebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import { createWorkerMetrics } from './metrics.js';
import { startMetricsServer } from './metrics-server.js';
import { createJobProcessor, type JobRunResult } from './process-job.js';
import { createWorkerTempDir } from './worker-temp-dir.js';
import { createChunkCleanupOnFailure } from './fanout/cleanup-failed.js';
import { createChunkProcessor } from './fanout/process-chunk.js';
import { createMergeProcessor } from './fanout/merge-chunks.js';
import type { FanoutSettings } from './fanout/split-job.js';
import { dispatchByName } from './job-dispatch.js';
import { publishWorkerReport, removeWorkerReport, type WorkerReportInput } from '@earshot/core/fleet/worker-registry';
import { modelNameOf } from '@earshot/core/model/model-metadata';
import { createFailedJobFinalizer } from './finalize-failed.js';
import { createActiveRuns } from './hand-back.js';
import { createRecycleCheck } from './recycle.js';
import { drainWorker } from './shutdown.js';
import { closeRedis } from '@earshot/core/runtime/close-redis';
import { createReleaseStack, type ReleaseStack } from '@earshot/core/runtime/release-stack';
import { handleShutdownSignals } from '@earshot/core/runtime/shutdown-signals';
import { blobStoreConfigOf } from '@earshot/core/config/blob-store-config';

interface Configs {
  service: ServiceConfig;
  workerConfig: WorkerConfig;
  engineConfig: EngineConfig;
}

/** How often a worker publishes its report (the registry treats 30 s of silence as gone). */
const WORKER_REPORT_INTERVAL_MS = 5000;

async function start(configs: Configs, logger: Logger, releases: ReleaseStack, state: { status: string }): Promise<void> {
  const { service, workerConfig, engineConfig } = configs;

  const metrics = createWorkerMetrics();
  const metricsServer = await startMetricsServer({
    host: workerConfig.metricsHost,
    port: workerConfig.metricsPort,
    registry: metrics.registry,
    health: () => ({ ok: true, status: state.status }),
    ready: () => state.status === 'running',
  });
  releases.push('metrics server', () => metricsServer.close());
  logger.info({ port: metricsServer.port }, 'metrics on /metrics, health on /healthz');

  // Two connections: BullMQ's must never time out a command (maxRetriesPerRequest: null);
  // the job store's should fail fast instead of queueing forever while Redis is away.
  const redis = new Redis(service.redisUrl, { maxRetriesPerRequest: 3 });
  releases.push('redis', () => closeRedis(redis));
  const bullRedis = new Redis(service.redisUrl, { maxRetriesPerRequest: null });
  releases.push('redis (bullmq)', () => closeRedis(bullRedis));
  redis.on('error', (err) => logger.warn({ err }, 'redis error'));
  // The fleet registry: this worker's state and throughput, for the exporter and the supervisor.
  const workerId = `${hostname()}-${process.pid}`;
  const report = (): WorkerReportInput => ({
    worker: workerId,
    queue: service.queueName,
    state: state.status === 'running' ? 'running' : state.status === 'draining' ? 'draining' : 'starting',
    throughput: metrics.throughput(),
    processedAudioSPerS: metrics.processedRate(),
    startupS: startupS,
    activeJobs: metrics.activeJobs(),
    model: loadedModel,
    at: Date.now(),
  });
  let startupS: number | null = null;
  let loadedModel: WorkerReportInput['model'] = null;
  const publish = (): void => {
    publishWorkerReport(redis, service.keyPrefix, report()).catch((err: unknown) => logger.debug({ err }, 'could not publish the worker report'));
  };
  publish();
  const publisher = setInterval(publish, WORKER_REPORT_INTERVAL_MS);
  releases.push('worker report', async () => {
    clearInterval(publisher);
    await removeWorkerReport(redis, service.keyPrefix, workerId).catch(() => undefined);
  });
  bullRedis.on('error', (err) => logger.warn({ err }, 'redis error (bullmq)'));

  const store = createBlobStore(blobStoreConfigOf(service));
  releases.push('blob store', () => store.close());
  const jobStore = new JobStore({ redis, keyPrefix: service.keyPrefix, retentionS: service.retentionS });
  const dispatcher = createWebhookDispatcher({
    connection: bullRedis,
    queueName: service.webhookQueueName,
    prefix: service.queuePrefix,
    ...(service.webhookScheduleMs ? { scheduleMs: service.webhookScheduleMs } : {}),
    logger,
  });
  releases.push('webhook dispatcher', () => dispatcher.close());

  // Jobs' downloaded audio and decoded PCM files; a killed worker's leftovers are swept here.
  const tempDir = await createWorkerTempDir();
  if (tempDir.swept.length > 0) logger.info({ swept: tempDir.swept }, 'removed temp directories of dead workers');
  releases.push('temp directory', () => tempDir.remove());

  logger.info({ modelDir: engineConfig.modelDir, provider: engineConfig.provider, batchDelayMs: engineConfig.batchDelayMs }, 'loading model');
  const engine = await loadEngine(engineConfig, { inferenceThread: true, onBatch: (r) => metrics.onBatch(r), tempDir: tempDir.path });
  releases.push('engine', () => engine.close());
  metrics.trackQueuedSegments(() => engine.queuedSegments);
  loadedModel = { id: modelNameOf(engine.metadata), synthetic: engine.metadata.synthetic };
  if (engine.metadata.synthetic) {
    logger.warn('SYNTHETIC MODEL: this model has random weights; its output is not a transcription (tests/dev only)');
  }

  // Fan-out (EARSHOT_FANOUT_MIN_S > 0): long files are split into chunk jobs of a BullMQ flow in
  // this same queue; the splitter needs a FlowProducer to add them and the queue to see whether an
  // earlier run already did.
  let fanout: FanoutSettings | undefined;
  if (workerConfig.fanoutMinS > 0) {
    const flows = new FlowProducer({ connection: bullRedis, prefix: service.queuePrefix });
    releases.push('flow producer', () => flows.close());
    const queue = new Queue(service.queueName, { connection: bullRedis, prefix: service.queuePrefix });
    releases.push('queue (fan-out)', () => queue.close());
    fanout = {
      minS: workerConfig.fanoutMinS,
      chunkS: workerConfig.fanoutChunkS,
      addChunks: (input) => enqueueChunks(flows, service.queueName, input),
      isSplit: async (jobId) => (await queue.getJob(mergeJobId(jobId))) !== undefined,
    };
  }
  logger.info({ fanoutMinS: workerConfig.fanoutMinS, fanoutChunkS: workerConfig.fanoutChunkS }, fanout ? 'fan-out on' : 'fan-out off');

  const abandon = new AbortController();
  const runDeps = {
    store,
    jobStore,
    events: new JobEventLog(redis, service.keyPrefix),
    webhooks: dispatcher,
    publicUrl: service.publicUrl,
    logger,
    metrics,
    abandonSignal: abandon.signal,
  };
  const processor = dispatchByName({
    transcribe: createJobProcessor({
      ...runDeps,
      engine,
      sourceMaxBytes: workerConfig.sourceMaxBytes,
      tempDir: tempDir.path,
      sourceTimeoutMs: workerConfig.sourceTimeoutMs,
      allowPrivateNetwork: service.allowPrivateNetwork,
      ...(fanout ? { fanout } : {}),
    }),
    // Any worker takes chunks and merges, fan-out on or off here: a split job's pieces may reach it.
    chunk: createChunkProcessor({ ...runDeps, engine }),
    merge: createMergeProcessor(runDeps),
  });
  const runs = createActiveRuns<TranscriptionJobData, JobRunResult>({
    jobStore,
    logger,
    // A whole-file run owns its record's status (BullMQ id = job id); chunk and merge runs do not.
    recordIdOf: (job) => (job.name === TRANSCRIPTION_JOB_NAMES.transcribe ? (job.id ?? null) : null),
  });
  // Recycling takes the SIGTERM path: stop taking jobs, drain, exit 0 (recycle.ts).
  const recycle = createRecycleCheck({ maxJobs: workerConfig.maxJobs, maxRssMb: workerConfig.maxRssMb });
  let recycling = false;
  const recycleIf = (reason: string | null): void => {
    if (reason === null || recycling) return;
    recycling = true;
    logger.info({ reason }, 'recycling this worker: draining, then exiting for a fresh process');
    process.kill(process.pid, 'SIGTERM');
  };
  const memoryCheck = setInterval(() => recycleIf(recycle.check()), 10_000);
  memoryCheck.unref();
  releases.push('recycle check', () => clearInterval(memoryCheck));
  const recycled = async (job: Job<TranscriptionJobData>, token?: string, signal?: AbortSignal): Promise<JobRunResult> => {
    try {
      return await processor(job, token, signal);
    } finally {
      recycleIf(recycle.afterRun());
    }
  };
  const worker = new Worker<TranscriptionJobData, JobRunResult>(service.queueName, runs.wrap(recycled), {
    connection: bullRedis,
    prefix: service.queuePrefix,
    concurrency: workerConfig.concurrency,
    lockDuration: workerConfig.lockDurationMs,
    stalledInterval: workerConfig.stalledIntervalMs,
    maxStalledCount: workerConfig.maxStalledCount,
  });
  worker.on('error', (err) => logger.error({ err }, 'worker error'));
  worker.on('stalled', (jobId) => logger.warn({ jobId }, 'job stalled (its worker died): retried, or failed past EARSHOT_WORKER_MAX_STALLED_COUNT'));
  worker.on('failed', createFailedJobFinalizer({ jobStore, webhooks: dispatcher, publicUrl: service.publicUrl, logger }));
  worker.on('failed', createChunkCleanupOnFailure({ store, logger }));
  worker.on('lockRenewalFailed', (jobIds) => logger.warn({ jobIds }, 'could not renew job locks'));
  releases.push('bullmq worker', async () => {
    state.status = 'draining';
    const outcome = await drainWorker(worker, workerConfig.drainTimeoutMs, async () => {
      abandon.abort();
      const active = runs.ids();
      const handed = await runs.handBack();
      logger.warn({ drainTimeoutMs: workerConfig.drainTimeoutMs, active, handedBack: handed }, 'drain timed out: active jobs handed back to the queue');
    });
    if (outcome === 'drained') logger.info('drained: every active job finished');
  });

  state.status = 'running';
  startupS = Math.round(process.uptime() * 1000) / 1000;
  metrics.setStartupSeconds(startupS);
  publish();
  logger.info(
    { queue: service.queueName, prefix: service.queuePrefix, concurrency: workerConfig.concurrency, storage: store.description },
    'worker ready',
  );
  logger.info({ startupS }, 'model loaded: process start to ready');
}

function loadConfigs(): Configs {
  const env = processEnv();
  try {
    return { service: loadServiceConfig(env), workerConfig: loadWorkerConfig(env), engineConfig: loadWorkerEngineConfig(env) };
  } catch (err) {
    process.stderr.write(`earshot-worker: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}

async function main(): Promise<void> {
  const configs = loadConfigs();
  const logger = pino({ level: configs.workerConfig.logLevel, base: { service: 'earshot-worker' } });
  const releases = createReleaseStack(logger);
  const state = { status: 'starting' };
  handleShutdownSignals({
    logger,
    shutdown: async () => {
      state.status = 'draining';
      const ok = await releases.release();
      logger.info('worker stopped');
      return ok;
    },
  });
  try {
    await start(configs, logger, releases, state);
  } catch (err) {
    if (state.status === 'draining') return; // a signal came during start-up: the shutdown owns the exit
    if (isAppError(err)) logger.fatal({ code: err.code, details: err.details }, err.message);
    else logger.fatal({ err }, 'worker failed to start');
    await releases.release().catch((releaseErr: unknown) => logger.error({ err: releaseErr }, 'release failed'));
    process.exit(1);
  }
}

await main();
