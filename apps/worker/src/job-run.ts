/**
 * What every processor of the transcription queue shares: the dependencies of a run, what a run
 * returns to BullMQ, and the abandon rule. The processors are process-job.ts (`transcribe`: one
 * job as submitted, which it transcribes or splits), fanout/process-chunk.ts (`chunk`) and
 * fanout/merge-chunks.ts (`merge`); job-dispatch.ts routes a BullMQ job to one by its name.
 */
import type { Logger } from 'pino';
import { segmentEventOf, type JobEventLog } from '@earshot/core/jobs/job-events';
import type { TranscriptSegment } from '@earshot/core/results/transcript';
import type { JobStore } from '@earshot/core/jobs/job-store';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import type { WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import type { JobMetrics } from './metrics.js';

export interface JobRunDeps {
  store: BlobStore;
  jobStore: JobStore;
  webhooks: Pick<WebhookDispatcher, 'enqueue'>;
  /**
   * The jobs' event streams: each decoded segment is appended there (GET /v1/jobs/:id/events).
   * Status and progress events come from the JobStore's writes. Absent: no segment events.
   */
  events?: Pick<JobEventLog, 'append'>;
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

/** The engine hook that appends each decoded segment to the job's event stream (fire and forget: a lost event is logged, the job goes on). */
export function segmentPublisher(deps: Pick<JobRunDeps, 'events'>, jobId: string, log: Logger, chunk?: number): ((segment: TranscriptSegment) => void) | undefined {
  const { events } = deps;
  if (!events) return undefined;
  return (segment) => {
    events.append(jobId, segmentEventOf(segment, chunk)).catch((err: unknown) => log.warn({ err, segment: segment.index }, 'could not publish a segment event'));
  };
}

export const round3 = (x: number): number => Math.round(x * 1000) / 1000;
