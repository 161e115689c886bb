/**
 * The webhook events a transcription job emits, with ids derived from the job id
 * and event type. A job that is processed twice (its worker died after finishing
 * but before BullMQ heard of it, and stalled-job recovery ran it again) therefore
 * re-enqueues the *same* events, which the dispatcher ignores (its BullMQ jobId is
 * the event id): receivers get each event once, retries aside.
 */
import { createHash } from 'node:crypto';
import type { AlertMatch, JobError, JobRecord } from '@earshot/core/jobs/job-record';
import type { WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import { createWebhookEvent, type WebhookAlert, type WebhookEvent, type WebhookEventType } from '@earshot/core/webhooks/event';
import { jobLinks } from './job-links.js';

/** `msg_` + 24 url-safe characters of sha256(jobId:type): stable per job and event type. */
export function jobEventId(jobId: string, type: WebhookEventType): string {
  return `msg_${createHash('sha256').update(`${jobId}:${type}`).digest('base64url').slice(0, 24)}`;
}

export function toWebhookAlert(match: AlertMatch): WebhookAlert {
  return {
    kind: `${match.kind}.${match.label.toLowerCase()}`,
    message: match.message,
    details: { rule: match.rule, label: match.label, value: match.value, threshold: match.threshold, ...(match.channel !== undefined && { channel: match.channel }) },
  };
}

/** job.completed, plus job.alert when alerts matched. */
export function completionEvents(job: JobRecord, publicUrl: string): WebhookEvent[] {
  const links = jobLinks(publicUrl, job.id, true);
  const base = { jobId: job.id, links, metadata: job.metadata };
  const events = [createWebhookEvent({ type: 'job.completed', ...base }, { id: jobEventId(job.id, 'job.completed') })];
  if (job.alerts.length > 0) {
    events.push(
      createWebhookEvent(
        { type: 'job.alert', status: 'completed', alerts: job.alerts.map(toWebhookAlert), ...base },
        { id: jobEventId(job.id, 'job.alert') },
      ),
    );
  }
  return events;
}

export function failureEvent(job: JobRecord, error: JobError, publicUrl: string): WebhookEvent {
  return createWebhookEvent(
    { type: 'job.failed', jobId: job.id, links: jobLinks(publicUrl, job.id, false), metadata: job.metadata, error },
    { id: jobEventId(job.id, 'job.failed') },
  );
}

/** Enqueues `events` to the job's webhook URL, if it has one. */
export async function sendJobEvents(
  dispatcher: Pick<WebhookDispatcher, 'enqueue'>,
  job: JobRecord,
  events: WebhookEvent[],
): Promise<void> {
  const url = job.options.webhook?.url;
  if (!url) return;
  for (const event of events) await dispatcher.enqueue(event, url);
}
