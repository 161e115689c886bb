import { Queue, type ConnectionOptions, type FlowJob, type FlowProducer, type JobsOptions } from 'bullmq';
import { z } from 'zod';
import { AudioDurationSchema, type JobRecord } from '../jobs/job-record.js';

/**
 * The transcription queue. A BullMQ job carries ids (and the audio duration, for the scaling
 * signal): the job record (JobStore) is the truth about the source and the options, so a payload
 * can never disagree with what the client sees. Its BullMQ id is the Earshot job id, so a duplicate add is a no-op. Older payloads that
 * also carried `source` and `options` still parse (unknown keys are dropped).
 *
 * Three kinds of BullMQ job share the queue, told apart by the job name:
 * - `transcribe`: one Earshot job as submitted. The worker that takes it transcribes the file, or,
 *   when the file is long (fan-out), splits it and adds the flow below;
 * - `chunk`: one piece of a split file (`ChunkJobData`), a child of the job's `merge`;
 * - `merge`: runs once every chunk is done (a BullMQ flow parent) and finishes the Earshot job.
 * Every payload extends `TranscriptionJobData`, so code that only needs the ids (the backlog, the
 * failed-job finaliser) reads any of them with that schema.
 */
export const TRANSCRIPTION_JOB_NAMES = { transcribe: 'transcribe', chunk: 'chunk', merge: 'merge' } as const;
export type TranscriptionJobName = (typeof TRANSCRIPTION_JOB_NAMES)[keyof typeof TRANSCRIPTION_JOB_NAMES];

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

/**
 * A `chunk` job: which piece of the job's split this is. Its spans and audio are in the blob store
 * (storage/keys.ts `chunkManifestKey`, `chunkAudioKey`). `audio` is the chunk's share of the file
 * (the split's cut points partition the whole file), so the backlog still sums to the file's length.
 */
export const ChunkJobDataSchema = TranscriptionJobDataSchema.extend({
  chunk: z.object({ index: z.number().int().nonnegative(), total: z.number().int().positive() }),
});
export type ChunkJobData = z.infer<typeof ChunkJobDataSchema>;

/** A `merge` job: assembles the `chunks` results. `audio` is 0 s: no audio is left to transcribe once it can run. */
export const MergeJobDataSchema = TranscriptionJobDataSchema.extend({
  chunks: z.number().int().positive(),
});
export type MergeJobData = z.infer<typeof MergeJobDataSchema>;

/** BullMQ id of a job's merge: derived from the job id, so a re-run split adds nothing twice. */
export function mergeJobId(jobId: string): string {
  return `${jobId}-merge`;
}

/** BullMQ id of one chunk of a job. */
export function chunkJobId(jobId: string, index: number): string {
  return `${jobId}-chunk-${index}`;
}

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

/** Finished BullMQ jobs are trimmed; the job record (jobs/job-store.ts) keeps status and results. */
const FINISHED_JOB_RETENTION = {
  removeOnComplete: { age: 3600, count: 1000 },
  removeOnFail: { age: 24 * 3600, count: 5000 },
} as const;

/** What the chunks of a split job and their merge are added with. */
export interface ChunkFlowInput {
  jobId: string;
  tenant: string;
  /** Each chunk's share of the file, in seconds (for the backlog). */
  chunkShareS: number[];
  /** The submitted job's priority, passed on to its chunks and merge. */
  priority?: number;
  /** BullMQ attempts and backoff of each chunk and of the merge (those of the `transcribe` job). */
  attempts?: number;
  backoff?: JobsOptions['backoff'];
}

/**
 * The flow of a split job: the `merge` job as the parent of one `chunk` job per chunk, all in the
 * transcription queue. A chunk is retried alone (its own attempts); a chunk that finally fails fails
 * the merge (`failParentOnFailure`), so the merge never runs on a partial result.
 */
export function chunkFlow(queueName: string, input: ChunkFlowInput): FlowJob {
  const { jobId, tenant } = input;
  const total = input.chunkShareS.length;
  const common: JobsOptions = {
    ...(input.priority !== undefined ? { priority: input.priority } : {}),
    ...(input.attempts !== undefined ? { attempts: input.attempts } : {}),
    ...(input.backoff !== undefined ? { backoff: input.backoff } : {}),
    removeOnComplete: FINISHED_JOB_RETENTION.removeOnComplete,
    removeOnFail: FINISHED_JOB_RETENTION.removeOnFail,
  };
  return {
    name: TRANSCRIPTION_JOB_NAMES.merge,
    queueName,
    data: { jobId, tenant, audio: { durationS: 0, exact: true }, chunks: total } satisfies MergeJobData,
    opts: { ...common, jobId: mergeJobId(jobId) },
    children: input.chunkShareS.map((shareS, index) => ({
      name: TRANSCRIPTION_JOB_NAMES.chunk,
      queueName,
      data: { jobId, tenant, audio: { durationS: shareS, exact: true }, chunk: { index, total } } satisfies ChunkJobData,
      opts: { ...common, jobId: chunkJobId(jobId, index), failParentOnFailure: true },
    })),
  };
}

/** Adds a split job's flow; adding it again (a re-run split) adds nothing: the ids are derived from the job id. */
export async function enqueueChunks(flows: Pick<FlowProducer, 'add'>, queueName: string, input: ChunkFlowInput): Promise<void> {
  await flows.add(chunkFlow(queueName, input));
}

export async function enqueueTranscription(
  queue: Queue<TranscriptionJobData>,
  job: Pick<JobRecord, 'id' | 'tenant' | 'options' | 'audio'>,
  retry: RetryPolicy,
): Promise<void> {
  await queue.add(
    TRANSCRIPTION_JOB_NAMES.transcribe,
    { jobId: job.id, tenant: job.tenant, audio: job.audio ?? null },
    {
      jobId: job.id,
      ...(job.options.priority !== undefined ? { priority: job.options.priority } : {}),
      attempts: retry.attempts,
      backoff: { type: 'exponential', delay: retry.backoffMs },
      ...FINISHED_JOB_RETENTION,
    },
  );
}
