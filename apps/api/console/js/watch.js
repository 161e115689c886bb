// @ts-check
/**
 * Follows a job until it settles: the job-events stream when the server has one
 * (`GET /v1/jobs/:id/events`), else (or when the stream ends early) polling `GET /v1/jobs/:id`.
 */
import { getJob, openJobEvents, TERMINAL_STATUSES } from './api.js';

const POLL_MS = 1000;

/**
 * @typedef {import('./api.js').Job} Job
 * @typedef {import('./api.js').Segment} Segment
 * @typedef {{ onJob: (job: Job) => void, onProgress: (status: string, progress: number, phase: string | null) => void,
 *   onSegment: (segment: Segment) => void, onMode: (mode: 'events' | 'polling') => void }} WatchHandlers
 */

/**
 * @param {string} id
 * @param {WatchHandlers} handlers
 * @param {AbortSignal} signal
 * @returns {Promise<Job>} the settled job
 */
export async function watchJob(id, handlers, signal) {
  const events = await openJobEvents(id, signal).catch(() => null);
  if (events) {
    handlers.onMode('events');
    for await (const ev of events) {
      if (signal.aborted) break;
      const settled = handleEvent(ev, handlers);
      if (settled) break;
    }
    await events.return(undefined);
  }
  handlers.onMode(events ? 'events' : 'polling');
  for (;;) {
    if (signal.aborted) throw new DOMException('stopped watching', 'AbortError');
    const job = await getJob(id);
    handlers.onJob(job);
    if (TERMINAL_STATUSES.includes(job.status)) return job;
    await sleep(POLL_MS, signal);
  }
}

/**
 * Reads one event leniently: a segment (has `startS` and `text`), a job resource or a
 * status/progress update. True when it says the job has settled.
 * @param {import('./api.js').ServerEvent} ev
 * @param {WatchHandlers} handlers
 */
function handleEvent(ev, handlers) {
  /** @type {any} */
  let data;
  try {
    data = JSON.parse(ev.data);
  } catch {
    return false;
  }
  if (data === null || typeof data !== 'object') return false;
  const segment = data.segment && typeof data.segment === 'object' ? data.segment : data;
  if (typeof segment.startS === 'number' && typeof segment.text === 'string') {
    handlers.onSegment(segment);
    return false;
  }
  const job = data.job && typeof data.job === 'object' ? data.job : data;
  if (typeof job.status === 'string') {
    handlers.onProgress(job.status, typeof job.progress === 'number' ? job.progress : 0, typeof job.phase === 'string' ? job.phase : null);
    return TERMINAL_STATUSES.includes(job.status);
  }
  if (typeof data.progress === 'number') handlers.onProgress('processing', data.progress, typeof data.phase === 'string' ? data.phase : null);
  return false;
}

/** @param {number} ms @param {AbortSignal} signal */
function sleep(ms, signal) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(undefined);
    }, { once: true });
  });
}
