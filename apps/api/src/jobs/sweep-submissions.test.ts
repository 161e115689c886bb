import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { JobOptionsSchema } from '@earshot/core/jobs/job-options';
import { newQueuedJobRecord } from '@earshot/core/jobs/job-record';
import { JobStore } from '@earshot/core/jobs/job-store';
import { enqueueTranscription, type TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import { UploadRegistry } from '../uploads/upload-registry.js';
import { submitJob } from './submit-job.js';
import { sweepSubmissions } from './sweep-submissions.js';

// Real Redis and a real BullMQ queue: the sweeper's decisions rest on what they hold.
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const keyPrefix = `earshot-test:${randomUUID().slice(0, 8)}:`;
const queue = new Queue<TranscriptionJobData>(`sweep-${randomUUID().slice(0, 8)}`, { connection: redis, prefix: 'bull-sweep' });
const jobs = new JobStore({ redis, keyPrefix });
const uploads = new UploadRegistry(redis, keyPrefix);
const logger = pino({ level: 'silent' });
const retry = { attempts: 1, backoffMs: 1000 };
const tenant = 'acme';

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

function record(idempotencyKey: string | null = null) {
  return newQueuedJobRecord({
    id: randomUUID(),
    tenant,
    source: { kind: 'url', url: 'https://example.com/a.wav' },
    options: JobOptionsSchema.parse({}),
    metadata: null,
    idempotencyKey,
  });
}

const pendingIds = async (): Promise<string[]> => (await jobs.pendingSubmissions()).map((p) => p.jobId);

describe('sweepSubmissions', () => {
  it('undoes a submission that wrote its record but never enqueued it: record, idempotency key and upload claim go', async () => {
    const { record: upload } = await uploads.create({ tenant, filename: 'a.wav', contentType: 'audio/wav', sizeBytes: 10, expiresS: 600 });
    const job = record('key-1');
    expect(await jobs.claimIdempotencyKey(tenant, 'key-1', 'hash', job.id)).toBeNull();
    expect(await uploads.claim(upload, job.id)).toBeNull();
    await jobs.create(job, { uploadId: upload.id }); // then "Redis died": no enqueue, no undo

    const young = await sweepSubmissions({ jobs, queue, uploads, logger, ageMs: 60_000 });
    expect(young).toEqual({ confirmed: [], undone: [], cleared: [] });
    expect(await jobs.get(job.id)).not.toBeNull();

    const swept = await sweepSubmissions({ jobs, queue, uploads, logger, ageMs: 60_000, now: () => Date.now() + 61_000 });
    expect(swept.undone).toContain(job.id);
    expect(await jobs.get(job.id)).toBeNull();
    expect((await jobs.list(tenant, { limit: 100 })).jobs.map((j) => j.id)).not.toContain(job.id);
    expect(await uploads.jobOf(upload.id)).toBeNull();
    // The key is free again: a retry with it creates a new job instead of replaying a ghost.
    expect(await jobs.claimIdempotencyKey(tenant, 'key-1', 'hash', 'next')).toBeNull();
    expect(await pendingIds()).not.toContain(job.id);
  });

  it('keeps a job whose enqueue ran (only the mark was left) and clears marks of jobs that moved on', async () => {
    const queued = record();
    await jobs.create(queued);
    await enqueueTranscription(queue, queued, retry);
    const moved = record();
    await jobs.create(moved);
    await jobs.update(moved.id, (r) => ({ ...r, status: 'processing' }));

    const swept = await sweepSubmissions({ jobs, queue, uploads, logger, ageMs: 0, now: () => Date.now() + 1 });
    expect(swept.confirmed).toContain(queued.id);
    expect(swept.cleared).toContain(moved.id);
    expect(swept.undone).toEqual([]);
    expect((await jobs.get(queued.id))?.status).toBe('queued');
    expect((await jobs.get(moved.id))?.status).toBe('processing');
    expect(await pendingIds()).toEqual([]);
  });

  it('a successful submission leaves no mark behind', async () => {
    const { job } = await submitJob(
      { jobs, queue, uploads, retry, measureAudio: async () => null, logger },
      {
        tenant,
        jobId: randomUUID(),
        source: { kind: 'url', url: 'https://example.com/b.wav' },
        options: JobOptionsSchema.parse({}),
        metadata: null,
        idempotencyKey: null,
        requestHash: 'h',
      },
    );
    expect(await queue.getJob(job.id)).toBeDefined();
    expect(await pendingIds()).not.toContain(job.id);
  });
});
