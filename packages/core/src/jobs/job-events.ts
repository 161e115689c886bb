/**
 * A job's event log: one capped Redis Stream per job (`<prefix>job:<id>:events`) that clients read
 * through `GET /v1/jobs/:id/events` (server-sent events) and the OpenAI-compatible route awaits.
 *
 * Who writes what:
 * - `status` and `progress` events are appended by the JobStore itself, in the same Lua script
 *   that writes the record (job-store.ts): every writer of a record (API submit and cancel, the
 *   worker, the merge of a split job, the stalled-job finaliser) therefore produces its event, in
 *   the order of the record writes, and no event can follow the final status.
 * - `segment` events are appended by the worker as the engine decodes each segment (in order;
 *   the chunks of a split job each append theirs, in order within the chunk, with `chunk` set).
 *
 * The stream is capped (MAXLEN ~ `JOB_EVENTS_MAX_LEN`) and expires `JOB_EVENTS_TTL_S` after its
 * last write, so a late reader replays from the start (stream ids are the SSE ids, for
 * Last-Event-ID) and an abandoned stream goes away by itself. A run that is retried decodes its
 * segments again: readers see a new `processing` status with more `attempts`, then the segments
 * from index 0 again.
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { TranscriptSegment } from '../results/transcript.js';
import { JobErrorSchema, JOB_PHASES, JOB_STATUSES, type JobRecord } from './job-record.js';

/** Entries kept per job stream (approximate trim): room for a long file's segments and progress. */
export const JOB_EVENTS_MAX_LEN = 20_000;
/** A job stream expires this long after its last write (finished jobs are then answered from the record). */
export const JOB_EVENTS_TTL_S = 24 * 3600;
/** The one field of a stream entry: the event as JSON. */
export const JOB_EVENT_FIELD = 'e';

export function jobEventsKey(keyPrefix: string, jobId: string): string {
  return `${keyPrefix}job:${jobId}:events`;
}

export const JobStatusEventSchema = z.object({
  type: z.literal('status'),
  status: z.enum(JOB_STATUSES),
  phase: z.enum(JOB_PHASES).nullable(),
  progress: z.number(),
  attempts: z.number(),
  error: JobErrorSchema.nullable(),
});

export const JobProgressEventSchema = z.object({
  type: z.literal('progress'),
  phase: z.enum(JOB_PHASES).nullable(),
  /** 0..1 */
  progress: z.number(),
});

/** A decoded segment: what a live view needs (tokens stay in the stored transcript). */
export const JobSegmentEventSchema = z.object({
  type: z.literal('segment'),
  /** Index in the job's transcript (within its chunk for a split job). */
  index: z.number().int().nonnegative(),
  /** The chunk of a split job that decoded it; absent for a job transcribed whole. */
  chunk: z.number().int().nonnegative().optional(),
  /**
   * The channel it was heard on (`channels: 'separate'`; `index` then counts within the channel,
   * the stored transcript renumbers the channels' segments in time order); absent when mixed.
   */
  channel: z.number().int().nonnegative().optional(),
  startS: z.number(),
  endS: z.number(),
  text: z.string(),
  richText: z.string(),
  language: z.string().nullable(),
  emotion: z.string().nullable(),
  event: z.string().nullable(),
});

export const JobEventSchema = z.discriminatedUnion('type', [JobStatusEventSchema, JobProgressEventSchema, JobSegmentEventSchema]);
export type JobEvent = z.infer<typeof JobEventSchema>;
export type JobStatusEvent = z.infer<typeof JobStatusEventSchema>;
export type JobSegmentEvent = z.infer<typeof JobSegmentEventSchema>;

export function statusEventOf(record: JobRecord): JobStatusEvent {
  return { type: 'status', status: record.status, phase: record.phase, progress: record.progress, attempts: record.attempts, error: record.error };
}

export function segmentEventOf(segment: TranscriptSegment, chunk?: number): JobSegmentEvent {
  const { index, channel, startS, endS, text, richText, language, emotion, event } = segment;
  return {
    type: 'segment',
    index,
    ...(chunk === undefined ? {} : { chunk }),
    ...(channel === null ? {} : { channel }),
    startS,
    endS,
    text,
    richText,
    language,
    emotion,
    event,
  };
}

/**
 * The event a record write produces: `status` when the status or attempts changed, `progress` when
 * only the phase or progress did, none otherwise (a write of other fields).
 */
export function eventForChange(before: JobRecord | null, after: JobRecord): JobEvent | null {
  if (!before || before.status !== after.status || before.attempts !== after.attempts) return statusEventOf(after);
  if (before.phase !== after.phase || before.progress !== after.progress) return { type: 'progress', phase: after.phase, progress: after.progress };
  return null;
}

/** One entry read back: its stream id (the SSE id) and the event. */
export interface JobEventEntry {
  id: string;
  event: JobEvent;
}

/** Stream ids are `<ms>-<seq>`; anything else is not one of ours. */
const STREAM_ID = /^\d{1,20}-\d{1,20}$/;
export function isJobEventId(value: string): boolean {
  return STREAM_ID.test(value);
}

/** Appends events to job streams and reads them back. */
export class JobEventLog {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  key(jobId: string): string {
    return jobEventsKey(this.keyPrefix, jobId);
  }

  /** Appends `event` (capped, TTL refreshed) in one round trip. */
  async append(jobId: string, event: JobEvent): Promise<void> {
    const key = this.key(jobId);
    await this.redis
      .multi()
      .xadd(key, 'MAXLEN', '~', JOB_EVENTS_MAX_LEN, '*', JOB_EVENT_FIELD, JSON.stringify(event))
      .expire(key, JOB_EVENTS_TTL_S)
      .exec();
  }

  /**
   * Entries after `afterId` ('0' = from the start), at most `count`. With `blockMs`, waits that
   * long for a first entry (XREAD BLOCK: use a connection of its own, it is held meanwhile).
   * Entries that do not parse are skipped.
   */
  async read(jobId: string, afterId: string, options: { count?: number; blockMs?: number; redis?: Redis } = {}): Promise<JobEventEntry[]> {
    const redis = options.redis ?? this.redis;
    const count = options.count ?? 500;
    const key = this.key(jobId);
    const reply =
      options.blockMs === undefined
        ? await redis.xread('COUNT', count, 'STREAMS', key, afterId)
        : await redis.xread('COUNT', count, 'BLOCK', options.blockMs, 'STREAMS', key, afterId);
    const entries = reply?.[0]?.[1] ?? [];
    const out: JobEventEntry[] = [];
    for (const [id, fields] of entries) {
      const text = fields[fields.indexOf(JOB_EVENT_FIELD) + 1];
      if (text === undefined) continue;
      const parsed = JobEventSchema.safeParse(safeJson(text));
      if (parsed.success) out.push({ id, event: parsed.data });
    }
    return out;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
