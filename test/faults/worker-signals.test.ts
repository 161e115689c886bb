/**
 * Fault suite, workers: real worker processes hit by real signals while jobs run.
 *
 *   1. SIGKILL with several jobs in flight (two workers, one killed): every job completes once,
 *      the killed worker's jobs recovered by the other through BullMQ's stalled-job check.
 *   2a. SIGTERM during a long job, drain timeout longer than the job: the drain lets it finish,
 *      the worker exits 0.
 *   2b. SIGTERM with a drain timeout shorter than the job: the worker hands its job back to `wait`
 *      at once, so another worker completes it long before lock expiry + stalled check would
 *      (lock and stalled interval 30 s here), and the record never shows a failure.
 *
 * Every case ends with the suite's invariant (support/job-invariants.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstJobLog, jobsInFlight } from '../support/child-logs.js';
import type { Child } from '../support/child-processes.js';
import type { JobResource } from '../support/earshot-api-client.js';
import { createEarshotStack, type EarshotStack } from '../support/earshot-stack.js';
import { waitFor } from '../support/wait-for.js';

let stack: EarshotStack;

beforeAll(async () => {
  stack = await createEarshotStack({ name: 'faults-workers' });
  await stack.startApi();
});

afterAll(async () => {
  await stack?.close();
});

/** Submits `file` (served by the audio host) with a webhook to `hookPath`; expects 202. */
async function submit(file: string, hookPath: string): Promise<string> {
  const answer = await stack.api.submitJson({ audio: { url: stack.audio.urlOf(file) }, webhook: { url: stack.hookUrl(hookPath) } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.id ?? '';
}

function figure(name: string, value: unknown): void {
  console.info(`[faults/workers] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

describe('fault suite: worker processes and signals', () => {
  it('SIGKILL of a worker with jobs in flight: the other worker completes every job exactly once', async () => {
    const workers = await Promise.all([stack.startWorker({}, 'kill-a'), stack.startWorker({}, 'kill-b')]);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submit('en-60s.wav', '/hooks/sigkill'));

    const victim = await waitFor('a worker with two jobs in flight', () => workers.find((w) => jobsInFlight(w).length >= 2), {
      intervalMs: 20,
      context: stack.context,
    });
    const survivor = workers.find((w) => w !== victim) as Child;
    const lost = jobsInFlight(victim);
    const killedAt = Date.now();
    victim.process.kill('SIGKILL');
    await victim.exited;

    const recovered: JobResource[] = [];
    for (const id of lost) recovered.push(await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: 60_000 }));
    for (const job of recovered) {
      expect(job.status, JSON.stringify(job.error)).toBe('completed');
      expect(job.attempts).toBeGreaterThanOrEqual(2);
      expect(firstJobLog(survivor, 'job started', job.id), `${job.id} restarted by the surviving worker`).toBeDefined();
    }
    figure('case 1 jobs (killed in flight)', `${ids.length} (${lost.length})`);
    figure('case 1 kill → last lost job completed (ms)', Math.max(...recovered.map((j) => Date.parse(j.finishedAt ?? '') - killedAt)));

    const jobs = await stack.expectSettledOnce();
    expect(jobs.map((j) => j.status)).toEqual(stack.api.accepted.map(() => 'completed'));
    await stack.group.stop(survivor);
  });

  it('SIGTERM during a long job, drain timeout longer than the job: the job completes, the worker exits 0', async () => {
    const worker = await stack.startWorker({ EARSHOT_WORKER_DRAIN_TIMEOUT_MS: '30000' }, 'drain');
    const id = await submit('long-45s.wav', '/hooks/drain');
    await waitFor('the worker to start the job', () => jobsInFlight(worker).includes(id), { intervalMs: 20, context: stack.context });

    const termAt = Date.now();
    worker.process.kill('SIGTERM');
    const code = await worker.exited;
    const exitMs = Date.now() - termAt;

    expect(code).toBe(0);
    const job = await stack.api.getJob(id); // final before the worker exited
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.attempts).toBe(1);
    expect(firstJobLog(worker, 'job completed', id)).toBeDefined();
    expect(Date.parse(job.finishedAt ?? '')).toBeGreaterThanOrEqual(termAt);
    figure('case 2a SIGTERM → exit 0 after the drain (ms)', exitMs);

    await stack.expectSettledOnce();
  });

  it('SIGTERM with a drain timeout shorter than the job: the job is handed back at once and another worker completes it', async () => {
    // Lock and stalled interval of 30 s: stalled-job recovery would need 30–60 s; the hand-back must not.
    const slowRecovery = {
      EARSHOT_WORKER_LOCK_DURATION_MS: '30000',
      EARSHOT_WORKER_STALLED_INTERVAL_MS: '30000',
      EARSHOT_WORKER_DRAIN_TIMEOUT_MS: '500',
      EARSHOT_WORKER_CONCURRENCY: '1',
    };
    const workers = await Promise.all([stack.startWorker(slowRecovery, 'handback-a'), stack.startWorker(slowRecovery, 'handback-b')]);
    const id = await submit('long-45s.wav', '/hooks/handback');
    const victim = await waitFor('a worker to start the job', () => workers.find((w) => jobsInFlight(w).includes(id)), {
      intervalMs: 20,
      context: stack.context,
    });
    const other = workers.find((w) => w !== victim) as Child;

    // Watch the record from the signal on: it must never show a failure.
    const seen: { status: string; error: string | null }[] = [];
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const job = await stack.api.getJob(id);
        seen.push({ status: job.status, error: job.error?.code ?? null });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    const termAt = Date.now();
    victim.process.kill('SIGTERM');
    let job: JobResource;
    try {
      job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: 15_000 });
    } finally {
      watching = false;
      await watcher;
    }
    const completedMs = Date.parse(job.finishedAt ?? '') - termAt;
    const restart = firstJobLog(other, 'job started', id);
    const exitCode = await Promise.race([victim.exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 5000))]);
    figure('case 2b SIGTERM → job started again on the other worker (ms)', restart?.time === undefined ? 'never' : restart.time - termAt);
    figure('case 2b SIGTERM → job completed (ms)', completedMs);
    figure('case 2b victim exit code', exitCode);

    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(completedMs).toBeLessThan(15_000);
    expect(restart, 'the other worker started the handed-back job').toBeDefined();
    expect(seen.filter((s) => s.status === 'failed' || s.error !== null)).toEqual([]);
    expect(exitCode, 'the SIGTERMed worker exited soon after its drain timeout').not.toBe('running');

    await stack.expectSettledOnce();
    await stack.group.stop(other);
  });
});
