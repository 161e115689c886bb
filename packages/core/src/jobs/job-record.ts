import { z } from 'zod';
import { ERROR_CODES, type ErrorCode } from '../errors/app-error.js';
import { TRANSCRIPT_FORMATS } from '../results/formats/format-transcript.js';
import { transcriptChannelSchema, transcriptSummarySchema, transcriptTimingsSchema, transcriptWarningSchema } from '../results/transcript-schema.js';
import { JobOptionsSchema, type JobOptions } from './job-options.js';

/**
 * A transcription job as clients see it. Kept in Redis apart from BullMQ's own
 * job (which is trimmed once finished) so status and results outlive the queue.
 * `JobRecordSchema` is the contract between the API and the workers: the job
 * store parses every record it reads with it (unknown keys are dropped, a record
 * that does not fit is an error, never a silent cast).
 */
export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'canceled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'canceled'];

/**
 * What a job is doing: the engine's phases while it runs (`done` until the results are
 * written), `retrying` while queued for another attempt, `failed` once it gave up.
 */
export const JOB_PHASES = ['fetching', 'decoding', 'vad', 'features', 'inference', 'uploading', 'done', 'retrying', 'failed'] as const;
export type JobPhase = (typeof JOB_PHASES)[number];

/** Where the audio comes from. `storage`: uploaded into our blob store under `key`. */
export const JobSourceSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('storage'),
    key: z.string(),
    filename: z.string().optional(),
    contentType: z.string().optional(),
    sizeBytes: z.number().optional(),
  }),
  z.object({ kind: z.literal('s3'), uri: z.string() }),
  z.object({ kind: z.literal('url'), url: z.string() }),
]);
export type JobSource = z.infer<typeof JobSourceSchema>;

const ERROR_CODE_LIST = Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]];

export const JobErrorSchema = z.object({
  code: z.enum(ERROR_CODE_LIST),
  message: z.string(),
  /** The error's machine-readable details (e.g. decodedS/declaredS of AUDIO_CORRUPT). */
  details: z.record(z.string(), z.unknown()).optional(),
});
export type JobError = z.infer<typeof JobErrorSchema>;

export const AlertMatchSchema = z.object({
  rule: z.string(),
  kind: z.enum(['emotion', 'event']),
  label: z.string(),
  message: z.string(),
  /** Seconds (emotion) or count / per-minute (event) that matched. */
  value: z.number(),
  threshold: z.number(),
  /** The channel the rule watched (a rule with `channel`, per-channel transcripts); absent otherwise. */
  channel: z.number().int().nonnegative().optional(),
});
export type AlertMatch = z.infer<typeof AlertMatchSchema>;

export const JobResultInfoSchema = z.object({
  /** Storage key per format. */
  keys: z.partialRecord(z.enum(TRANSCRIPT_FORMATS), z.string()),
  durationS: z.number(),
  language: z.string().nullable(),
  segments: z.number(),
  synthetic: z.boolean(),
  summary: transcriptSummarySchema,
  /**
   * A per-channel transcript's channels with their own language and summary (a call centre reads
   * the customer's side here without the transcript); absent when mixed.
   */
  channels: z
    .array(transcriptChannelSchema.pick({ channel: true, name: true, silent: true, language: true, summary: true }))
    .optional(),
});
export type JobResultInfo = z.infer<typeof JobResultInfoSchema>;

/** How long the job's audio is: declared by its container at submission (`exact: false`), or decoded by a worker (`exact: true`). */
export const AudioDurationSchema = z.object({
  durationS: z.number().nonnegative(),
  exact: z.boolean(),
});

/**
 * A job split across workers (fan-out): how many chunks it became and how many have been
 * transcribed. `done` only grows; it equals `total` once every chunk is done (the merge then runs).
 */
export const JobChunksSchema = z.object({
  total: z.number().int().positive(),
  done: z.number().int().nonnegative(),
});
export type JobChunks = z.infer<typeof JobChunksSchema>;

export const JobRecordSchema = z.object({
  id: z.string(),
  tenant: z.string(),
  status: z.enum(JOB_STATUSES),
  createdAt: z.string(),
  updatedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  source: JobSourceSchema,
  options: JobOptionsSchema,
  metadata: z.record(z.string(), z.unknown()).nullable(),
  /** 0..1 */
  progress: z.number(),
  phase: z.enum(JOB_PHASES).nullable(),
  /** Processing attempts started (BullMQ attemptsStarted). */
  attempts: z.number(),
  error: JobErrorSchema.nullable(),
  result: JobResultInfoSchema.nullable(),
  timings: transcriptTimingsSchema.nullable(),
  alerts: z.array(AlertMatchSchema),
  /** The completed transcript's warnings (e.g. AUDIO_PARTIALLY_DECODED); absent on records written before warnings existed. */
  warnings: z.array(transcriptWarningSchema).optional(),
  idempotencyKey: z.string().nullable(),
  /** The audio's duration once known (null: not yet; absent on records older than this field). */
  audio: AudioDurationSchema.nullable().optional(),
  /** Set once the job was split across workers (null: not split; absent on records older than this field). */
  chunks: JobChunksSchema.nullable().optional(),
});
export type JobRecord = z.infer<typeof JobRecordSchema>;

/** A just-submitted job: status queued, nothing run yet. */
export function newQueuedJobRecord(input: {
  id: string;
  tenant: string;
  source: JobSource;
  options: JobOptions;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string | null;
  /** The duration the container declares, when the API could read it cheaply. */
  audio?: z.infer<typeof AudioDurationSchema> | null;
  now?: Date;
}): JobRecord {
  const now = (input.now ?? new Date()).toISOString();
  return {
    id: input.id,
    tenant: input.tenant,
    status: 'queued',
    createdAt: now,
    updatedAt: now,
    startedAt: null,
    finishedAt: null,
    source: input.source,
    options: input.options,
    metadata: input.metadata,
    progress: 0,
    phase: null,
    attempts: 0,
    error: null,
    result: null,
    timings: null,
    alerts: [],
    idempotencyKey: input.idempotencyKey,
    audio: input.audio ?? null,
    chunks: null,
  };
}
