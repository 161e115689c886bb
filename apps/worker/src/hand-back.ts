/**
 * Handing jobs back at a drain timeout. A worker that stops waiting for its active jobs (SIGTERM,
 * then EARSHOT_WORKER_DRAIN_TIMEOUT_MS) could just exit and leave them `active` until their lock
 * expires and some worker's stalled check moves them back (lockDuration + stalledInterval, about
 * 90 s with the defaults). Instead it puts them back itself: the record goes back to `queued`, then
 * the BullMQ job moves from active to the front of `wait` under its own lock token, so another
 * worker starts it within moments. The abandoned runs were told to stop writing first (the
 * processor's abandonSignal), so they cannot overwrite the new run's record.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { JobStore } from '@earshot/core/jobs/job-store';

/** A BullMQ processor as the Worker calls it. */
export type Processor<D, R> = (job: Job<D>, token?: string, signal?: AbortSignal) => Promise<R>;

export interface ActiveRuns<D, R> {
  /** The processor, with every run registered (job and lock token) until it settles. */
  wrap(processor: Processor<D, R>): Processor<D, R>;
  /** Ids of the runs in progress. */
  ids(): string[];
  /**
   * Puts every run in progress back in the queue (record `queued`, BullMQ job to `wait`).
   * Call only after the runs were abandoned. Returns the ids handed back.
   */
  handBack(): Promise<string[]>;
}

export interface ActiveRunsDeps {
  jobStore: Pick<JobStore, 'update'>;
  logger: Logger;
  /**
   * The record a run owns, to put back to `queued`; null for runs that own no record's status
   * (a fan-out chunk or merge: the job stays `processing` while its other chunks run).
   */
  recordIdOf(job: Job): string | null;
}

export function createActiveRuns<D, R>(deps: ActiveRunsDeps): ActiveRuns<D, R> {
  const runs = new Map<string, { job: Job<D>; token: string }>();
  return {
    wrap(processor) {
      return async (job, token, signal) => {
        const key = job.id ?? '';
        if (token !== undefined && key !== '') runs.set(key, { job, token });
        try {
          return await processor(job, token, signal);
        } finally {
          runs.delete(key);
        }
      };
    },
    ids: () => [...runs.keys()],
    async handBack() {
      const handed: string[] = [];
      await Promise.all(
        [...runs.values()].map(async ({ job, token }) => {
          const recordId = deps.recordIdOf(job);
          const jobId = job.id ?? '';
          try {
            // Record first: once the BullMQ job is in `wait`, a new run may set it to processing.
            if (recordId !== null) await deps.jobStore.update(recordId, () => ({ status: 'queued', phase: null, progress: 0 }), ['processing']);
            const result = await job.moveToWait(token);
            if (result < 0) throw new Error(`BullMQ refused (code ${result}): the lock was lost`);
            handed.push(jobId);
          } catch (err) {
            // Still safe: the stalled-job check recovers it once the lock expires.
            deps.logger.warn({ err, jobId }, 'could not hand the job back; stalled-job recovery will');
          }
        }),
      );
      runs.clear();
      return handed;
    },
  };
}
