import type { Redis } from 'ioredis';
import { AppError } from '../errors/app-error.js';
import { parseStoredRecord } from '../runtime/stored-record.js';
import { z } from 'zod';
import { JobRecordSchema, type JobRecord, type JobStatus } from './job-record.js';
import { eventForChange, JOB_EVENT_FIELD, JOB_EVENTS_MAX_LEN, JOB_EVENTS_TTL_S, jobEventsKey, statusEventOf } from './job-events.js';

export interface JobStoreOptions {
  redis: Redis;
  /** Prefix of every key, e.g. "earshot:" (tests use a unique one). */
  keyPrefix: string;
  /** How long a finished job's record is kept. @defaultValue 30 days */
  retentionS?: number;
}

export interface ListJobsOptions {
  status?: JobStatus;
  limit: number;
  cursor?: string;
}

/**
 * Job records in Redis: one JSON document per job, a per-tenant sorted set by
 * creation time for listing, and idempotency keys. Updates are optimistic:
 * read, change, then a compare-and-set script that writes only if the record
 * is still the text that was read (safe on a shared connection, unlike WATCH),
 * so an API cancel and a worker update never overwrite each other; `update`
 * with `from` applies only when the current status is one of those.
 *
 * A write that changes the status, attempts, phase or progress also appends its event to the job's
 * event stream (job-events.ts) in the same script, so the stream follows the record exactly.
 */
const COMPARE_AND_SET = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end
if ARGV[4] ~= '' then
  redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', ARGV[7], ARGV[4])
  redis.call('EXPIRE', KEYS[2], ARGV[6])
end
return 1`;

export class JobStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly retentionS: number;

  constructor(options: JobStoreOptions) {
    this.redis = options.redis;
    this.prefix = options.keyPrefix;
    this.retentionS = options.retentionS ?? 30 * 86_400;
  }

  private jobKey(id: string): string {
    return `${this.prefix}job:${id}`;
  }
  private indexKey(tenant: string): string {
    return `${this.prefix}tenant:${tenant}:jobs`;
  }
  private idemKey(tenant: string, key: string): string {
    return `${this.prefix}idem:${tenant}:${key}`;
  }

  private eventsKey(id: string): string {
    return jobEventsKey(this.prefix, id);
  }

  private pendingKey(): string {
    return `${this.prefix}pending-submissions`;
  }

  /**
   * Writes a new record, marked as a pending submission until `submitted` is called (after its
   * enqueue): a submission that dies in between leaves the mark, and `pendingSubmissions` lets a
   * sweeper finish it (see apps/api's sweep-submissions.ts).
   */
  async create(record: JobRecord, pending: { uploadId: string | null } = { uploadId: null }): Promise<void> {
    const mark: PendingSubmission = { jobId: record.id, at: Date.now(), uploadId: pending.uploadId };
    const ok = await this.redis
      .multi()
      .set(this.jobKey(record.id), JSON.stringify(record), 'NX')
      .zadd(this.indexKey(record.tenant), Date.parse(record.createdAt), record.id)
      .hset(this.pendingKey(), record.id, JSON.stringify(mark))
      .xadd(this.eventsKey(record.id), 'MAXLEN', '~', JOB_EVENTS_MAX_LEN, '*', JOB_EVENT_FIELD, JSON.stringify(statusEventOf(record)))
      .expire(this.eventsKey(record.id), JOB_EVENTS_TTL_S)
      .exec();
    if (!ok || ok[0]?.[1] !== 'OK') {
      // The NX set failed: the other commands touched the existing job's index, mark and event stream only.
      throw new AppError('CONFLICT', `job ${record.id} already exists`);
    }
  }

  /** Clears the pending-submission mark of a job whose enqueue succeeded. */
  async submitted(id: string): Promise<void> {
    await this.redis.hdel(this.pendingKey(), id);
  }

  /** Submissions that wrote their record but never confirmed their enqueue (oldest first). */
  async pendingSubmissions(): Promise<PendingSubmission[]> {
    const all = await this.redis.hgetall(this.pendingKey());
    const out: PendingSubmission[] = [];
    for (const [jobId, text] of Object.entries(all)) {
      const parsed = PendingSubmissionSchema.safeParse(safeJson(text));
      // An unreadable mark is still a pending job: treat it as old, without an upload.
      out.push(parsed.success ? parsed.data : { jobId, at: 0, uploadId: null });
    }
    return out.sort((a, b) => a.at - b.at);
  }

  async get(id: string): Promise<JobRecord | null> {
    const text = await this.redis.get(this.jobKey(id));
    return text ? parseRecord(id, text) : null;
  }

  /** The job if it exists and belongs to `tenant`, else NOT_FOUND (no hint that another tenant has it). */
  async getForTenant(id: string, tenant: string): Promise<JobRecord> {
    const job = await this.get(id);
    if (!job || job.tenant !== tenant) throw new AppError('NOT_FOUND', `job ${id} not found`);
    return job;
  }

  /**
   * Applies `change` when the job's status is in `from` (any status when omitted).
   * Returns the updated record, or null when the job is missing or in another status.
   */
  async update(
    id: string,
    change: (job: JobRecord) => Partial<JobRecord>,
    from?: readonly JobStatus[],
  ): Promise<JobRecord | null> {
    const key = this.jobKey(id);
    for (let tries = 0; tries < 50; tries++) {
      const text = await this.redis.get(key);
      if (!text) return null;
      const job = parseRecord(id, text);
      if (from && !from.includes(job.status)) return null;
      const next: JobRecord = { ...job, ...change(job), updatedAt: new Date().toISOString() };
      const ttl = next.finishedAt ? this.retentionS : 0;
      const event = eventForChange(job, next);
      const swapped = await this.redis.eval(
        COMPARE_AND_SET,
        2,
        key,
        this.eventsKey(id),
        text,
        JSON.stringify(next),
        ttl,
        event ? JSON.stringify(event) : '',
        JOB_EVENTS_MAX_LEN,
        JOB_EVENTS_TTL_S,
        JOB_EVENT_FIELD,
      );
      if (swapped === 1) return next; // 0 ⇒ someone changed the record since we read it: retry
    }
    throw new AppError('CONFLICT', `job ${id} is being updated concurrently`);
  }

  async delete(job: Pick<JobRecord, 'id' | 'tenant' | 'idempotencyKey'>): Promise<void> {
    const tx = this.redis.multi().del(this.jobKey(job.id), this.eventsKey(job.id)).zrem(this.indexKey(job.tenant), job.id).hdel(this.pendingKey(), job.id);
    if (job.idempotencyKey) tx.del(this.idemKey(job.tenant, job.idempotencyKey));
    await tx.exec();
  }

  /** Newest first. The cursor is opaque to clients. */
  async list(tenant: string, options: ListJobsOptions): Promise<{ jobs: JobRecord[]; nextCursor: string | null }> {
    const key = this.indexKey(tenant);
    let max = '+inf';
    let skipIds = new Set<string>();
    if (options.cursor) {
      const decoded = decodeCursor(options.cursor);
      max = String(decoded.score);
      skipIds = new Set(decoded.ids);
    }
    const jobs: JobRecord[] = [];
    let lastScore: number | null = null;
    let idsAtLastScore: string[] = [];
    const page = Math.max(options.limit * 2, 50);
    let offset = 0;
    for (;;) {
      const chunk = await this.redis.zrevrangebyscore(key, max, '-inf', 'WITHSCORES', 'LIMIT', offset, page);
      if (chunk.length === 0) return { jobs, nextCursor: null };
      offset += chunk.length / 2;
      for (let i = 0; i < chunk.length; i += 2) {
        const id = chunk[i]!;
        const score = Number(chunk[i + 1]);
        if (String(score) === max && skipIds.has(id)) continue;
        if (score !== lastScore) {
          lastScore = score;
          idsAtLastScore = [];
        }
        idsAtLastScore.push(id);
        const job = await this.get(id);
        if (!job) {
          await this.redis.zrem(key, id); // expired record: drop from the index
          continue;
        }
        if (options.status && job.status !== options.status) continue;
        jobs.push(job);
        if (jobs.length === options.limit) {
          const carry = String(score) === max ? [...skipIds, ...idsAtLastScore] : idsAtLastScore;
          return { jobs, nextCursor: encodeCursor(score, carry) };
        }
      }
    }
  }

  /**
   * Reserves an idempotency key for a request body hash. Returns the job id
   * already bound to the key (same body), or null when the key was free and is
   * now bound to `jobId`. A different body under the same key is a 409.
   */
  async claimIdempotencyKey(tenant: string, key: string, bodyHash: string, jobId: string, ttlS = 86_400): Promise<string | null> {
    const k = this.idemKey(tenant, key);
    const set = await this.redis.set(k, JSON.stringify({ jobId, bodyHash }), 'EX', ttlS, 'NX');
    if (set === 'OK') return null;
    const existing = await this.redis.get(k);
    if (!existing) return this.claimIdempotencyKey(tenant, key, bodyHash, jobId, ttlS);
    const bound = JSON.parse(existing) as { jobId: string; bodyHash: string };
    if (bound.bodyHash !== bodyHash) {
      throw new AppError('IDEMPOTENCY_KEY_REUSED', `Idempotency-Key "${key}" was used with a different request body`);
    }
    return bound.jobId;
  }

  async releaseIdempotencyKey(tenant: string, key: string): Promise<void> {
    await this.redis.del(this.idemKey(tenant, key));
  }
}

/** A stored record, checked against the schema both processes share; one that does not fit is an INTERNAL error naming the job. */
function parseRecord(id: string, text: string): JobRecord {
  return parseStoredRecord(JobRecordSchema, text, `job record ${id}`);
}

function encodeCursor(score: number, ids: string[]): string {
  return Buffer.from(JSON.stringify({ s: score, i: ids })).toString('base64url');
}

function decodeCursor(cursor: string): { score: number; ids: string[] } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { s: unknown; i: unknown };
    if (typeof v.s === 'number' && Array.isArray(v.i) && v.i.every((x) => typeof x === 'string')) {
      return { score: v.s, ids: v.i as string[] };
    }
  } catch {
    // fall through
  }
  throw new AppError('VALIDATION_FAILED', 'invalid cursor');
}

const PendingSubmissionSchema = z.object({
  jobId: z.string().min(1),
  /** When the record was written (ms since the epoch). */
  at: z.number(),
  /** The upload the submission claimed, released again if the submission is undone. */
  uploadId: z.string().nullable(),
});
export type PendingSubmission = z.infer<typeof PendingSubmissionSchema>;

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
