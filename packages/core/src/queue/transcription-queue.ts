import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { AudioDurationSchema, type JobRecord } from '../jobs/job-record.js';

/**
 * The transcription queue. A BullMQ job carries ids (and the audio duration, for the scaling
 * signal): the job record (JobStore) is the truth about the source and the options, so a payload
 * can never disagree with what the client sees. Its BullMQ id is the Earshot job id, so a duplicate add is a no-op. Older payloads that
 * also carried `source` and `options` still parse (unknown keys are dropped).
 */
export const TranscriptionJobDataSchema = z.object({
  jobId: z.string().min(1),
  tenant: z.string().min(1),
  /**
   * The audio's duration as far as known (a copy of the record's, for the scaling signal, which
   * sums the backlog from the queue without reading every record); null: unknown yet.
   */
  audio: AudioDurationSchema.nullable().optional(),
});
export type TranscriptionJobData = z.infer<typeof TranscriptionJobDataSchema>;

export interface QueueLocation {
  connection: ConnectionOptions;
  /** Queue name. @defaultValue 'transcription' */
  name: string;
  /** BullMQ key prefix. @defaultValue 'bull' */
  prefix: string;
}

export interface RetryPolicy {
  /** Attempts for retryable failures (bad audio fails at once). @defaultValue 3 */
  attempts: number;
  /** First backoff delay; doubles per attempt. @defaultValue 5000 */
  backoffMs: number;
}

export function createTranscriptionQueue(location: QueueLocation): Queue<TranscriptionJobData> {
  return new Queue<TranscriptionJobData>(location.name, { connection: location.connection, prefix: location.prefix });
}

export async function enqueueTranscription(
  queue: Queue<TranscriptionJobData>,
  job: Pick<JobRecord, 'id' | 'tenant' | 'options' | 'audio'>,
  retry: RetryPolicy,
): Promise<void> {
  await queue.add(
    'transcribe',
    { jobId: job.id, tenant: job.tenant, audio: job.audio ?? null },
    {
      jobId: job.id,
      ...(job.options.priority !== undefined ? { priority: job.options.priority } : {}),
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      // Finished BullMQ jobs are trimmed; the job record (jobs/job-store.ts) keeps status and results.
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 24 * 3600, count: 5000 },
    },
  );
}
