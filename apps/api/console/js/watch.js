// @ts-check
/**
 * Follows a job until it settles: the job-events stream when the server has one
 * (`GET /v1/jobs/:id/events`), else (or when the stream ends early) polling `GET /v1/jobs/:id`.
 * Events are read leniently (a segment, a job resource, or a status/progress object, bare or under
 * `segment`/`job`), and a slow poll runs beside the stream, so the console settles even on a stream
 * it does not fully understand.
 */
import { getJob, openJobEvents, TERMINAL_STATUSES } from './api.js';

const POLL_MS = 1000;
/** While the events stream is open, a slow poll still notices a settled job (a stream that stays open, say). */
const STREAM_BACKSTOP_POLL_MS = 5000;

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
  // Stopped by the caller, or by the slow poll below once the job has settled (whatever the stream says).
  const streamStop = new AbortController();
  const stopStream = () => streamStop.abort();
  signal.addEventListener('abort', stopStream, { once: true });
  try {
    const events = await openJobEvents(id, streamStop.signal).catch(() => null);
    if (events) {
      handlers.onMode('events');
      void pollUntilSettled(id, handlers, streamStop.signal, STREAM_BACKSTOP_POLL_MS, true).then(stopStream, () => undefined);
      try {
        for await (const ev of events) {
          if (handleEvent(ev, handlers)) break;
        }
      } catch (err) {
        if (!streamStop.signal.aborted) throw err;
      }
    } else {
      handlers.onMode('polling');
    }
  } finally {
    stopStream();
    signal.removeEventListener('abort', stopStream);
  }
  return pollUntilSettled(id, handlers, signal, POLL_MS, false);
}

/**
 * GET /v1/jobs/:id every `everyMs` until the job is completed, failed or canceled.
 * @param {string} id
 * @param {WatchHandlers} handlers
 * @param {AbortSignal} signal
 * @param {number} everyMs
 * @param {boolean} waitFirst  wait before the first look
 * @returns {Promise<Job>}
 */
async function pollUntilSettled(id, handlers, signal, everyMs, waitFirst) {
  for (let first = true; ; first = false) {
    if (!first || waitFirst) await sleep(everyMs, signal);
    if (signal.aborted) throw new DOMException('stopped watching', 'AbortError');
    const job = await getJob(id);
    handlers.onJob(job);
    if (TERMINAL_STATUSES.includes(job.status)) return job;
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
  const startS = typeof segment.startS === 'number' ? segment.startS : segment.start;
  if (typeof startS === 'number' && typeof segment.text === 'string') {
    handlers.onSegment({ ...segment, startS });
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
