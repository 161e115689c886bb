/**
 * What every processor of the transcription queue shares: the dependencies of a run, what a run
 * returns to BullMQ, and the abandon rule. The processors are process-job.ts (`transcribe`: one
 * job as submitted, which it transcribes or splits), fanout/process-chunk.ts (`chunk`) and
 * fanout/merge-chunks.ts (`merge`); job-dispatch.ts routes a BullMQ job to one by its name.
 */
import type { Logger } from 'pino';
import type { JobStore } from '@earshot/core/jobs/job-store';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import type { WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import type { JobMetrics } from './metrics.js';

export interface JobRunDeps {
  store: BlobStore;
  jobStore: JobStore;
  webhooks: Pick<WebhookDispatcher, 'enqueue'>;
  /** Base URL of the API, for the links in webhooks. */
  publicUrl: string;
  logger: Logger;
  metrics?: JobMetrics;
  /**
   * Aborted when the worker gives up on its active jobs (drain timeout at shutdown).
   * Runs then stop touching records and never settle, so BullMQ does not move their
   * jobs either: the process exits and stalled-job recovery hands them to another worker.
   */
  abandonSignal?: AbortSignal;
  /** Minimum time between progress writes. @defaultValue 500 */
  progressIntervalMs?: number;
  /** How often a running job's record is checked for a cancel. @defaultValue 1000 */
  cancelPollMs?: number;
}

/** What a run returns to BullMQ (kept small: it is stored on the BullMQ job). */
export interface JobRunResult {
  /** `split`: a `transcribe` run that handed its file to chunk jobs (the merge completes the job). */
  status: 'completed' | 'canceled' | 'skipped' | 'split';
  durationS?: number;
  segments?: number;
  /** Chunks of a split. */
  chunks?: number;
}

/** Never settles: see JobRunDeps.abandonSignal. */
export function abandoned(log: Logger): Promise<never> {
  log.warn('worker is exiting; job left to stalled-job recovery');
  return new Promise<never>(() => {});
}

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
