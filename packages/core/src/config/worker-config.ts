import { z } from 'zod';
import { ENGINE_ENV, loadEngineConfig, type EngineConfig } from './engine-config.js';
import { parseEnv, type EnvSource } from './env.js';

/** Settings of the transcription worker process (apps/worker) beyond ServiceConfig and EngineConfig. */
export const WorkerConfigSchema = z.object({
  /**
   * Jobs processed at once by one worker process. They share one Engine, so their
   * speech segments fill the same model batches; more than a few mostly adds memory.
   * @defaultValue 4
   */
  concurrency: z.coerce.number().int().min(1).max(64).default(4),
  /**
   * BullMQ job lock. The worker renews it every half of this while a job runs; a
   * worker that dies stops renewing, and the job is recovered after the lock expires.
   * @defaultValue 60000
   */
  lockDurationMs: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** How often this worker looks for stalled jobs (whose lock expired). @defaultValue 30000 */
  stalledIntervalMs: z.coerce.number().int().min(500).max(3_600_000).default(30_000),
  /** Times a job may stall (its worker died) before it fails instead of being retried. @defaultValue 2 */
  maxStalledCount: z.coerce.number().int().min(0).max(100).default(2),
  /**
   * On SIGTERM/SIGINT: how long to wait for active jobs to finish. After it, the process
   * exits and leaves its active jobs to BullMQ's stalled-job recovery. Keep Kubernetes'
   * terminationGracePeriodSeconds above this.
   * @defaultValue 120000
   */
  drainTimeoutMs: z.coerce.number().int().min(0).max(86_400_000).default(120_000),
  /**
   * Recycle the process after this many job runs: drain, exit 0, and let the supervisor or the
   * Deployment start a fresh one (long-running ONNX sessions are known to grow). 0: never.
   * @defaultValue 0
   */
  maxJobs: z.coerce.number().int().min(0).max(100_000_000).default(0),
  /** Recycle the process (drain, exit 0) once its resident memory exceeds this many MiB. 0: never. @defaultValue 0 */
  maxRssMb: z.coerce.number().int().min(0).max(1_048_576).default(0),
  /** Port of the `/metrics` + `/healthz` server; 0 picks a free port (logged). @defaultValue 9464 */
  metricsPort: z.coerce.number().int().min(0).max(65_535).default(9464),
  /** @defaultValue '0.0.0.0' */
  metricsHost: z.string().min(1).default('0.0.0.0'),
  /**
   * Largest audio source the worker reads (URL downloads, s3:// objects, uploads): the
   * engine decodes from memory. @defaultValue 1073741824 (1 GiB)
   */
  sourceMaxBytes: z.coerce.number().int().min(1).max(4 * 1024 ** 3).default(1024 ** 3),
  /** Whole-download timeout for `url` sources. @defaultValue 300000 */
  sourceTimeoutMs: z.coerce.number().int().min(100).max(86_400_000).default(300_000),
  /**
   * Fan-out: audio longer than this many seconds is split at speech pauses into chunks that any
   * worker may transcribe, so one long file no longer pins one worker. 0 turns fan-out off (every
   * file is transcribed whole by the worker that takes it).
   * @defaultValue 600
   */
  fanoutMinS: z.coerce.number().min(0).max(86_400).default(600),
  /**
   * Fan-out chunk length: speech segments are grouped into chunks of about this many seconds
   * (cut only between segments, never inside one).
   * @defaultValue 300
   */
  fanoutChunkS: z.coerce.number().min(1).max(86_400).default(300),
  /** pino level. @defaultValue 'info' */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});
export type WorkerConfig = z.infer<typeof WorkerConfigSchema>;

export const WORKER_ENV = {
  concurrency: 'EARSHOT_WORKER_CONCURRENCY',
  lockDurationMs: 'EARSHOT_WORKER_LOCK_DURATION_MS',
  stalledIntervalMs: 'EARSHOT_WORKER_STALLED_INTERVAL_MS',
  maxStalledCount: 'EARSHOT_WORKER_MAX_STALLED_COUNT',
  drainTimeoutMs: 'EARSHOT_WORKER_DRAIN_TIMEOUT_MS',
  maxJobs: 'EARSHOT_WORKER_MAX_JOBS',
  maxRssMb: 'EARSHOT_WORKER_MAX_RSS_MB',
  metricsPort: 'EARSHOT_WORKER_METRICS_PORT',
  metricsHost: 'EARSHOT_WORKER_METRICS_HOST',
  sourceMaxBytes: 'EARSHOT_SOURCE_MAX_BYTES',
  sourceTimeoutMs: 'EARSHOT_SOURCE_TIMEOUT_MS',
  fanoutMinS: 'EARSHOT_FANOUT_MIN_S',
  fanoutChunkS: 'EARSHOT_FANOUT_CHUNK_S',
  logLevel: 'EARSHOT_LOG_LEVEL',
} as const;

export function loadWorkerConfig(env: EnvSource): WorkerConfig {
  return parseEnv(WorkerConfigSchema, WORKER_ENV, env);
}

/**
 * The worker's batch delay when EARSHOT_BATCH_DELAY_MS is unset: long enough for the
 * segments of concurrent jobs to meet in one batch, short next to a batch's run time.
 * (The CLI transcribes one file and keeps EngineConfig's default of 0.)
 */
export const WORKER_DEFAULT_BATCH_DELAY_MS = 25;

/** EngineConfig for the worker: the env as for the CLI, with the service's batch delay default. */
export function loadWorkerEngineConfig(env: EnvSource): EngineConfig {
  const delaySet = (env[ENGINE_ENV.batchDelayMs] ?? '') !== '';
  return loadEngineConfig(env, delaySet ? {} : { batchDelayMs: WORKER_DEFAULT_BATCH_DELAY_MS });
}
