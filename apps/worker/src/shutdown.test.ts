import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { JobOptionsSchema } from '@earshot/core/jobs/job-options';
import { newQueuedJobRecord } from '@earshot/core/jobs/job-record';
import { JobStore } from '@earshot/core/jobs/job-store';
import { createActiveRuns } from './hand-back.js';
import { drainWorker } from './shutdown.js';

const logger = pino({ level: 'silent' });
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const prefix = `bull-test-${randomUUID().slice(0, 8)}`;

afterAll(async () => {
  await redis.quit();
});

describe('drainWorker', () => {
  /** A real BullMQ worker holding one active job until `finish` is called. */
  async function workerWithActiveJob() {
    const name = `drain-${randomUUID().slice(0, 8)}`;
    const queue = new Queue(name, { connection: redis, prefix });
    let finish!: () => void;
    let started!: () => void;
    const isActive = new Promise<void>((resolve) => (started = resolve));
    const worker = new Worker(
      name,
      () =>
        new Promise<void>((resolve) => {
          finish = resolve;
          started();
        }),
      { connection: redis, prefix, lockDuration: 5000 },
    );
    await queue.add('j', {});
    await isActive;
    const cleanup = async () => {
      finish();
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
    };
    return { worker, queue, finish: () => finish(), cleanup };
  }

  it('waits for the active job to finish', async () => {
    const w = await workerWithActiveJob();
    let timedOut = false;
    const draining = drainWorker(w.worker, 30_000, () => void (timedOut = true));
    setTimeout(() => w.finish(), 50);
    expect(await draining).toBe('drained');
    expect(timedOut).toBe(false);
    expect(await w.queue.getJobCounts('completed', 'active')).toEqual({ completed: 1, active: 0 });
    await w.cleanup();
  });

  it('gives up after the timeout (a no-op onTimeout leaves the job active for stalled-job recovery)', async () => {
    const w = await workerWithActiveJob();
    let timedOut = false;
    expect(await drainWorker(w.worker, 100, () => void (timedOut = true))).toBe('timed-out');
    expect(timedOut).toBe(true);
    expect(await w.queue.getJobCounts('active')).toEqual({ active: 1 });
    await w.cleanup();
  });
});

describe('hand-back at the drain timeout', () => {
  it('puts the abandoned job back in wait (record queued) so another worker runs it at once', async () => {
    const name = `handback-${randomUUID().slice(0, 8)}`;
    const keyPrefix = `earshot-test:${randomUUID().slice(0, 8)}:`;
    const jobStore = new JobStore({ redis, keyPrefix });
    const queue = new Queue(name, { connection: redis, prefix });
    const runs = createActiveRuns<{ n: number }, string>({ jobStore, logger, recordIdOf: (job) => job.id ?? null });
    const id = randomUUID();
    await jobStore.create({ ...newQueuedJobRecord({ id, tenant: 't', source: { kind: 'url', url: 'https://e.com/a.wav' }, options: JobOptionsSchema.parse({}), metadata: null, idempotencyKey: null }), status: 'processing' });
    let started!: () => void;
    const isActive = new Promise<void>((resolve) => (started = resolve));
    // The first worker's run does not settle (like an abandoned run) until the test ends.
    let release!: () => void;
    const abandoned = new Promise<string>((resolve) => (release = () => resolve('late')));
    const first = new Worker<{ n: number }, string>(name, runs.wrap(() => (started(), abandoned)), {
      connection: redis,
      prefix,
      lockDuration: 60_000,
      stalledInterval: 60_000,
    });
    try {
      await queue.add('j', { n: 1 }, { jobId: id });
      await isActive;
      expect(runs.ids()).toEqual([id]);
      expect(await drainWorker(first, 100, async () => void (await runs.handBack()))).toBe('timed-out');
      expect(await queue.getJobCounts('active', 'wait')).toEqual({ active: 0, wait: 1 });
      expect((await jobStore.get(id))?.status).toBe('queued');
      // A second worker takes it long before the 60 s lock would have expired.
      const handedAt = performance.now();
      const second = new Worker<{ n: number }, string>(name, async () => 'done', { connection: redis, prefix });
      try {
        while ((await queue.getJobCounts('completed')).completed === 0 && performance.now() - handedAt < 10_000) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        expect(await queue.getJobCounts('completed', 'active')).toEqual({ completed: 1, active: 0 });
        expect(performance.now() - handedAt).toBeLessThan(10_000);
      } finally {
        await second.close();
      }
    } finally {
      release();
      first.on('error', () => {}); // its late completion is refused: the lock went with the hand-back
      await first.close(true);
      await queue.obliterate({ force: true });
      await queue.close();
      await jobStore.delete({ id, tenant: 't', idempotencyKey: null });
    }
  });
});

