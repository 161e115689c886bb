/**
 * A small client of Earshot's HTTP API for integration tests. Every POST /v1/jobs goes through
 * `submit`, which keeps the id of each job the API accepted (202), so a test can check at the end
 * that every accepted job reached a final state (job-invariants.ts), whatever faults it injected.
 * Every call is timed: fault tests assert how fast the API refuses work it cannot do.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { waitFor, type WaitOptions } from './wait-for.js';

export interface ApiAnswer {
  status: number;
  /** From sending the request to the end of the answer's body. */
  elapsedMs: number;
  /** Parsed JSON, or the text when the body is not JSON. */
  body: unknown;
  /** The problem `code` of an error answer. */
  code?: string;
}

/** What `call` gives: the answer, its body as it came and its headers. */
export interface ApiResponse extends ApiAnswer {
  /** The body as text (a result in SRT, say, even where it would parse as JSON). */
  text: string;
  headers: Headers;
}

export interface SubmitAnswer extends ApiResponse {
  /** The job id of a 202. */
  id?: string;
}

export interface JobResource {
  id: string;
  status: 'queued' | 'processing' | 'completed' | 'failed' | 'canceled';
  attempts: number;
  phase: string | null;
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
  error: { code: string; message: string } | null;
  /** Alert rules that matched. */
  alerts: { kind: string; label: string }[];
  result: {
    synthetic: boolean;
    segments: number;
    durationS: number;
    /** A per-channel job's channels with their own summary. */
    channels?: { channel: number; name: string | null; silent: boolean; language: string | null; summary: { speechS: number } }[];
  } | null;
}

export interface WebhookAttemptResource {
  eventId: string;
  type: string;
  attempt: number;
  durationMs: number;
  statusCode: number | null;
  error: string | null;
  outcome: 'delivered' | 'retrying' | 'failed' | 'gone';
}

export interface EarshotApiClient {
  readonly baseUrl: string;
  /** The Bearer key it sends. */
  readonly apiKey: string;
  /** Ids of the jobs the API accepted (202) through this client, in order. */
  readonly accepted: string[];
  call(path: string, init?: RequestInit): Promise<ApiResponse>;
  /** POST /v1/jobs; a 202's id is added to `accepted`. */
  submit(init: RequestInit): Promise<SubmitAnswer>;
  submitJson(body: Record<string, unknown>, headers?: Record<string, string>): Promise<SubmitAnswer>;
  /** Multipart upload of the file at `path` plus option fields. */
  submitFile(path: string, fields?: Record<string, string>): Promise<SubmitAnswer>;
  /** GET /v1/jobs/:id; throws unless 200. */
  getJob(id: string): Promise<JobResource>;
  waitForStatus(id: string, statuses: readonly JobResource['status'][], options?: WaitOptions): Promise<JobResource>;
  /** GET /v1/jobs/:id/webhooks */
  webhookAttempts(id: string): Promise<WebhookAttemptResource[]>;
  /** Every job of the tenant (GET /v1/jobs, all pages). */
  listAllJobs(): Promise<JobResource[]>;
}

export interface ApiClientOptions {
  baseUrl: string;
  apiKey: string;
  /** Extra text for timeout errors (the children's logs). */
  context?: () => string;
}

export function createApiClient(options: ApiClientOptions): EarshotApiClient {
  const accepted: string[] = [];

  async function call(path: string, init: RequestInit = {}): Promise<ApiResponse> {
    const headers = new Headers(init.headers);
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${options.apiKey}`);
    const started = performance.now();
    const res = await fetch(`${options.baseUrl}${path}`, { ...init, headers });
    const text = await res.text();
    const elapsedMs = Math.round(performance.now() - started);
    let body: unknown = text;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      // keep the text
    }
    const code = typeof body === 'object' && body !== null && typeof (body as { code?: unknown }).code === 'string' ? (body as { code: string }).code : undefined;
    return { status: res.status, elapsedMs, body, text, headers: res.headers, ...(code === undefined ? {} : { code }) };
  }

  async function submit(init: RequestInit): Promise<SubmitAnswer> {
    const answer = await call('/v1/jobs', { method: 'POST', ...init });
    if (answer.status !== 202) return answer;
    const id = (answer.body as { id: string }).id;
    accepted.push(id);
    return { ...answer, id };
  }

  async function getJob(id: string): Promise<JobResource> {
    const answer = await call(`/v1/jobs/${id}`);
    if (answer.status !== 200) throw new Error(`GET /v1/jobs/${id}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body as JobResource;
  }

  return {
    baseUrl: options.baseUrl,
    apiKey: options.apiKey,
    accepted,
    call,
    submit,
    submitJson: (body, headers = {}) => submit({ headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) }),
    async submitFile(path, fields = {}) {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      form.append('file', new Blob([await readFile(path)], { type: 'application/octet-stream' }), basename(path));
      return submit({ body: form });
    },
    getJob,
    waitForStatus: (id, statuses, waitOptions = {}) =>
      waitFor(
        `job ${id} to be ${statuses.join('/')}`,
        async () => {
          const job = await getJob(id);
          return statuses.includes(job.status) ? job : null;
        },
        { ...(options.context ? { context: options.context } : {}), ...waitOptions },
      ),
    async webhookAttempts(id) {
      const answer = await call(`/v1/jobs/${id}/webhooks`);
      if (answer.status !== 200) throw new Error(`GET /v1/jobs/${id}/webhooks: ${answer.status}`);
      return (answer.body as { data: WebhookAttemptResource[] }).data;
    },
    async listAllJobs() {
      const jobs: JobResource[] = [];
      let cursor: string | null = null;
      do {
        const query: string = `limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const answer = await call(`/v1/jobs?${query}`);
        if (answer.status !== 200) throw new Error(`GET /v1/jobs: ${answer.status} ${JSON.stringify(answer.body)}`);
        const page = answer.body as { data: JobResource[]; nextCursor: string | null };
        jobs.push(...page.data);
        cursor = page.nextCursor;
      } while (cursor);
      return jobs;
    },
  };
}
