/**
 * GET /v1/jobs/:id/events: the job's events as server-sent events, from the start (a late client
 * replays what happened) or after `Last-Event-ID` (a reconnecting EventSource resumes):
 *
 *   event: status    { type, status, phase, progress, attempts, error }   every status change
 *   event: progress  { type, phase, progress }                            phase/progress changes
 *   event: segment   { type, index, chunk?, startS, endS, text, richText, language, emotion, event }
 *
 * The stream ends after the final `status` (completed, failed or canceled), which also carries the
 * job's `links` and, when completed, its `result` summary, as GET /v1/jobs/:id shows them. A
 * `: ping` comment is sent every `heartbeatMs` while nothing happens. Scoped like GET /v1/jobs/:id:
 * another tenant's job is 404.
 */
import { Router } from 'express';
import { AppError } from '@earshot/core/errors/app-error';
import { isJobEventId, JobEventLog, type JobEvent } from '@earshot/core/jobs/job-events';
import type { AppContext } from '../app-context.js';
import { followJobEvents, isFinalEvent } from '../events/follow-job-events.js';
import { openSse } from '../events/sse.js';
import { baseUrlOf, toJobResource } from '../jobs/job-resource.js';
import { tenantOf } from '../middleware/auth.js';

/** Heartbeat (and idle check) interval of event streams. */
export const EVENTS_HEARTBEAT_MS = 15_000;

export function createJobEventsRouter(ctx: AppContext, options: { heartbeatMs?: number } = {}): Router {
  const router = Router();
  const baseUrl = baseUrlOf(ctx.config.service.publicUrl);
  const events = new JobEventLog(ctx.redis, ctx.config.service.keyPrefix);
  const heartbeatMs = options.heartbeatMs ?? EVENTS_HEARTBEAT_MS;

  router.get('/v1/jobs/:id/events', async (req, res) => {
    const job = await ctx.jobs.getForTenant(req.params.id, tenantOf(res));
    const lastEventId = req.get('last-event-id');
    if (lastEventId !== undefined && !isJobEventId(lastEventId)) {
      throw new AppError('VALIDATION_FAILED', 'Last-Event-ID must be the id of an event of this stream', {
        details: { errors: [{ path: 'Last-Event-ID', message: 'not an event id' }] },
      });
    }
    const sse = openSse(res, ctx.closing);
    try {
      for await (const item of followJobEvents({ events, jobs: ctx.jobs, redis: ctx.redis, jobId: job.id, afterId: lastEventId ?? '0', idleMs: heartbeatMs, signal: sse.signal })) {
        if (item.kind === 'idle') {
          sse.comment('ping');
          continue;
        }
        sse.send(isFinalEvent(item.event) ? await finalData(job.id, item.event) : item.event, { event: item.event.type, id: item.id });
      }
    } catch (err) {
      // Headers are sent: the problem handler can only cut the connection; say why first.
      req.log.warn({ err, jobId: job.id }, 'job event stream failed');
      sse.send({ type: 'error', code: 'QUEUE_UNAVAILABLE', message: 'the event stream broke off; reconnect with Last-Event-ID' }, { event: 'error' });
    } finally {
      sse.end();
    }
  });

  /** The final status with the job's links and result summary (from the record, when it is still there). */
  async function finalData(jobId: string, event: JobEvent): Promise<Record<string, unknown>> {
    const record = await ctx.jobs.get(jobId);
    if (!record) return event;
    const resource = toJobResource(record, baseUrl);
    return { ...event, links: resource.links, result: resource.result };
  }
  return router;
}
