/**
 * Fault suite, S3: the services talk to a private radosgw gateway (support/radosgw-gateway.ts: a
 * second radosgw process on the local test Ceph cluster, same buckets and users), which the test
 * kills with SIGKILL, freezes with SIGSTOP and brings back (restart with the same arguments, or
 * SIGCONT). The shared gateway other test files use is never signaled, and the private one is
 * killed in afterAll whatever happens.
 *
 *   - the worker's fetch of an uploaded file fails: retried (STORAGE_UNAVAILABLE is retryable),
 *     the job completes once S3 is back;
 *   - the worker's result write fails: the same;
 *   - S3 away during and between uploads: the API answers 503 STORAGE_UNAVAILABLE quickly (also for
 *     a result download), keeps serving what needs only Redis, accepts uploads again afterwards;
 *   - S3 frozen (accepts connections, answers nothing): the same answers, bounded by the store's
 *     deadlines instead of socket timeouts; a fetch that meets the freeze is retried.
 *
 * Every case ends with the suite's invariant (support/job-invariants.ts).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processEnv } from '@earshot/core/config/env';
import { logEntries } from '../support/child-logs.js';
import type { Child } from '../support/child-processes.js';
import type { ApiAnswer, SubmitAnswer } from '../support/earshot-api-client.js';
import { createEarshotStack, type EarshotStack } from '../support/earshot-stack.js';
import { ensureS3Server } from '../setup/s3.js';
import { localCephConfig, startRadosgwGateway, type RadosgwGateway } from '../support/radosgw-gateway.js';
import { sleep, waitFor } from '../support/wait-for.js';

/** A request that needs storage is refused this fast while the server is down (connection refused). */
const FAST_FAILURE_MS = 2000;
/** …and this fast while it is frozen (the store's 3 s deadline for quick requests, plus margin). */
const FROZEN_FAILURE_MS = 5000;

// An external S3 (EARSHOT_TEST_S3_ENDPOINT, e.g. a MinIO in CI) cannot be killed from here; the local radosgw can.
const localS3 = !processEnv().EARSHOT_TEST_S3_ENDPOINT;

let gatewayDir = '';
let gateway: RadosgwGateway | undefined;
let stack: EarshotStack;
let worker: Child;

beforeAll(async () => {
  if (!localS3) return;
  await ensureS3Server(); // the local cluster, started if needed: the gateway joins it

  const config = localCephConfig();
  if (!config) throw new Error('the local radosgw runs, but its Ceph config was not found (CEPH_DIR?)');
  gatewayDir = await mkdtemp(join(tmpdir(), 'earshot-faults-rgw-'));
  gateway = await startRadosgwGateway({ cephConfig: config, dir: gatewayDir, name: `faults-${randomBytes(3).toString('hex')}` });
  // More job attempts than elsewhere: a frozen server costs each failed run the store's 3 s deadline.
  stack = await createEarshotStack({ name: 'faults-s3', s3Endpoint: gateway.endpoint, env: { EARSHOT_JOB_ATTEMPTS: '8' } });
  [, worker] = await Promise.all([stack.startApi(), stack.startWorker()]);
});

afterAll(async () => {
  try {
    gateway?.thaw(); // so the children's S3 clients do not hang on their way out
    await stack?.close(); // removes the bucket through the shared gateway
  } finally {
    await gateway?.stop();
    if (gatewayDir) await rm(gatewayDir, { recursive: true, force: true });
  }
});

function figure(name: string, value: unknown): void {
  console.info(`[faults/s3] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

function uploadFields(hookPath: string): Record<string, string> {
  return { 'webhook.url': stack.hookUrl(hookPath) };
}

async function upload(file: string, hookPath: string): Promise<string> {
  const answer = await stack.api.submitFile(stack.audioFile(file), uploadFields(hookPath));
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.id ?? '';
}

/** The worker's log line saying a run of `jobId` failed with `code` and will be retried (its error naming `keyPart`). */
function retriedRun(jobId: string, code: string, keyPart = ''): boolean {
  return logEntries(worker, 'job run failed; BullMQ will retry').some(
    (e) => e.jobId === jobId && e.code === code && JSON.stringify(e.err ?? '').includes(keyPart),
  );
}

async function gatewayRestarted(): Promise<number> {
  const started = Date.now();
  await (gateway as RadosgwGateway).restart();
  return Date.now() - started;
}

/** A multipart upload whose body is sent in two halves; `between` runs after the first. */
async function streamedUpload(file: string, hookPath: string, between: () => Promise<void>): Promise<SubmitAnswer & { afterBodyMs: number }> {
  const bytes = await readFile(stack.audioFile(file));
  const boundary = `faults-${randomBytes(8).toString('hex')}`;
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="webhook.url"\r\n\r\n${stack.hookUrl(hookPath)}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file}"\r\nContent-Type: audio/wav\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const half = Math.floor(bytes.length / 2);
  let bodyEndedAt = 0;
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(head);
      controller.enqueue(bytes.subarray(0, half));
      await sleep(300); // the API is reading the upload now
      await between();
      controller.enqueue(bytes.subarray(half));
      controller.enqueue(tail);
      controller.close();
      bodyEndedAt = Date.now();
    },
  });
  const answer = await stack.api.submit({
    body,
    duplex: 'half',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
  } as RequestInit);
  return { ...answer, afterBodyMs: Date.now() - bodyEndedAt };
}

/** Job ids that have objects in the bucket (under the run's storage prefix). */
async function jobsWithObjects(): Promise<string[]> {
  const prefix = `${stack.names.storagePrefix}tenants/${stack.tenant}/jobs/`;
  const listed = await stack.bucket.client.send(new ListObjectsV2Command({ Bucket: stack.bucket.bucket, Prefix: prefix }));
  return [...new Set((listed.Contents ?? []).map((o) => (o.Key ?? '').slice(prefix.length).split('/')[0] ?? ''))].sort();
}

/** `answer`, or a status-0 stand-in once `limitMs` passed without one (a request hanging on a frozen server). */
function within(answer: Promise<ApiAnswer>, limitMs = 8000): Promise<ApiAnswer> {
  return Promise.race([answer, sleep(limitMs).then((): ApiAnswer => ({ status: 0, elapsedMs: limitMs, body: `no answer within ${limitMs} ms` }))]);
}

function describeAnswer(a: ApiAnswer): string {
  return `${a.status} ${a.code ?? ''} in ${a.elapsedMs} ms`;
}

describe.skipIf(!localS3)('fault suite: S3 (radosgw) stopped and restarted', () => {
  it("the worker's fetch of an upload fails while S3 is down: retried, completed once S3 is back", async () => {
    const queue = stack.queue();
    await queue.pause(); // the job waits until the gateway is gone
    const id = await upload('en.wav', '/hooks/s3-fetch');
    await (gateway as RadosgwGateway).kill('SIGKILL');
    await queue.resume();

    await waitFor('a fetch that failed with STORAGE_UNAVAILABLE and is retried', () => retriedRun(id, 'STORAGE_UNAVAILABLE', '/audio/source.'), {
      timeoutMs: 15_000,
      intervalMs: 50,
      context: stack.context,
    });
    const [healthz, readyz, record] = await Promise.all([stack.api.call('/healthz'), stack.api.call('/readyz'), stack.api.call(`/v1/jobs/${id}`)]);
    expect(healthz.status).toBe(200);
    expect(`${readyz.status} ${readyz.code}`).toBe('503 STORAGE_UNAVAILABLE');
    expect(record.status, 'a job record needs only Redis').toBe(200);

    const restartMs = await gatewayRestarted();
    const backAt = Date.now();
    const job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: 30_000 });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    figure('case 4 fetch: gateway restart (ms)', restartMs);
    figure('case 4 fetch: S3 back → job completed (ms)', Date.parse(job.finishedAt ?? '') - backAt);
    await stack.expectSettledOnce();
  });

  it("the worker's result write fails while S3 is down: retried, completed once S3 is back", async () => {
    const id = await upload('long-45s.wav', '/hooks/s3-write');
    // Past the fetch: the audio is in memory, the transcription runs for a couple of seconds.
    await waitFor(
      'the job to be transcribing',
      async () => {
        const job = await stack.api.getJob(id);
        return job.status === 'processing' && job.phase !== null && job.phase !== 'fetching';
      },
      { timeoutMs: 20_000, intervalMs: 25, context: stack.context },
    );
    await (gateway as RadosgwGateway).kill('SIGKILL');
    await waitFor('a result write that failed with STORAGE_UNAVAILABLE and is retried', () => retriedRun(id, 'STORAGE_UNAVAILABLE', '/results/transcript.'), {
      timeoutMs: 20_000,
      intervalMs: 50,
      context: stack.context,
    });
    await gatewayRestarted();
    const backAt = Date.now();
    const job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: 30_000 });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    figure('case 4 write: S3 back → job completed (ms)', Date.parse(job.finishedAt ?? '') - backAt);
    await stack.expectSettledOnce();
  });

  it('S3 down during and between uploads: 503 STORAGE_UNAVAILABLE fast, nothing half-created, uploads accepted again after', async () => {
    const done = stack.api.accepted[0] ?? ''; // a completed job from the cases above
    const downBefore = stack.api.accepted.length;

    const during = await streamedUpload('en-zh-silence.wav', '/hooks/s3-upload', async () => {
      await (gateway as RadosgwGateway).kill('SIGKILL');
    });
    const refused: Record<string, ApiAnswer> = { 'upload (S3 died during it)': { ...during, elapsedMs: during.afterBodyMs } };
    refused['upload (S3 down)'] = await stack.api.submitFile(stack.audioFile('en.wav'), uploadFields('/hooks/s3-upload'));
    refused['result download'] = await stack.api.call(`/v1/jobs/${done}/result?format=json`);
    const record = await stack.api.call(`/v1/jobs/${done}`);
    const [healthz, readyz] = await Promise.all([stack.api.call('/healthz'), stack.api.call('/readyz')]);

    const restartMs = await gatewayRestarted();
    const after = await stack.api.submitFile(stack.audioFile('en.wav'), uploadFields('/hooks/s3-upload'));
    for (const [what, answer] of Object.entries(refused)) figure(`case 4 ${what}`, describeAnswer(answer));
    figure('case 4 upload after restart', describeAnswer(after));
    figure('case 4 gateway restart (ms)', restartMs);

    expect(Object.entries(refused).map(([what, a]) => `${what}: ${a.status} ${a.code}`)).toEqual(
      Object.keys(refused).map((what) => `${what}: 503 STORAGE_UNAVAILABLE`),
    );
    expect(Object.entries(refused).filter(([, a]) => a.elapsedMs >= FAST_FAILURE_MS).map(([what, a]) => `${what}: ${a.elapsedMs} ms`)).toEqual([]);
    expect(record.status, 'a job record needs only Redis').toBe(200);
    expect(healthz.status).toBe(200);
    expect(`${readyz.status} ${readyz.code}`).toBe('503 STORAGE_UNAVAILABLE');
    expect(after.status, JSON.stringify(after.body)).toBe(202);
    expect(stack.api.accepted.length, 'only the upload after the restart was accepted').toBe(downBefore + 1);

    await stack.expectSettledOnce();
    expect((await stack.api.listAllJobs()).map((j) => j.id).sort()).toEqual([...stack.api.accepted].sort());
    expect(await jobsWithObjects(), 'objects only under accepted jobs').toEqual([...stack.api.accepted].sort());
  });

  it('S3 frozen (SIGSTOP): API answers 503 STORAGE_UNAVAILABLE within its deadlines, a fetch that meets the freeze is retried', async () => {
    const gw = gateway as RadosgwGateway;
    const done = stack.api.accepted[0] ?? '';
    const queue = stack.queue();
    await queue.pause();
    const id = await upload('en.wav', '/hooks/s3-frozen');
    gw.freeze();
    let thawed = false;
    let uploadRequest: Promise<ApiAnswer> | undefined;
    try {
      await queue.resume();
      uploadRequest = stack.api.submitFile(stack.audioFile('en.wav'), uploadFields('/hooks/s3-frozen'));
      const uploading = within(uploadRequest, 8000);
      const [result, readyz, healthz] = await Promise.all([
        within(stack.api.call(`/v1/jobs/${done}/result?format=json`)),
        within(stack.api.call('/readyz')),
        within(stack.api.call('/healthz')),
      ]);
      // The job's first S3 request is its fetch; the quick-request deadline turns the silence into a retryable failure.
      await waitFor('a fetch that met the freeze and is retried', () => retriedRun(id, 'STORAGE_UNAVAILABLE'), {
        timeoutMs: 15_000,
        intervalMs: 50,
        context: stack.context,
      });
      const uploaded = await uploading;
      gw.thaw();
      thawed = true;
      figure('case 4 frozen: result download', describeAnswer(result));
      figure('case 4 frozen: readyz', describeAnswer(readyz));
      figure('case 4 frozen: upload', describeAnswer(uploaded));

      // Soft: whatever the API answered, the job and the invariant below are still checked.
      expect.soft(healthz.status).toBe(200);
      for (const [what, answer] of [['result download', result], ['readyz', readyz], ['upload', uploaded]] as const) {
        expect.soft(`${what}: ${answer.status} ${answer.code}`).toBe(`${what}: 503 STORAGE_UNAVAILABLE`);
        expect.soft(answer.elapsedMs, `${what} answered within ${FROZEN_FAILURE_MS} ms`).toBeLessThan(FROZEN_FAILURE_MS);
      }
    } finally {
      if (!thawed) gw.thaw();
    }
    const job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: 30_000 });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    // An upload that hung on the frozen server goes on once it thaws; whatever it ends with, let it end first.
    if (uploadRequest) figure('case 4 frozen: upload, in the end', describeAnswer(await within(uploadRequest, 15_000)));
    await stack.expectSettledOnce();
  });
});
