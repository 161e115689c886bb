/**
 * A small client of Earshot's REST API for the CLI (`earshot submit|status|result|jobs`): Bearer
 * key, problem-JSON errors turned into `ApiError`s with the server's stable `code`, and the parts
 * of the job resource the CLI reads, parsed with zod (the server may add fields; they pass).
 */
import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import { JobEventSchema, type JobEvent } from '@earshot/core/jobs/job-events';
import { readSse } from './sse-reader.js';

export const JOB_STATUSES = ['queued', 'processing', 'completed', 'failed', 'canceled'] as const;
export const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'canceled']);

export const ClientJobSchema = z.looseObject({
  id: z.string(),
  status: z.enum(JOB_STATUSES),
  createdAt: z.string(),
  progress: z.number(),
  phase: z.string().nullable(),
  error: z.looseObject({ code: z.string(), message: z.string() }).nullable(),
  audio: z.looseObject({ durationS: z.number(), exact: z.boolean() }).nullable().optional(),
  result: z.looseObject({ durationS: z.number(), language: z.string().nullable(), segments: z.number(), synthetic: z.boolean() }).nullable(),
});
export type ClientJob = z.infer<typeof ClientJobSchema>;

const JobListSchema = z.looseObject({ data: z.array(ClientJobSchema), nextCursor: z.string().nullable() });

export function isFinal(job: ClientJob): boolean {
  return FINAL_STATUSES.has(job.status);
}

/** An error answer of the API (or no answer at all: `code` CONNECTION_FAILED, `status` 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ApiClientOptions {
  /** e.g. http://127.0.0.1:8080 */
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
}

/** Job options as the API takes them (`options` of POST /v1/jobs). */
export type SubmitOptions = Record<string, unknown>;

export interface ApiClient {
  readonly baseUrl: string;
  /** Uploads a local file (streamed from disk). */
  submitFile(path: string, options: SubmitOptions): Promise<ClientJob>;
  /** A job for audio the server fetches itself (`https://…` or `s3://…`). */
  submitRemote(location: string, options: SubmitOptions): Promise<ClientJob>;
  getJob(id: string): Promise<ClientJob>;
  listJobs(query: { limit: number; status?: string; cursor?: string }): Promise<{ jobs: ClientJob[]; nextCursor: string | null }>;
  /** The transcript in `format` (json, rich, txt, srt, vtt), as text. */
  result(id: string, format: string): Promise<string>;
  /**
   * The job's events (GET /v1/jobs/:id/events) as they come, until the server ends the stream
   * (after the final status). An event the client cannot read ends it with UNEXPECTED_RESPONSE.
   */
  events(id: string, signal?: AbortSignal): AsyncGenerator<JobEvent>;
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const doFetch = options.fetch ?? fetch;

  async function call(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${options.apiKey}`);
    let res: Response;
    try {
      res = await doFetch(`${baseUrl}${path}`, { ...init, headers });
    } catch (err) {
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new ApiError(0, 'CONNECTION_FAILED', `cannot reach ${baseUrl}${cause}`);
    }
    if (res.ok) return res;
    const text = await res.text();
    let problem: { code?: unknown; detail?: unknown; title?: unknown } = {};
    try {
      problem = JSON.parse(text) as typeof problem;
    } catch {
      // not problem JSON (a proxy's page, say): the status says enough
    }
    const code = typeof problem.code === 'string' ? problem.code : `HTTP_${res.status}`;
    const detail = typeof problem.detail === 'string' ? problem.detail : typeof problem.title === 'string' ? problem.title : text.slice(0, 200);
    throw new ApiError(res.status, code, detail || res.statusText);
  }

  const json = async <T>(res: Response, schema: z.ZodType<T>): Promise<T> => {
    const parsed = schema.safeParse(await res.json());
    if (!parsed.success) throw new ApiError(res.status, 'UNEXPECTED_RESPONSE', `unexpected answer from ${res.url}: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  };

  return {
    baseUrl,
    async submitFile(path, submitOptions) {
      const form = new FormData();
      form.append('options', JSON.stringify(submitOptions));
      form.append('file', await openAsBlob(path), basename(path));
      return json(await call('/v1/jobs', { method: 'POST', body: form }), ClientJobSchema);
    },
    async submitRemote(location, submitOptions) {
      const audio = location.startsWith('s3://') ? { s3Uri: location } : { url: location };
      const body = JSON.stringify({ audio, ...submitOptions });
      return json(await call('/v1/jobs', { method: 'POST', body, headers: { 'content-type': 'application/json' } }), ClientJobSchema);
    },
    async getJob(id) {
      return json(await call(`/v1/jobs/${encodeURIComponent(id)}`), ClientJobSchema);
    },
    async listJobs(query) {
      const params = new URLSearchParams({ limit: String(query.limit) });
      if (query.status) params.set('status', query.status);
      if (query.cursor) params.set('cursor', query.cursor);
      const page = await json(await call(`/v1/jobs?${params.toString()}`), JobListSchema);
      return { jobs: page.data, nextCursor: page.nextCursor };
    },
    async result(id, format) {
      return (await call(`/v1/jobs/${encodeURIComponent(id)}/result?format=${encodeURIComponent(format)}`)).text();
    },
    async *events(id, signal) {
      const res = await call(`/v1/jobs/${encodeURIComponent(id)}/events`, { headers: { accept: 'text/event-stream' }, ...(signal ? { signal } : {}) });
      if (!res.body) return;
      for await (const message of readSse(res.body)) {
        const parsed = JobEventSchema.safeParse(safeJson(message.data));
        if (!parsed.success) throw new ApiError(res.status, 'UNEXPECTED_RESPONSE', `unreadable ${message.event ?? 'message'} event from ${res.url}`);
        yield parsed.data;
      }
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
