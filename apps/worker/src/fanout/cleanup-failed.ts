/**
 * Chunk objects of split jobs that BullMQ fails without the processor seeing it: a `chunk` or
 * `merge` job whose worker died more often than EARSHOT_WORKER_MAX_STALLED_COUNT allows (the
 * record is failed by finalize-failed.ts, and a chunk's merge fails with it through
 * `failParentOnFailure`). The processors clean up after their own failures; this listener covers
 * the rest. Idempotent.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import { TRANSCRIPTION_JOB_NAMES, TranscriptionJobDataSchema } from '@earshot/core/queue/transcription-queue';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { discardChunkObjects } from './chunk-objects.js';

/** The listener for the BullMQ Worker's `failed` event. */
export function createChunkCleanupOnFailure(deps: { store: BlobStore; logger: Logger }): (job: Job | undefined) => Promise<void> {
  return async (job) => {
    if (!job || (job.name !== TRANSCRIPTION_JOB_NAMES.chunk && job.name !== TRANSCRIPTION_JOB_NAMES.merge)) return;
    try {
      // `failed` is also emitted for an attempt that will be retried: only a final failure counts.
      if ((await job.getState()) !== 'failed') return;
      const parsed = TranscriptionJobDataSchema.safeParse(job.data);
      if (!parsed.success) return;
      await discardChunkObjects(deps.store, parsed.data.tenant, parsed.data.jobId, deps.logger.child({ jobId: parsed.data.jobId }));
    } catch (err) {
      deps.logger.warn({ err, jobId: job.id }, 'could not clean up after a failed chunk job');
    }
  };
}
