/**
 * Follows one job's event stream (core jobs/job-events.ts) from a position to its final status
 * event, for `GET /v1/jobs/:id/events` and the OpenAI-compatible route.
 *
 * Each follower reads with XREAD BLOCK on a Redis connection of its own (a duplicate of the API's,
 * without its 1 s command timeout), closed as soon as the follower stops (client gone, final
 * event, error). Why not one shared poller: a blocking read per stream delivers each event the
 * moment it is written with no polling delay and no fan-out bookkeeping, and a connection costs
 * Redis a few tens of kilobytes; open streams are bounded by the clients actually watching.
 *
 * When a read waits `idleMs` without an event, the follower yields `idle` (the route sends a
 * heartbeat) and looks at the record: a job that finished while its stream lost the final event
 * (expired or trimmed) still ends with its final status, taken from the record, and a deleted job
 * ends the follow.
 */
import type { Redis } from 'ioredis';
import { FINISHED_STATUSES } from '@earshot/core/jobs/job-record';
import { statusEventOf, type JobEvent, type JobEventEntry, type JobEventLog } from '@earshot/core/jobs/job-events';
import type { JobStore } from '@earshot/core/jobs/job-store';

/** The name the followers' connections carry in Redis' CLIENT LIST. */
export const EVENTS_CONNECTION_NAME = 'earshot-job-events';

export type Followed = { kind: 'event'; id: string | null; event: JobEvent } | { kind: 'idle' };

export interface FollowOptions {
  events: JobEventLog;
  jobs: Pick<JobStore, 'get'>;
  /** The API's connection; the follower duplicates it for its blocking reads. */
  redis: Redis;
  jobId: string;
  /** Stream id to start after ('0': from the start). */
  afterId: string;
  /** Longest wait for an event before an `idle`. */
  idleMs: number;
  signal: AbortSignal;
}

export function isFinalEvent(event: JobEvent): boolean {
  return event.type === 'status' && FINISHED_STATUSES.includes(event.status);
}

export async function* followJobEvents(o: FollowOptions): AsyncGenerator<Followed> {
  const conn = o.redis.duplicate({
    connectionName: EVENTS_CONNECTION_NAME,
    commandTimeout: undefined,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    lazyConnect: false,
  });
  conn.on('error', () => undefined); // reported by the failing read
  const stop = (): void => conn.disconnect();
  o.signal.addEventListener('abort', stop, { once: true });
  let after = o.afterId;
  let first = true;
  try {
    while (!o.signal.aborted) {
      let entries: JobEventEntry[];
      try {
        entries = await o.events.read(o.jobId, after, first ? { redis: conn } : { redis: conn, blockMs: o.idleMs });
      } catch (err) {
        if (o.signal.aborted) return;
        throw err;
      }
      if (entries.length === 0) {
        const record = await o.jobs.get(o.jobId);
        if (!record) return;
        if (FINISHED_STATUSES.includes(record.status)) {
          // Events written between the empty read and this look come first; the record's final status closes.
          const late = await o.events.read(o.jobId, after, { redis: conn });
          for (const entry of late) {
            yield { kind: 'event', ...entry };
            if (isFinalEvent(entry.event)) return;
          }
          yield { kind: 'event', id: null, event: statusEventOf(record) };
          return;
        }
        if (!first) yield { kind: 'idle' };
        first = false;
        continue;
      }
      first = false;
      for (const entry of entries) {
        after = entry.id;
        yield { kind: 'event', ...entry };
        if (isFinalEvent(entry.event)) return;
      }
    }
  } finally {
    o.signal.removeEventListener('abort', stop);
    conn.disconnect();
  }
}
