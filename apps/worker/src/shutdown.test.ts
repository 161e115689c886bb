import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { createReleaseStack, drainWorker } from './shutdown.js';

const logger = pino({ level: 'silent' });
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const prefix = `bull-test-${randomUUID().slice(0, 8)}`;

afterAll(async () => {
  await redis.quit();
});

describe('createReleaseStack', () => {
  it('releases newest first, keeps going past a failing releaser, and refuses a second release', async () => {
    const order: string[] = [];
    const stack = createReleaseStack(logger);
    stack.push('redis', () => void order.push('redis'));
    stack.push('engine', () => {
      order.push('engine');
      throw new Error('boom');
    });
    stack.push('worker', async () => void order.push('worker'));
    await stack.release();
    expect(order).toEqual(['worker', 'engine', 'redis']);
    await expect(stack.release()).rejects.toThrow(/twice/);
    expect(() => stack.push('late', () => {})).toThrow(/already released/);
  });
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
    const draining = drainWorker(w.worker, 30_000, () => (timedOut = true));
    setTimeout(() => w.finish(), 50);
    expect(await draining).toBe('drained');
    expect(timedOut).toBe(false);
    expect(await w.queue.getJobCounts('completed', 'active')).toEqual({ completed: 1, active: 0 });
    await w.cleanup();
  });

  it('gives up after the timeout and leaves the job active for stalled-job recovery', async () => {
    const w = await workerWithActiveJob();
    let timedOut = false;
    expect(await drainWorker(w.worker, 100, () => (timedOut = true))).toBe('timed-out');
    expect(timedOut).toBe(true);
    expect(await w.queue.getJobCounts('active')).toEqual({ active: 1 });
    await w.cleanup();
  });
});
