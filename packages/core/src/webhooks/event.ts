/**
 * Webhook events, shaped as Standard Webhooks payloads: `{ type, timestamp, data }`.
 *
 * Payloads are thin (Standard Webhooks recommends < 20 KB plus links): the job id,
 * its status, links to the results (URLs built by the caller, e.g. the API), the
 * error for `job.failed`, the alerts for `job.alert`, and the client's `metadata`
 * echoed back. Receivers fetch the transcript itself through the links.
 *
 * The event id (`msg_…`) is generated once per event and becomes the
 * `webhook-id` header on every delivery attempt, so receivers can dedupe on it.
 */
import { randomBytes } from 'node:crypto';

export const WEBHOOK_EVENT_TYPES = ['job.completed', 'job.failed', 'job.alert'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The job states a webhook can report (mirrors the API's job status). */
export type WebhookJobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'canceled';

/** Named result URLs, e.g. `{ self: '…/v1/jobs/j1', transcript: '…/v1/jobs/j1/transcript' }`. */
export type WebhookLinks = Record<string, string>;

/** Client-supplied metadata, echoed untouched (the API validates its size). */
export type WebhookMetadata = Record<string, unknown>;

export interface WebhookErrorInfo {
  /** A stable `AppError` code, e.g. `AUDIO_CORRUPT`. */
  code: string;
  message: string;
}

/** Something noteworthy detected in the audio, reported before or with the result. */
export interface WebhookAlert {
  /** What was detected, e.g. `event.alarm` or `emotion.angry`. */
  kind: string;
  message: string;
  /** Where in the audio, in seconds, when the alert is tied to a span. */
  startS?: number;
  endS?: number;
  details?: Record<string, unknown>;
}

interface WebhookDataBase {
  jobId: string;
  status: WebhookJobStatus;
  links: WebhookLinks;
  /** The client's metadata, or null when none was given. */
  metadata: WebhookMetadata | null;
}

export interface JobCompletedData extends WebhookDataBase {
  status: 'completed';
}

export interface JobFailedData extends WebhookDataBase {
  status: 'failed';
  error: WebhookErrorInfo;
}

export interface JobAlertData extends WebhookDataBase {
  alerts: WebhookAlert[];
}

interface PayloadOf<T extends WebhookEventType, D> {
  type: T;
  /** ISO 8601 time the event happened (not the delivery time). */
  timestamp: string;
  data: D;
}

export type WebhookPayload =
  | PayloadOf<'job.completed', JobCompletedData>
  | PayloadOf<'job.failed', JobFailedData>
  | PayloadOf<'job.alert', JobAlertData>;

/** One event: its id (the `webhook-id` on every attempt) and its payload. */
export interface WebhookEvent {
  id: string;
  payload: WebhookPayload;
}

interface InputBase {
  jobId: string;
  links?: WebhookLinks;
  metadata?: WebhookMetadata | null;
}

/** What the caller knows when an event happens; the builder fills in the rest. */
export type WebhookEventInput =
  | ({ type: 'job.completed' } & InputBase)
  | ({ type: 'job.failed'; error: WebhookErrorInfo } & InputBase)
  | ({ type: 'job.alert'; status: WebhookJobStatus; alerts: WebhookAlert[] } & InputBase);

export interface CreateWebhookEventOptions {
  /** Reuse an id (e.g. when re-emitting a stored event); a fresh one otherwise. */
  id?: string;
  /** When the event happened. @defaultValue new Date() */
  now?: Date;
}

/** `msg_` followed by 24 url-safe random characters (144 bits). */
export function createWebhookEventId(): string {
  return `msg_${randomBytes(18).toString('base64url')}`;
}

/** Builds an event with its id fixed once, so every delivery attempt carries the same `webhook-id`. */
export function createWebhookEvent(input: WebhookEventInput, options: CreateWebhookEventOptions = {}): WebhookEvent {
  const id = options.id ?? createWebhookEventId();
  const timestamp = (options.now ?? new Date()).toISOString();
  const base = { jobId: input.jobId, links: { ...(input.links ?? {}) }, metadata: input.metadata ?? null };
  switch (input.type) {
    case 'job.completed':
      return { id, payload: { type: input.type, timestamp, data: { ...base, status: 'completed' } } };
    case 'job.failed':
      return {
        id,
        payload: {
          type: input.type,
          timestamp,
          // Only code and message: details may hold internals the receiver does not need.
          data: { ...base, status: 'failed', error: { code: input.error.code, message: input.error.message } },
        },
      };
    case 'job.alert':
      return { id, payload: { type: input.type, timestamp, data: { ...base, status: input.status, alerts: input.alerts } } };
  }
}
