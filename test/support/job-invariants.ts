/**
 * The invariant every fault test ends with: whatever was killed, frozen or refused on the way,
 *
 *   - every job the API accepted (every 202) is in a final state: completed, failed or canceled;
 *   - each completed job has exactly one result: one stored JSON transcript, present and
 *     parseable (also through GET /v1/jobs/:id/result);
 *   - each completed job has exactly one `job.completed` webhook id. Retries of one delivery
 *     share a `webhook-id`; two different ids for one job would be a duplicate event;
 *   - no webhook arrived for a job that was never accepted.
 */
import { ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { EarshotApiClient, JobResource } from './earshot-api-client.js';
import { sleep, waitFor } from './wait-for.js';
import { deliveriesFor, type WebhookDelivery } from './webhook-receiver.js';

const FINAL: readonly JobResource['status'][] = ['completed', 'failed', 'canceled'];

export interface SettledOnceCheck {
  api: EarshotApiClient;
  deliveries: readonly WebhookDelivery[];
  /** Where results are stored: the raw S3 client, bucket, the service's storage prefix, tenant. */
  storage: { client: S3Client; bucket: string; prefix: string; tenant: string };
  /** Every accepted job was created with a webhook URL. @defaultValue true */
  webhooks?: boolean;
  /** For reaching final states and for the first webhook of each job. @defaultValue 60000 */
  timeoutMs?: number;
  /** Waited after the last first delivery, so a late duplicate would be seen. @defaultValue 750 */
  duplicateGraceMs?: number;
  context?: () => string;
}

/** Asserts the invariant above for every job in `api.accepted`; returns the final job resources. */
export async function expectEveryAcceptedJobSettledOnce(check: SettledOnceCheck): Promise<JobResource[]> {
  const { api, storage } = check;
  const ids = [...api.accepted];
  const waitOptions = { timeoutMs: check.timeoutMs ?? 60_000, ...(check.context ? { context: check.context } : {}) };
  expect(new Set(ids).size, 'the API handed out the same job id twice').toBe(ids.length);

  const jobs = await waitFor(
    `all ${ids.length} accepted jobs to reach a final state`,
    async () => {
      const current = await Promise.all(ids.map((id) => api.getJob(id)));
      return current.every((j) => FINAL.includes(j.status)) ? current : null;
    },
    { ...waitOptions, intervalMs: 250 },
  );

  for (const job of jobs.filter((j) => j.status === 'completed')) {
    expect(job.error, `completed job ${job.id} still shows an error`).toBeNull();
    expect(job.result, `completed job ${job.id} has no result summary`).not.toBeNull();
    const answer = await api.call(`/v1/jobs/${job.id}/result?format=json`);
    expect(answer.status, `result of ${job.id}`).toBe(200);
    expect(Array.isArray((answer.body as { segments?: unknown }).segments), `result of ${job.id} is a transcript`).toBe(true);

    const prefix = `${storage.prefix}tenants/${storage.tenant}/jobs/${job.id}/results/`;
    const listed = await storage.client.send(new ListObjectsV2Command({ Bucket: storage.bucket, Prefix: prefix }));
    const jsonKeys = (listed.Contents ?? []).map((o) => o.Key ?? '').filter((k) => k.endsWith('.json'));
    expect(jsonKeys, `stored JSON transcripts of ${job.id}`).toEqual([`${prefix}transcript.json`]);
  }

  if (check.webhooks ?? true) {
    for (const job of jobs) {
      const type = job.status === 'completed' ? 'job.completed' : job.status === 'failed' ? 'job.failed' : null;
      if (type === null) continue;
      await waitFor(`a verified ${type} webhook of ${job.id}`, () => deliveriesFor(check.deliveries, job.id, type).some((d) => d.verified), waitOptions);
    }
    await sleep(check.duplicateGraceMs ?? 750);
    for (const job of jobs.filter((j) => j.status === 'completed')) {
      const completed = deliveriesFor(check.deliveries, job.id, 'job.completed');
      expect(completed.every((d) => d.verified), `unverified job.completed webhook of ${job.id}`).toBe(true);
      expect(new Set(completed.map((d) => d.id)).size, `distinct job.completed webhook ids of ${job.id}`).toBe(1);
      expect(deliveriesFor(check.deliveries, job.id, 'job.failed'), `job.failed webhook of completed job ${job.id}`).toEqual([]);
    }
  }
  const known = new Set(api.accepted); // as of now: a request may have been accepted while this ran
  const strangers = check.deliveries.filter((d) => !known.has(d.payload.data.jobId));
  expect(strangers.map((d) => `${d.payload.type} ${d.payload.data.jobId}`), 'webhooks about jobs the API never accepted').toEqual([]);
  return jobs;
}
