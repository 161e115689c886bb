/**
 * One webhook HTTP attempt: POST the body with the signed headers and report
 * what happened. Never throws for receiver problems (those are outcomes to
 * record and retry); deciding what to do next is the queue's job.
 */
import { performance } from 'node:perf_hooks';
import type { WebhookHeaders } from './sign.js';
import { parseRetryAfterMs } from './retry-schedule.js';

/** Standard Webhooks recommends 15–30 s. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 15_000;

const USER_AGENT = 'Earshot-Webhooks/1';
/** Statuses whose Retry-After header we honour. */
const RETRY_AFTER_STATUSES = new Set([429, 503]);

export interface WebhookPostRequest {
  url: string;
  /** The exact string that was signed. */
  body: string;
  headers: WebhookHeaders;
  timeoutMs: number;
}

export interface WebhookPostResult {
  /** True for any 2xx. 3xx is a failure: redirects are not followed. */
  ok: boolean;
  statusCode: number | null;
  /** Null on 2xx; `HTTP <status>` for other answers; the network or timeout error otherwise. */
  error: string | null;
  durationMs: number;
  /** From Retry-After on 429/503, when present and parseable. */
  retryAfterMs: number | null;
}

export async function postWebhook(request: WebhookPostRequest): Promise<WebhookPostResult> {
  const startMs = performance.now();
  const elapsed = (): number => Math.round(performance.now() - startMs);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      headers: { ...request.headers, 'content-type': 'application/json', 'user-agent': USER_AGENT },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
    const durationMs = elapsed();
    // The answer body is not used; drop it so the connection can be reused.
    await response.body?.cancel().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return {
      ok,
      statusCode: response.status,
      error: ok ? null : `HTTP ${response.status}`,
      durationMs,
      retryAfterMs: RETRY_AFTER_STATUSES.has(response.status) ? parseRetryAfterMs(response.headers.get('retry-after')) : null,
    };
  } catch (err) {
    return { ok: false, statusCode: null, error: describeFetchError(err, request.timeoutMs), durationMs: elapsed(), retryAfterMs: null };
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return `timeout after ${timeoutMs} ms`;
  }
  if (err instanceof Error) {
    // undici reports "fetch failed" and keeps the useful part (ECONNREFUSED, ENOTFOUND…) in cause.
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    const detail = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : undefined;
    return detail ? `${err.message}: ${detail}` : err.message;
  }
  return String(err);
}
