/**
 * How a run that failed, or that found its job already finished, ends. Shared by the processors
 * (process-job.ts, fanout/process-chunk.ts, fanout/merge-chunks.ts).
 *
 * Errors decide what BullMQ does next: a non-retryable AppError (bad audio, 4xx source) fails the
 * job at once (`UnrecoverableError`); a retryable one is rethrown so BullMQ backs off, until the
 * last attempt, which fails the job. `job.failed` is sent once, on the final failure.
 */
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { AppError } from '@earshot/core/errors/app-error';
import type { JobRecord } from '@earshot/core/jobs/job-record';
import { completionEvents, failureEvent, sendJobEvents } from './job-webhooks.js';
import type { JobRunDeps, JobRunResult } from './job-run.js';

export interface FailureInput {
  jobId: string;
  error: AppError;
  /** This attempt (1-based) and how many BullMQ allows. */
  attempt: number;
  maxAttempts: number;
  /**
   * On a retry, put the record back to `queued` (phase `retrying`): right for a whole job, whose
   * next attempt starts over. A chunk's retry leaves the record `processing`: the rest of the job runs on.
   */
  requeueRecord: boolean;
}

/** Retry (rethrow) or fail for good (record failed + job.failed webhook); returns which. */
export async function recordFailure(
  deps: Pick<JobRunDeps, 'jobStore' | 'webhooks' | 'publicUrl'>,
  input: FailureInput,
  log: Logger,
): Promise<'retried' | 'failed'> {
  const { jobId, error, attempt, maxAttempts } = input;
  // Details of client-side failures help the client (AUDIO_CORRUPT: decodedS, declaredS); a
  // backend's (bucket names, socket errors) stay in the logs, as in the API's problem answers.
  const jobError = error.httpStatus < 500 ? error.toJSON() : { code: error.code, message: error.message };
  if (error.retryable && attempt < maxAttempts) {
    log.warn({ err: error, code: error.code, attempt, maxAttempts }, 'job run failed; BullMQ will retry');
    if (input.requeueRecord) {
      await deps.jobStore.update(jobId, () => ({ status: 'queued', phase: 'retrying', progress: 0, error: jobError }), ['processing']);
    }
    return 'retried';
  }
  log.error({ err: error, code: error.code, attempt, maxAttempts }, 'job failed');
  const failed = await deps.jobStore.update(
    jobId,
    () => ({ status: 'failed', finishedAt: new Date().toISOString(), phase: 'failed', error: jobError }),
    ['processing', 'queued'],
  );
  if (failed) await sendJobEvents(deps.webhooks, failed, [failureEvent(failed, jobError, deps.publicUrl)]);
  return 'failed';
}

/** What the run throws to BullMQ for an outcome of `recordFailure`. */
export function failureToThrow(outcome: 'retried' | 'failed', error: AppError): Error {
  return outcome === 'retried' ? error : new UnrecoverableError(`${error.code}: ${error.message}`);
}

/**
 * The record is no longer queued/processing (or gone): say why, and finish what a dead run may
 * have left undone (its webhooks). A failed record ends the run with UnrecoverableError.
 */
export async function replayFinishedRecord(
  deps: Pick<JobRunDeps, 'webhooks' | 'publicUrl'>,
  current: JobRecord | null,
  log: Logger,
): Promise<JobRunResult> {
  if (!current) {
    log.info('job record is gone (deleted or expired); nothing to do');
    return { status: 'skipped' };
  }
  switch (current.status) {
    case 'canceled':
      log.info('job was canceled before it started');
      return { status: 'canceled' };
    case 'completed':
      // A previous run completed the record but died before BullMQ knew: make sure its webhooks went out.
      await sendJobEvents(deps.webhooks, current, completionEvents(current, deps.publicUrl));
      log.info('job already completed by an earlier run');
      return { status: 'completed' };
    case 'failed': {
      const error = current.error ?? { code: 'INTERNAL', message: 'failed' };
      await sendJobEvents(deps.webhooks, current, [failureEvent(current, error, deps.publicUrl)]);
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    }
    default:
      // Unreachable: callers pass records outside queued/processing.
      throw new Error(`job ${current.id} is ${current.status}`);
  }
}
