import { Queue, type ConnectionOptions } from 'bullmq';
import { z } from 'zod';
import { JobOptionsSchema } from '../jobs/job-options.js';
import type { JobRecord } from '../jobs/job-record.js';

/**
 * The transcription queue. A BullMQ job carries ids, the audio's location and
 * the options (never audio bytes); its BullMQ id is the Earshot job id, so a
 * duplicate add is a no-op.
 */
export const TranscriptionJobDataSchema = z.object({
  jobId: z.string(),
  tenant: z.string(),
  source: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('storage'), key: z.string() }).passthrough(),
    z.object({ kind: z.literal('s3'), uri: z.string() }),
    z.object({ kind: z.literal('url'), url: z.string() }),
  ]),
  options: JobOptionsSchema,
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
  job: Pick<JobRecord, 'id' | 'tenant' | 'source' | 'options'>,
  retry: RetryPolicy,
): Promise<void> {
  await queue.add(
    'transcribe',
    { jobId: job.id, tenant: job.tenant, source: job.source, options: job.options },
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
