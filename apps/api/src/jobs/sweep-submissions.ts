/**
 * Finishes submissions that died half-way. `submitJob` writes the record (marked as a pending
 * submission), enqueues it, then clears the mark; a failure in between is undone at once. When
 * Redis itself dies at that instant the undo cannot run: the client got 503, but the record (and
 * the upload claim) stay. The sweeper looks at marks older than `ageMs`:
 * - the queue has the job → the enqueue did run (only its reply was lost): the job is real and
 *   runs; the mark is cleared;
 * - no queued job and the record still `queued` → the submission failed: the undo is completed
 *   (record, its idempotency key and its upload claim removed), as the 503 promised;
 * - the record is gone or has moved on → the mark is cleared.
 */
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import type { JobStore } from '@earshot/core/jobs/job-store';
import type { TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import type { UploadRegistry } from '../uploads/upload-registry.js';

export interface SweepDeps {
  jobs: JobStore;
  queue: Pick<Queue<TranscriptionJobData>, 'getJob'>;
  uploads: Pick<UploadRegistry, 'get' | 'release'>;
  logger: Logger;
  /** A mark younger than this belongs to a submission that may still be running. */
  ageMs: number;
  now?: () => number;
}

export interface SweepOutcome {
  /** Submissions whose job was queued after all (mark cleared). */
  confirmed: string[];
  /** Submissions undone (record removed). */
  undone: string[];
  /** Marks of records that were gone or no longer queued. */
  cleared: string[];
}

export async function sweepSubmissions(deps: SweepDeps): Promise<SweepOutcome> {
  const now = (deps.now ?? Date.now)();
  const outcome: SweepOutcome = { confirmed: [], undone: [], cleared: [] };
  for (const mark of await deps.jobs.pendingSubmissions()) {
    if (now - mark.at < deps.ageMs) break; // oldest first: the rest are younger still
    if (await deps.queue.getJob(mark.jobId)) {
      await deps.jobs.submitted(mark.jobId);
      outcome.confirmed.push(mark.jobId);
      continue;
    }
    const record = await deps.jobs.get(mark.jobId);
    if (record?.status !== 'queued') {
      await deps.jobs.submitted(mark.jobId);
      outcome.cleared.push(mark.jobId);
      continue;
    }
    await deps.jobs.delete(record);
    const upload = mark.uploadId === null ? null : await deps.uploads.get(mark.uploadId);
    if (upload) await deps.uploads.release(upload, mark.jobId);
    deps.logger.warn({ jobId: mark.jobId, tenant: record.tenant }, 'removed the record of a submission that failed half-way (it was answered 503)');
    outcome.undone.push(mark.jobId);
  }
  return outcome;
}

/**
 * Runs `sweepSubmissions` every `intervalMs` (errors logged: Redis may be away, the next round
 * retries). Several API replicas may sweep at once: every step is idempotent. Returns a stop
 * function that waits for a round in progress.
 */
export function startSubmissionSweeper(deps: SweepDeps & { intervalMs: number }): () => Promise<void> {
  let running: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(() =>
      sweepSubmissions(deps).catch((err: unknown) => deps.logger.warn({ err }, 'submission sweep failed; retrying next round')),
    );
  }, deps.intervalMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
