/**
 * DELETE /v1/jobs/:id, by status:
 * - queued: marked canceled and its BullMQ job removed → 'canceled' (202);
 * - processing: marked canceled; the worker sees the status, stops, and its final write (a
 *   compare-and-set from processing) does nothing → 'canceled' (202);
 * - completed, failed, canceled: its audio (when stored by us), its results and its record are
 *   deleted → 'deleted' (204).
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

export type CancelOutcome = { kind: 'canceled'; job: JobRecord } | { kind: 'deleted' };

function canceled(): Partial<JobRecord> {
  const now = new Date().toISOString();
  return { status: 'canceled', finishedAt: now, phase: null, error: { code: 'JOB_CANCELED', message: 'canceled by the client' } };
}

export async function cancelOrDelete(deps: CancelDeps, id: string, tenant: string): Promise<CancelOutcome> {
  for (let tries = 0; tries < 10; tries++) {
    const job = await deps.jobs.getForTenant(id, tenant);
    if (job.status === 'queued') {
      const updated = await deps.jobs.update(id, canceled, ['queued']);
      if (!updated) continue; // picked up meanwhile
      await removeQueued(deps, id);
      return { kind: 'canceled', job: updated };
    }
    if (job.status === 'processing') {
      const updated = await deps.jobs.update(id, canceled, ['processing']);
      if (updated) return { kind: 'canceled', job: updated };
      continue;
    }
    if (FINISHED_STATUSES.includes(job.status)) {
      await deleteFinished(deps, job);
      return { kind: 'deleted' };
    }
  }
  throw new AppError('CONFLICT', `job ${id} keeps changing status; retry`);
}

/** Removes the BullMQ job; one a worker holds (locked) cannot be removed, and then sees the canceled record. */
async function removeQueued(deps: CancelDeps, id: string): Promise<void> {
  try {
    await deps.queue.remove(id);
  } catch (err) {
    deps.logger.info({ err, jobId: id }, 'queued job was taken by a worker before removal; it will see the cancel');
  }
}

async function deleteFinished(deps: CancelDeps, job: JobRecord): Promise<void> {
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
