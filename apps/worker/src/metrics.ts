/**
 * The worker's Prometheus metrics (own registry, served by metrics-server.ts).
 *
 * - earshot_worker_jobs_total{outcome}: finished processing runs (completed, failed, retried, canceled)
 * - earshot_worker_job_errors_total{code}: failed or retried runs by AppError code
 * - earshot_worker_job_processing_seconds{outcome}: wall time of a run
 * - earshot_worker_audio_seconds_total: audio transcribed (completed jobs)
 * - earshot_worker_active_jobs: runs in progress in this process
 * - earshot_worker_batch_items / earshot_worker_batch_seconds: model batches (Engine onBatch)
 * - earshot_worker_batch_failures_total
 * - earshot_worker_queued_segments: segments waiting for a model batch
 * plus prom-client's process metrics with the `earshot_worker_` prefix.
 */
import { createThroughputMeter } from '@earshot/core/fleet/throughput-meter';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { BatchReport } from '@earshot/core/model/dynamic-batcher';

export type JobOutcome = 'completed' | 'failed' | 'retried' | 'canceled';

export interface JobFinishedInfo {
  durationS: number;
  /** Audio duration of a completed job. */
  audioS?: number;
  /** AppError code of a failed or retried run. */
  errorCode?: string;
}

/** What the job processor reports; metrics are optional for it (tests pass none). */
export interface JobMetrics {
  jobStarted(): void;
  jobFinished(outcome: JobOutcome, info: JobFinishedInfo): void;
}

export interface WorkerMetrics extends JobMetrics {
  readonly registry: Registry;
  /** Audio seconds per busy wall second over the last 10 minutes (fleet/throughput-meter.ts); null before a job finished. */
  throughput(): number | null;
  /** Audio seconds finished per wall second over the last 10 minutes, idle time included. */
  processedRate(): number;
  /** Jobs running now. */
  activeJobs(): number;
  /** Sets earshot_worker_startup_seconds: process start to model loaded and ready. */
  setStartupSeconds(seconds: number): void;
  onBatch(report: BatchReport): void;
  /** Reads the engine's queue length at scrape time. */
  trackQueuedSegments(read: () => number): void;
}

export function createWorkerMetrics(): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'earshot_worker_' });
  const registers = [registry];

  const jobs = new Counter({ name: 'earshot_worker_jobs_total', help: 'Finished job runs by outcome', labelNames: ['outcome'], registers });
  const errors = new Counter({ name: 'earshot_worker_job_errors_total', help: 'Failed or retried runs by error code', labelNames: ['code'], registers });
  const seconds = new Histogram({
    name: 'earshot_worker_job_processing_seconds',
    help: 'Wall time of one job run (fetch, transcribe, upload)',
    labelNames: ['outcome'],
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600],
    registers,
  });
  const audio = new Counter({ name: 'earshot_worker_audio_seconds_total', help: 'Seconds of audio transcribed', registers });
  const active = new Gauge({ name: 'earshot_worker_active_jobs', help: 'Job runs in progress', registers });
  const batchItems = new Histogram({
    name: 'earshot_worker_batch_items',
    help: 'Segments per model batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers,
  });
  const batchSeconds = new Histogram({
    name: 'earshot_worker_batch_seconds',
    help: 'Model run time per batch',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers,
  });
  const batchFailures = new Counter({ name: 'earshot_worker_batch_failures_total', help: 'Model batches that failed', registers });
  let readQueued: () => number = () => 0;
  new Gauge({
    name: 'earshot_worker_queued_segments',
    help: 'Speech segments waiting for a model batch',
    registers,
    collect() {
      this.set(readQueued());
    },
  });

  const startup = new Gauge({ name: 'earshot_worker_startup_seconds', help: 'Process start to model loaded and ready, in seconds', registers });
  const meter = createThroughputMeter();
  let running = 0;

  return {
    registry,
    throughput: () => meter.throughput(Date.now()),
    processedRate: () => meter.processedRate(Date.now()),
    activeJobs: () => running,
    setStartupSeconds: (s) => startup.set(s),
    jobStarted: () => {
      running++;
      active.inc();
      meter.jobStarted(Date.now());
    },
    jobFinished(outcome, info) {
      running = Math.max(0, running - 1);
      meter.jobFinished(Date.now(), outcome === 'completed' ? (info.audioS ?? 0) : 0);
      active.dec();
      jobs.inc({ outcome });
      seconds.observe({ outcome }, info.durationS);
      if (info.audioS !== undefined) audio.inc(info.audioS);
      if (info.errorCode !== undefined) errors.inc({ code: info.errorCode });
    },
    onBatch(report) {
      batchItems.observe(report.items);
      batchSeconds.observe(report.durationMs / 1000);
      if (!report.ok) batchFailures.inc();
    },
    trackQueuedSegments(read) {
      readQueued = read;
    },
  };
}
