/**
 * Jobs BullMQ fails without running the processor. When a job's worker dies (crash, OOM kill)
 * more often than EARSHOT_WORKER_MAX_STALLED_COUNT allows, BullMQ's stalled-job check moves it
 * straight to `failed` ("job stalled more than allowable limit"): the processor never sees that,
 * so without this hook the record would stay `processing` for ever, with no job.failed webhook
 * and no retention TTL. This listener finalises the record (failed, WORKER_LOST) and sends
 * job.failed. It is idempotent: a job the processor already failed has a final record, which
 * the compare-and-set leaves alone, and the event id derives from the job id.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { JobError } from '@earshot/core/jobs/job-record';
import type { JobStore } from '@earshot/core/jobs/job-store';
import { TranscriptionJobDataSchema } from '@earshot/core/queue/transcription-queue';
import type { WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import { failureEvent, sendJobEvents } from './job-webhooks.js';

export interface FailedJobFinalizerDeps {
  jobStore: Pick<JobStore, 'update'>;
  webhooks: Pick<WebhookDispatcher, 'enqueue'>;
  publicUrl: string;
  logger: Logger;
}

/** The listener for the BullMQ Worker's `failed` event. */
export function createFailedJobFinalizer(deps: FailedJobFinalizerDeps): (job: Job | undefined, err: Error) => Promise<void> {
  return async (job, err) => {
    if (!job) return;
    try {
      // `failed` is also emitted for an attempt that will be retried: only a final failure counts.
      if ((await job.getState()) !== 'failed') return;
      const parsed = TranscriptionJobDataSchema.safeParse(job.data);
      if (!parsed.success) return;
      const { jobId } = parsed.data;
      const error: JobError = {
        code: 'WORKER_LOST',
        message: `the job's worker stopped while running it more often than allowed (${err.message}); a crash or an out-of-memory kill is likely`,
      };
      const failed = await deps.jobStore.update(
        jobId,
        () => ({ status: 'failed', finishedAt: new Date().toISOString(), phase: 'failed', error }),
        ['queued', 'processing'],
      );
      if (!failed) return; // the processor already wrote the outcome
      deps.logger.error({ jobId, reason: err.message }, 'job failed outside the processor (stalled too often)');
      await sendJobEvents(deps.webhooks, failed, [failureEvent(failed, error, deps.publicUrl)]);
    } catch (finalizeErr) {
      deps.logger.warn({ err: finalizeErr, jobId: job.id }, 'could not finalise a job BullMQ failed');
    }
  };
}
