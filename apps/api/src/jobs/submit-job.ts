/**
 * The one path every new job takes, whatever the request looked like: claim the
 * Idempotency-Key, claim the upload, create the record (status queued), enqueue it. A failure
 * after a claim releases it again, and a record whose enqueue failed is removed, so nothing is
 * left half-created: the client can simply retry. When Redis dies mid-submission the undo itself
 * may not run; the record stays marked as a pending submission and `sweepSubmissions` finishes
 * the job later (sweep-submissions.ts).
 */
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { AppError } from '@earshot/core/errors/app-error';
import type { JobOptions } from '@earshot/core/jobs/job-options';
import { newQueuedJobRecord, type JobRecord, type JobSource } from '@earshot/core/jobs/job-record';
import type { JobStore } from '@earshot/core/jobs/job-store';
import { enqueueTranscription, type RetryPolicy, type TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import type { UploadRecord, UploadRegistry } from '../uploads/upload-registry.js';
import type { MeasureAudio } from './measure-audio.js';

export interface SubmitDeps {
  jobs: JobStore;
  queue: Queue<TranscriptionJobData>;
  uploads: UploadRegistry;
  retry: RetryPolicy;
  /** The audio's declared duration (null when unknown); stored on the record and the queue payload. */
  measureAudio: MeasureAudio;
  logger: Logger;
}

export interface Submission {
  tenant: string;
  jobId: string;
  source: JobSource;
  options: JobOptions;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string | null;
  /** Hash of the canonical request (jobs/idempotency.ts); only used with an idempotency key. */
  requestHash: string;
  upload?: UploadRecord;
}

export interface Submitted {
  job: JobRecord;
  /** true when an earlier request with the same Idempotency-Key created the job. */
  replayed: boolean;
}

/** How long an Idempotency-Key is remembered. */
export const IDEMPOTENCY_TTL_S = 24 * 3600;

export async function submitJob(deps: SubmitDeps, s: Submission): Promise<Submitted> {
  if (s.idempotencyKey !== null) {
    const existingId = await deps.jobs.claimIdempotencyKey(s.tenant, s.idempotencyKey, s.requestHash, s.jobId, IDEMPOTENCY_TTL_S);
    if (existingId !== null) {
      const existing = await deps.jobs.get(existingId);
      if (existing && existing.tenant === s.tenant) return { job: existing, replayed: true };
      // The key is bound but its job is not written yet: the first request is still running.
      throw new AppError('CONFLICT', 'a request with this Idempotency-Key is still being processed; retry shortly', {
        details: { retryAfterS: 1 },
      });
    }
  }
  let uploadClaimed = false;
  let created = false;
  try {
    if (s.upload) {
      const holder = await deps.uploads.claim(s.upload, s.jobId);
      if (holder !== null) {
        throw new AppError('CONFLICT', `upload ${s.upload.id} is already used by job ${holder}; create a new upload per job`, {
          details: { uploadId: s.upload.id, jobId: holder },
        });
      }
      uploadClaimed = true;
    }
    const job = newQueuedJobRecord({
      id: s.jobId,
      tenant: s.tenant,
      source: s.source,
      options: s.options,
      metadata: s.metadata,
      idempotencyKey: s.idempotencyKey,
      audio: await deps.measureAudio(s.source),
    });
    await deps.jobs.create(job, { uploadId: s.upload?.id ?? null });
    created = true;
    try {
      await enqueueTranscription(deps.queue, job, deps.retry);
    } catch (err) {
      throw new AppError('QUEUE_UNAVAILABLE', 'could not enqueue the job', { cause: err });
    }
    // The job is queued: from here on it must not be undone. A mark left behind (Redis gone right
    // now) is cleared by the sweeper, which finds the queued job.
    await deps.jobs.submitted(job.id).catch((err: unknown) => deps.logger.warn({ err, jobId: job.id }, 'could not clear a pending-submission mark'));
    return { job, replayed: false };
  } catch (err) {
    await undo(deps, s, { uploadClaimed, created }).catch((undoErr: unknown) =>
      deps.logger.error({ err: undoErr, jobId: s.jobId }, 'could not undo a failed job submission'),
    );
    throw err;
  }
}

async function undo(deps: SubmitDeps, s: Submission, done: { uploadClaimed: boolean; created: boolean }): Promise<void> {
  // Deleting the record also deletes its idempotency key.
  if (done.created) await deps.jobs.delete({ id: s.jobId, tenant: s.tenant, idempotencyKey: s.idempotencyKey });
  else if (s.idempotencyKey !== null) await deps.jobs.releaseIdempotencyKey(s.tenant, s.idempotencyKey);
  if (done.uploadClaimed && s.upload) await deps.uploads.release(s.upload, s.jobId);
}
