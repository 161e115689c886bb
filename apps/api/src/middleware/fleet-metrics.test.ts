import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { AutoscaleConfigSchema } from '@earshot/core/config/autoscale-config';
import { publishWorkerReport } from '@earshot/core/fleet/worker-registry';
import type { TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import { registerFleetMetrics } from './fleet-metrics.js';

const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const keyPrefix = `earshot-test:${randomUUID().slice(0, 8)}:`;
const prefix = `bull-fleet-${randomUUID().slice(0, 8)}`;
const queue = new Queue<TranscriptionJobData>(`fleet-${randomUUID().slice(0, 8)}`, { connection: redis, prefix });

afterAll(async () => {
  await queue.obliterate({ force: true });
  await queue.close();
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

function value(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('fleet metrics', () => {
  it('exports the backlog in audio seconds, the oldest wait, worker throughput and the desired workers', async () => {
    const registry = new Registry();
    const autoscale = AutoscaleConfigSchema.parse({ targetDrainS: 60, throughputPrior: 10, coldStartS: 0, maxWorkers: 8 });
    registerFleetMetrics({ registry, queue, redis, keyPrefix, autoscale, logger: pino({ level: 'silent' }) });
    const q = `queue="${queue.name}"`;

    let text = await registry.metrics();
    expect(value(text, 'earshot_backlog_audio_seconds', q)).toBe(0);
    expect(value(text, 'earshot_desired_workers', q)).toBe(0);
    expect(value(text, 'earshot_workers', q)).toBe(0);

    // 2 hours of audio in one file and 10 minutes of it in 120 clips.
    await queue.add('t', { jobId: 'long', tenant: 't', audio: { durationS: 7200, exact: false } });
    await queue.addBulk(Array.from({ length: 120 }, (_, i) => ({ name: 't', data: { jobId: `c${i}`, tenant: 't', audio: { durationS: 5, exact: true } } })));
    const now = Date.now();
    await publishWorkerReport(redis, keyPrefix, { worker: 'host-1', queue: queue.name, state: 'running', throughput: 20, startupS: 4, activeJobs: 0, at: now });
    await new Promise((resolve) => setTimeout(resolve, 1100)); // past the snapshot cache

    text = await registry.metrics();
    expect(value(text, 'earshot_backlog_audio_seconds', q)).toBe(7800);
    expect(value(text, 'earshot_oldest_waiting_seconds', q)).toBeGreaterThanOrEqual(1);
    expect(value(text, 'earshot_worker_throughput_audio_seconds_per_second', 'worker="host-1"')).toBe(20);
    expect(value(text, 'earshot_workers', q)).toBe(1);
    // 7,800 s of audio at 20 s/s per worker within 60 s wants many workers; the policy caps at 8.
    const desired = value(text, 'earshot_desired_workers', q) ?? -1;
    expect(desired).toBeGreaterThan(1);
    expect(desired).toBeLessThanOrEqual(8);
  });
});
