/**
 * Fault suite, Redis: a private redis-server (AOF, fsync always, so its data survives) is killed
 * with SIGKILL while jobs are being submitted and processed, then restarted with the same
 * arguments.
 *
 * While it is down, API requests that need Redis answer 503 QUEUE_UNAVAILABLE fast (< 2 s each),
 * /healthz stays 200 and /readyz is 503. After the restart the API, the worker and the webhook
 * deliverer reconnect by themselves; every accepted job completes once (support/job-invariants.ts)
 * and a submission that got a 503 left no job behind.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsInFlight } from '../support/child-logs.js';
import type { Child } from '../support/child-processes.js';
import type { ApiAnswer } from '../support/earshot-api-client.js';
import { createEarshotStack, type EarshotStack } from '../support/earshot-stack.js';
import { startRedisServer, type RedisServer } from '../support/redis-server.js';
import { sleep, waitFor } from '../support/wait-for.js';

/** The contract: a request that needs Redis is refused within about a second while Redis is away. */
const FAST_FAILURE_MS = 2000;
/** EARSHOT_SUBMISSION_SWEEP_S of the API under test. */
const SWEEP_S = 2;

let redisDir = '';
let redisServer: RedisServer | undefined;
let stack: EarshotStack;
let worker: Child;

beforeAll(async () => {
  redisDir = await mkdtemp(join(tmpdir(), 'earshot-faults-redis-'));
  redisServer = await startRedisServer({ dir: redisDir });
  stack = await createEarshotStack({ name: 'faults-redis', redisUrl: redisServer.url });
  // A short sweep age, so the sweeper finishes a half-done submission within the test.
  [, worker] = await Promise.all([stack.startApi({ EARSHOT_SUBMISSION_SWEEP_S: String(SWEEP_S) }), stack.startWorker()]);
});

afterAll(async () => {
  await stack?.close();
  await redisServer?.stop();
  if (redisDir) await rm(redisDir, { recursive: true, force: true });
});

function figure(name: string, value: unknown): void {
  console.info(`[faults/redis] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

interface Outcome extends ApiAnswer {
  at: number;
  what: string;
}

describe('fault suite: Redis killed and restarted', () => {
  it('answers 503 QUEUE_UNAVAILABLE fast while Redis is down, recovers by itself, and completes every accepted job once', async () => {
    const server = redisServer as RedisServer;
    const hook = stack.hookUrl('/hooks/redis');
    const submitUrl = (file: string): Promise<ApiAnswer & { id?: string }> =>
      stack.api.submitJson({ audio: { url: stack.audio.urlOf(file) }, webhook: { url: hook } });

    // Long jobs, so some are being processed when Redis goes.
    for (let i = 0; i < 3; i++) expect((await submitUrl('long-45s.wav')).status).toBe(202);
    await waitFor('a job in flight', () => jobsInFlight(worker).length > 0, { intervalMs: 20, context: stack.context });

    // Submissions keep coming throughout the outage.
    const submissions: Outcome[] = [];
    let submitting = true;
    const submitter = (async () => {
      while (submitting) {
        submissions.push({ what: 'POST /v1/jobs (loop)', at: Date.now(), ...(await submitUrl('en.wav')) });
        await sleep(100);
      }
    })();
    await sleep(400);

    const killedAt = Date.now();
    await server.kill('SIGKILL');
    const probes: Outcome[] = [];
    const probe = async (what: string, path: string, init?: RequestInit): Promise<void> => {
      probes.push({ what, at: Date.now(), ...(await stack.api.call(path, init)) });
    };
    const anyJob = stack.api.accepted[0] ?? '';
    // Twice: right after the kill, and once ioredis' reconnect attempts have backed off.
    for (const delayMs of [100, 2000]) {
      await sleep(delayMs);
      const form = new FormData();
      form.append('file', new Blob([new Uint8Array(64_000)]), 'upload.wav');
      await Promise.all([
        probe('GET /v1/jobs/:id', `/v1/jobs/${anyJob}`),
        probe('GET /v1/jobs', '/v1/jobs'),
        probe('POST /v1/jobs (json)', '/v1/jobs', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ audio: { url: stack.audio.urlOf('en.wav') }, webhook: { url: hook } }),
        }),
        probe('POST /v1/jobs (multipart)', '/v1/jobs', { method: 'POST', body: form }),
        probe('GET /v1/jobs/:id/webhooks', `/v1/jobs/${anyJob}/webhooks`),
      ]);
      const [healthz, readyz] = await Promise.all([stack.api.call('/healthz'), stack.api.call('/readyz')]);
      expect(healthz.status, 'GET /healthz while Redis is down').toBe(200);
      expect(readyz.status, 'GET /readyz while Redis is down').toBe(503);
      expect(readyz.code).toBe('QUEUE_UNAVAILABLE');
    }
    await server.restart();
    const restartedAt = Date.now();
    const firstAccepted = await waitFor(
      'a submission accepted after the restart',
      () => submissions.find((s) => s.at > restartedAt && s.status === 202),
      { timeoutMs: 20_000, intervalMs: 50, context: stack.context },
    );
    await waitFor('GET /readyz 200 again', async () => (await stack.api.call('/readyz')).status === 200, { timeoutMs: 20_000 });
    submitting = false;
    await submitter;

    const refused = [...probes, ...submissions.filter((s) => s.status !== 202)];
    figure('case 3 down (ms)', restartedAt - killedAt);
    figure('case 3 restart → first 202 (ms)', firstAccepted.at + firstAccepted.elapsedMs - restartedAt);
    figure('case 3 slowest 503 (ms)', Math.max(...refused.map((r) => r.elapsedMs)));
    figure('case 3 submissions 202 / refused (loop)', `${submissions.filter((s) => s.status === 202).length} / ${submissions.length - submissions.filter((s) => s.status === 202).length}`);

    // While down: only fast 503 QUEUE_UNAVAILABLE.
    expect(probes.map((p) => `${p.what}: ${p.status} ${p.code}`)).toEqual(probes.map((p) => `${p.what}: 503 QUEUE_UNAVAILABLE`));
    expect(refused.map((r) => `${r.what}: ${r.status} ${r.code ?? ''}`)).toEqual(refused.map((r) => `${r.what}: 503 QUEUE_UNAVAILABLE`));
    expect(refused.filter((r) => r.elapsedMs >= FAST_FAILURE_MS).map((r) => `${r.what} took ${r.elapsedMs} ms`)).toEqual([]);
    expect(submissions.some((s) => s.at > killedAt && s.at < restartedAt && s.status === 503), 'a loop submission met the outage').toBe(true);

    // Refused submissions left nothing behind. The submission in flight at the instant Redis died
    // may have written its record and then lost the enqueue and the undo: the API's sweeper removes
    // such a record once it is SWEEP_S old. If that enqueue did run (only its reply was lost), the
    // job is real: it stays, queued, and runs (a client retrying with its Idempotency-Key gets it).
    const accepted = [...stack.api.accepted].sort();
    const jobs = await stack.expectSettledOnce({ timeoutMs: 90_000 });
    expect(jobs.map((j) => `${j.id} ${j.status}`)).toEqual(jobs.map((j) => `${j.id} completed`));
    const queueIds = async (): Promise<string[]> =>
      (await stack.queue().getJobs(['completed', 'failed', 'active', 'wait', 'delayed', 'prioritized'])).map((j) => j.id ?? '');
    const unexplained = async (): Promise<string[]> => {
      const [listed, queued] = await Promise.all([stack.api.listAllJobs(), queueIds()]);
      return listed.map((j) => j.id).filter((id) => !accepted.includes(id) && !queued.includes(id));
    };
    const recordsBeforeSweep = (await unexplained()).length;
    await waitFor('the sweeper to remove records of refused submissions', async () => (await unexplained()).length === 0, {
      timeoutMs: 4 * SWEEP_S * 1000 + 30_000,
      intervalMs: 250,
      context: stack.context,
    });
    const listed = (await stack.api.listAllJobs()).map((j) => j.id).sort();
    expect(accepted.filter((id) => !listed.includes(id)), 'accepted jobs missing from the list').toEqual([]);
    const queued = await queueIds();
    expect(accepted.filter((id) => !queued.includes(id)), 'accepted jobs missing from the queue').toEqual([]);
    expect(queued.filter((id) => !listed.includes(id)), 'queued jobs without a record').toEqual([]);
    // A refused submission whose enqueue did run: its job completes like any other.
    const realRefused = listed.filter((id) => !accepted.includes(id));
    for (const id of realRefused) {
      await waitFor(`job ${id} (refused, but enqueued) to complete`, async () => ((await stack.api.call(`/v1/jobs/${id}`)).body as { status?: string }).status === 'completed', {
        timeoutMs: 60_000,
        context: stack.context,
      });
    }
    figure('case 3 jobs accepted', accepted.length);
    figure('case 3 records of refused submissions removed by the sweeper', recordsBeforeSweep);
    figure('case 3 refused submissions whose job ran anyway', realRefused.length);
  });
});
