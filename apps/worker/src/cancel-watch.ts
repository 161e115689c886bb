/**
 * Cancellation while a job runs. The API cancels by setting the job record's
 * status to `canceled` (or deletes the record); the worker cannot be told
 * directly, so it polls the record and aborts the transcription when it sees
 * either. One GET per job per interval is cheap next to the inference.
 */
import { AppError } from '@earshot/core/errors/app-error';
import type { JobStore } from '@earshot/core/jobs/job-store';

export interface CancelWatch {
  /** Aborted once the record is canceled or gone. */
  readonly signal: AbortSignal;
  stop(): void;
}

export function watchForCancel(
  jobStore: Pick<JobStore, 'get'>,
  jobId: string,
  intervalMs: number,
  onError: (err: unknown) => void,
): CancelWatch {
  const controller = new AbortController();
  let checking = false;
  const timer = setInterval(() => {
    if (checking || controller.signal.aborted) return;
    checking = true;
    jobStore
      .get(jobId)
      .then((record) => {
        if (!record || record.status === 'canceled') {
          controller.abort(new AppError('JOB_CANCELED', record ? `job ${jobId} was canceled` : `job ${jobId} was deleted`));
        }
      })
      .catch(onError)
      .finally(() => {
        checking = false;
      });
  }, intervalMs);
  timer.unref();
  return {
    signal: controller.signal,
    stop: () => clearInterval(timer),
  };
}
