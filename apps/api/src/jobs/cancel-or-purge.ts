/**
 * DELETE /v1/jobs/:id cancels; DELETE /v1/jobs/:id?purge=true deletes. Two requests, so a client
 * retrying a cancel (a timeout, a lost answer) can never delete its job by accident.
 *
 * Cancel, by status:
 * - queued: marked canceled and its BullMQ job removed → 202 with the job;
 * - processing: marked canceled; the worker sees the status, stops, and its final write (a
 *   compare-and-set from processing) does nothing → 202 with the job;
 * - canceled: nothing changes → 202 with the same job, as the first cancel answered (idempotent);
 * - completed, failed: too late → 409 JOB_ALREADY_FINISHED naming the status.
 *
 * Purge: a finished job (completed, failed, canceled) loses its audio (when stored by us), its
 * results and its record → 204; a queued or processing one → 409 JOB_NOT_FINISHED (cancel it
 * first: a running worker could still write results after the delete).
 *
 * Status changes are compare-and-set, so a job that moves on meanwhile (queued → processing)
 * is handled by the branch of its new status.
 */
import type { Queue } from 'bullmq';
import type { Logger } from 'pino';
import { AppError } from '@earshot/core/errors/app-error';
import { FINISHED_STATUSES, type JobRecord } from '@earshot/core/jobs/job-record';
import type { JobStore } from '@earshot/core/jobs/job-store';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { jobPrefix } from '@earshot/core/storage/keys';

export interface CancelDeps {
  jobs: JobStore;
  queue: Queue;
  store: BlobStore;
  logger: Logger;
}

const MAX_TRIES = 10;

function canceled(): Partial<JobRecord> {
  const now = new Date().toISOString();
  return { status: 'canceled', finishedAt: now, phase: null, error: { code: 'JOB_CANCELED', message: 'canceled by the client' } };
}

/** Cancels a queued or processing job; a canceled one is returned as it is. */
export async function cancelJob(deps: CancelDeps, id: string, tenant: string): Promise<JobRecord> {
  for (let tries = 0; tries < MAX_TRIES; tries++) {
    const job = await deps.jobs.getForTenant(id, tenant);
    switch (job.status) {
      case 'queued': {
        const updated = await deps.jobs.update(id, canceled, ['queued']);
        if (!updated) continue; // picked up meanwhile
        await removeQueued(deps, id);
        return updated;
      }
      case 'processing': {
        const updated = await deps.jobs.update(id, canceled, ['processing']);
        if (updated) return updated;
        continue;
      }
      case 'canceled':
        return job;
      case 'completed':
      case 'failed':
        throw new AppError('JOB_ALREADY_FINISHED', `job ${id} is already ${job.status}; DELETE /v1/jobs/${id}?purge=true deletes it`, {
          details: { status: job.status },
        });
    }
  }
  throw new AppError('CONFLICT', `job ${id} keeps changing status; retry`);
}

/** Deletes a finished job with everything stored for it. */
export async function purgeJob(deps: CancelDeps, id: string, tenant: string): Promise<void> {
  const job = await deps.jobs.getForTenant(id, tenant);
  if (!FINISHED_STATUSES.includes(job.status)) {
    throw new AppError('JOB_NOT_FINISHED', `job ${id} is ${job.status}; cancel it (DELETE /v1/jobs/${id}) before purging it`, {
      details: { status: job.status },
    });
  }
  // Audio we stored outside the job prefix (an upload slot) is the job's too: each upload feeds one job.
  if (job.source.kind === 'storage') await deps.store.delete(job.source.key);
  await deps.store.deletePrefix(jobPrefix(job.tenant, job.id));
  try {
    await deps.queue.remove(job.id); // a failed BullMQ job is kept a while; it holds the job's options
  } catch (err) {
    deps.logger.warn({ err, jobId: job.id }, 'could not remove the BullMQ job of a deleted job');
  }
  await deps.jobs.delete(job);
}

/** Removes the BullMQ job; one a worker holds (locked) cannot be removed, and then sees the canceled record. */
async function removeQueued(deps: CancelDeps, id: string): Promise<void> {
  try {
    await deps.queue.remove(id);
  } catch (err) {
    deps.logger.info({ err, jobId: id }, 'queued job was taken by a worker before removal; it will see the cancel');
  }
}
