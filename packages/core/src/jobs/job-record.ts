import type { TranscriptFormat } from '../results/formats/format-transcript.js';
import type { TranscriptSummary, TranscriptTimings } from '../results/transcript.js';
import type { TranscriptWarning } from '../results/warnings.js';
import type { JobOptions } from './job-options.js';

/**
 * A transcription job as clients see it. Kept in Redis apart from BullMQ's own
 * job (which is trimmed once finished) so status and results outlive the queue.
 */
export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'canceled';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'processing', 'completed', 'failed', 'canceled'];
export const FINISHED_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'canceled'];

/** Where the audio comes from. `storage`: uploaded into our blob store under `key`. */
export type JobSource =
  | { kind: 'storage'; key: string; filename?: string; contentType?: string; sizeBytes?: number }
  | { kind: 's3'; uri: string }
  | { kind: 'url'; url: string };

export interface JobError {
  code: string;
  message: string;
}

export interface AlertMatch {
  rule: string;
  kind: 'emotion' | 'event';
  label: string;
  message: string;
  /** Seconds (emotion) or count / per-minute (event) that matched. */
  value: number;
  threshold: number;
}

export interface JobResultInfo {
  /** Storage key per format. */
  keys: Partial<Record<TranscriptFormat, string>>;
  durationS: number;
  language: string | null;
  segments: number;
  synthetic: boolean;
  summary: TranscriptSummary;
}

export interface JobRecord {
  id: string;
  tenant: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  source: JobSource;
  options: JobOptions;
  metadata: Record<string, unknown> | null;
  /** 0..1 */
  progress: number;
  phase: string | null;
  /** Processing attempts started (BullMQ attemptsStarted). */
  attempts: number;
  error: JobError | null;
  result: JobResultInfo | null;
  timings: TranscriptTimings | null;
  alerts: AlertMatch[];
  /** The completed transcript's warnings (e.g. AUDIO_PARTIALLY_DECODED); absent on records written before warnings existed. */
  warnings?: TranscriptWarning[];
  idempotencyKey: string | null;
}

/** A just-submitted job: status queued, nothing run yet. */
export function newQueuedJobRecord(input: {
  id: string;
  tenant: string;
  source: JobSource;
  options: JobOptions;
  metadata: Record<string, unknown> | null;
  idempotencyKey: string | null;
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
  };
}
