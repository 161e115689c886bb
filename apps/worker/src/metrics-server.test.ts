import { afterAll, describe, expect, it } from 'vitest';
import { createWorkerMetrics } from './metrics.js';
import { startMetricsServer, type MetricsServer } from './metrics-server.js';

let server: MetricsServer | undefined;
afterAll(async () => server?.close());

describe('metrics server', () => {
  it('serves the worker metrics and health', async () => {
    const metrics = createWorkerMetrics();
    let status = 'running';
    server = await startMetricsServer({
      host: '127.0.0.1',
      port: 0,
      registry: metrics.registry,
      health: () => ({ ok: status !== 'broken', status }),
      ready: () => status === 'running',
    });
    const base = `http://127.0.0.1:${server.port}`;

    metrics.jobStarted();
    metrics.jobFinished('completed', { durationS: 2, audioS: 6 });
    metrics.jobStarted();
    metrics.jobFinished('failed', { durationS: 1, errorCode: 'AUDIO_CORRUPT' });
    metrics.onBatch({ items: 3, frames: 100, paddedFrames: 120, durationMs: 40, ok: true });
    metrics.trackQueuedSegments(() => 7);

    const res = await fetch(`${base}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('earshot_worker_jobs_total{outcome="completed"} 1');
    expect(text).toContain('earshot_worker_job_errors_total{code="AUDIO_CORRUPT"} 1');
    expect(text).toContain('earshot_worker_audio_seconds_total 6');
    expect(text).toContain('earshot_worker_active_jobs 0');
    expect(text).toContain('earshot_worker_queued_segments 7');
    expect(text).toContain('earshot_worker_batch_items_sum 3');
    expect(text).toContain('earshot_worker_process_cpu_seconds_total');

    metrics.setStartupSeconds(4.25);
    expect(await (await fetch(`${base}/metrics`)).text()).toContain('earshot_worker_startup_seconds 4.25');
    expect(metrics.activeJobs()).toBe(0);

    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true, status: 'running' });
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    status = 'starting'; // loading the model: alive, not ready
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    status = 'broken';
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
  });
});
