// @ts-check
/**
 * The console's client of Earshot's public REST API (the same endpoints any client uses), with
 * the API key from localStorage as `Authorization: Bearer …`. Problem-JSON answers become ApiError.
 */

const KEY_STORAGE = 'earshot.apiKey';
export const TERMINAL_STATUSES = ['completed', 'failed', 'canceled'];

/**
 * @typedef {{ id: string, status: string, progress: number, phase: string | null, createdAt: string,
 *   source: { kind: string, filename?: string | null, url?: string, uri?: string },
 *   options: { language: string, itn: boolean },
 *   error: { code: string, message: string } | null,
 *   result: { durationS: number, language: string | null, segments: number, synthetic: boolean } | null,
 *   audio: { durationS: number, exact: boolean } | null,
 *   links: { self: string, result?: Record<string, string> } }} Job
 * @typedef {{ index: number, startS: number, endS: number, language: string | null, emotion: string | null,
 *   event: string | null, text: string, richText: string, languageConfidence?: number | null,
 *   emotionConfidence?: number | null, eventConfidence?: number | null, channel?: number | null }} Segment
 * @typedef {{ startS: number, endS: number, label: string }} Interval
 * @typedef {{ audio: { durationS: number }, language: string | null, text: string, richText: string,
 *   segments: Segment[], emotionTimeline: Interval[], eventTimeline: Interval[],
 *   summary: { speechS: number, emotionSeconds: Record<string, number>,
 *     events: Record<string, { count: number, seconds: number, perMinute: number }>,
 *     languageShares: Record<string, number> },
 *   model: { name: string, file: string, synthetic: boolean }, notice?: string,
 *   channels?: { channel: number, name: string | null }[] }} Transcript
 * @typedef {{ event: string, data: string }} ServerEvent
 */

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export function storedKey() {
  return localStorage.getItem(KEY_STORAGE) ?? '';
}

/** @param {string} key */
export function storeKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

/**
 * @param {string} path  a path on this origin or an absolute link from a job resource
 * @param {RequestInit} [init]
 */
export async function apiFetch(path, init = {}) {
  const headers = new Headers(init.headers);
  const key = storedKey();
  if (key) headers.set('Authorization', `Bearer ${key}`);
  const res = await fetch(path, { ...init, headers });
  if (!res.ok) throw await toApiError(res);
  return res;
}

/** @param {Response} res */
async function toApiError(res) {
  const text = await res.text().catch(() => '');
  try {
    const problem = JSON.parse(text);
    return new ApiError(res.status, problem.code ?? String(res.status), problem.detail ?? problem.title ?? res.statusText);
  } catch {
    return new ApiError(res.status, String(res.status), text.slice(0, 200) || res.statusText);
  }
}

/**
 * @template T
 * @param {string} path
 * @param {RequestInit} [init]
 * @returns {Promise<T>}
 */
export async function apiJson(path, init) {
  return /** @type {Promise<T>} */ ((await apiFetch(path, init)).json());
}

/**
 * POST /v1/jobs as multipart: the file plus the options as one JSON `options` part.
 * @param {Blob} file
 * @param {string} filename
 * @param {Record<string, unknown>} options
 * @returns {Promise<Job>}
 */
export function createJob(file, filename, options) {
  const form = new FormData();
  form.append('options', JSON.stringify(options));
  form.append('file', file, filename);
  return apiJson('/v1/jobs', { method: 'POST', body: form });
}

/** @param {string} id @returns {Promise<Job>} */
export const getJob = (id) => apiJson(`/v1/jobs/${encodeURIComponent(id)}`);

/** @param {number} limit @returns {Promise<{ data: Job[], nextCursor: string | null }>} */
export const listJobs = (limit) => apiJson(`/v1/jobs?limit=${limit}`);

/** DELETE /v1/jobs/:id (cancel) or ?purge=true (delete a finished job). @param {string} id @param {boolean} purge */
export async function deleteJob(id, purge) {
  await apiFetch(`/v1/jobs/${encodeURIComponent(id)}${purge ? '?purge=true' : ''}`, { method: 'DELETE' });
}

/** The JSON transcript through the job's own result link. @param {Job} job @returns {Promise<Transcript>} */
export function getTranscript(job) {
  const link = job.links.result?.json;
  if (!link) throw new ApiError(409, 'RESULT_NOT_AVAILABLE', `job ${job.id} has no result`);
  return apiJson(link);
}

/**
 * Downloads a result link with the key (a plain <a href> could not send it) and saves it
 * under the name the API's Content-Disposition gives.
 * @param {string} link
 * @param {string} fallbackName
 */
export async function downloadResult(link, fallbackName) {
  const res = await apiFetch(link);
  const blob = await res.blob();
  const name = filenameOf(res.headers.get('Content-Disposition')) ?? fallbackName;
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
  return name;
}

/** @param {string | null} header */
export function filenameOf(header) {
  if (!header) return null;
  const star = /filename\*=UTF-8''([^;]+)/i.exec(header);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1]);
    } catch {
      /* fall through to the ASCII name */
    }
  }
  return /filename="([^"]+)"/i.exec(header)?.[1] ?? null;
}

/**
 * GET /v1/jobs/:id/events when the server has it (server-sent events read with fetch, since
 * EventSource cannot send the key); null when it has no such route (404/405), so the caller polls.
 * @param {string} id
 * @param {AbortSignal} signal
 * @returns {Promise<AsyncGenerator<ServerEvent> | null>}
 */
export async function openJobEvents(id, signal) {
  let res;
  try {
    res = await apiFetch(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers: { Accept: 'text/event-stream' }, signal });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 405 || err.status === 406)) return null;
    throw err;
  }
  if (!res.body || !(res.headers.get('Content-Type') ?? '').includes('text/event-stream')) {
    await res.body?.cancel();
    return null;
  }
  return readServerEvents(res.body);
}

/**
 * The events of a text/event-stream body (WHATWG server-sent events: `event:`/`data:` lines, a blank line ends one).
 * @param {ReadableStream<BufferSource>} body
 * @returns {AsyncGenerator<ServerEvent>}
 */
export async function* readServerEvents(body) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  let event = 'message';
  /** @type {string[]} */
  let data = [];
  /** The last chunk ended in CR: a LF opening the next one belongs to that line end. */
  let afterCr = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      if (value === '') continue;
      buffer += afterCr && value.startsWith('\n') ? value.slice(1) : value;
      afterCr = false;
      let newline;
      while ((newline = buffer.search(/\r\n|\r|\n/)) >= 0) {
        const line = buffer.slice(0, newline);
        const crlf = buffer.startsWith('\r\n', newline);
        buffer = buffer.slice(newline + (crlf ? 2 : 1));
        if (!crlf && buffer === '' && value.endsWith('\r')) afterCr = true;
        if (line === '') {
          if (data.length > 0) yield { event, data: data.join('\n') };
          event = 'message';
          data = [];
        } else if (!line.startsWith(':')) {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          else if (field === 'data') data.push(val);
        }
      }
    }
  } finally {
    reader.releaseLock();
  }
}
