import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import type { TranscriptionJobData } from '../queue/transcription-queue.js';
import { readBacklog } from './backlog.js';
import { publishWorkerReport, readWorkerReports, removeWorkerReport, type WorkerReportInput } from './worker-registry.js';

const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const prefix = `bull-backlog-${randomUUID().slice(0, 8)}`;
const keyPrefix = `earshot-test:${randomUUID().slice(0, 8)}:`;

afterAll(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('readBacklog', () => {
  it('weighs jobs by audio seconds: one 2-hour file equals 1,440 five-second clips', async () => {
    const long = new Queue<TranscriptionJobData>(`long-${randomUUID().slice(0, 8)}`, { connection: redis, prefix });
    const short = new Queue<TranscriptionJobData>(`short-${randomUUID().slice(0, 8)}`, { connection: redis, prefix });
    try {
      await long.add('t', { jobId: 'a', tenant: 't', audio: { durationS: 7200, exact: false } });
      await short.addBulk(Array.from({ length: 1440 }, (_, i) => ({ name: 't', data: { jobId: `c${i}`, tenant: 't', audio: { durationS: 5, exact: true } } })));
      const now = Date.now();
      const [a, b] = await Promise.all([readBacklog(long, now, { pageSize: 500 }), readBacklog(short, now, { pageSize: 500 })]);
      expect(a.audioS).toBe(7200);
      expect(b.audioS).toBe(7200);
      expect([a.waitingJobs, b.waitingJobs]).toEqual([1, 1440]);
      expect(b.waitingAudioS).toHaveLength(1440);
      expect(a.oldestWaitingS).toBeGreaterThanOrEqual(0);
      expect(a.oldestWaitingS).toBeLessThan(30);
    } finally {
      await Promise.all([long.obliterate({ force: true }), short.obliterate({ force: true })]);
      await Promise.all([long.close(), short.close()]);
    }
  });

  it('counts prioritized jobs, unknown durations at the assumed length, and nothing when empty', async () => {
    const queue = new Queue<TranscriptionJobData>(`mixed-${randomUUID().slice(0, 8)}`, { connection: redis, prefix });
    try {
      expect(await readBacklog(queue, Date.now())).toMatchObject({ audioS: 0, waitingJobs: 0, oldestWaitingS: null });
      await queue.add('t', { jobId: 'p', tenant: 't', audio: { durationS: 30, exact: false } }, { priority: 5 });
      await queue.add('t', { jobId: 'u', tenant: 't', audio: null });
      const backlog = await readBacklog(queue, Date.now(), { unknownAudioS: 100 });
      expect(backlog).toMatchObject({ audioS: 130, waitingJobs: 2, unknownJobs: 1, activeJobs: 0 });
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe('worker registry', () => {
  const report = (worker: string, at: number): WorkerReportInput => ({ worker, queue: 'q', state: 'running', throughput: 25, startupS: 3.5, activeJobs: 1, at });

  it('returns fresh reports, skips stale ones and forgets very old ones', async () => {
    const now = Date.now();
    await publishWorkerReport(redis, keyPrefix, report('w1', now));
    await publishWorkerReport(redis, keyPrefix, report('w2', now - 60_000)); // a dead worker
    await publishWorkerReport(redis, keyPrefix, report('w3', now - 3_600_000)); // long gone
    expect((await readWorkerReports(redis, keyPrefix, now)).map((r) => r.worker)).toEqual(['w1']);
    expect(await redis.hkeys(`${keyPrefix}workers`)).toEqual(expect.arrayContaining(['w1', 'w2']));
    expect(await redis.hexists(`${keyPrefix}workers`, 'w3')).toBe(0);
    expect(await readWorkerReports(redis, keyPrefix, now, 'other-queue')).toEqual([]);
    await removeWorkerReport(redis, keyPrefix, 'w1');
    expect(await readWorkerReports(redis, keyPrefix, now)).toEqual([]);
  });
});
