/**
 * Earshot end to end: the API (`apps/api/dist/main.js`) and the worker (`apps/worker/dist/main.js`)
 * run as child processes against real Redis and real S3 (radosgw, signature-checking), the worker on
 * the tiny generated model. A local receiver verifies every webhook with the Standard Webhooks
 * reference verifier; a local HTTP server plays the audio host for `url` sources.
 *
 * Isolation (support/earshot-stack.ts): this file's run has its own queue names, BullMQ prefix,
 * Redis key prefix, bucket and storage prefix, all removed in afterAll, and it kills every child it
 * started.
 */
import { readFile } from 'node:fs/promises';
import { ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAGGED_TINY_MODEL_DIR } from './setup/paths.js';
import type { Transcript } from '@earshot/core/results/transcript';
import type { Child } from './support/child-processes.js';
import type { JobResource, SubmitAnswer } from './support/earshot-api-client.js';
import { createEarshotStack, type EarshotStack } from './support/earshot-stack.js';
import { sleep, waitFor } from './support/wait-for.js';
import { deliveriesFor, type WebhookDelivery } from './support/webhook-receiver.js';

const JOB_TIMEOUT_MS = 90_000;

/** Every child, over the stack's defaults (which are tuned for the fault suite). */
const E2E_ENV = {
  // Short webhook retries and job backoff keep the test fast.
  EARSHOT_WEBHOOK_SCHEDULE_MS: '0,300,600',
  EARSHOT_JOB_ATTEMPTS: '2',
  EARSHOT_JOB_BACKOFF_MS: '200',
  // The service's own per-attempt webhook timeout.
  EARSHOT_WEBHOOK_TIMEOUT_MS: undefined,
};

/** The worker, over the stack's worker defaults. */
const WORKER_ENV = {
  // Tagged slots: real language/emotion/event tags (en, NEUTRAL, Speech), so alert rules can match.
  EARSHOT_MODEL_DIR: TAGGED_TINY_MODEL_DIR,
  EARSHOT_WORKER_CONCURRENCY: '4',
  // Short lock and stalled-check interval: the SIGKILL test recovers its job in seconds.
  EARSHOT_WORKER_LOCK_DURATION_MS: '5000',
  EARSHOT_WORKER_STALLED_INTERVAL_MS: '2000',
};

let stack: EarshotStack;
let worker: Child;

function startWorker(): Promise<Child> {
  return stack.startWorker(WORKER_ENV);
}

beforeAll(async () => {
  stack = await createEarshotStack({ name: 'e2e', tenant: 'e2e', env: E2E_ENV });
  [, worker] = await Promise.all([stack.startApi(), startWorker()]);
});

afterAll(async () => {
  await stack?.close();
});

// ---------- helpers ----------

/** The id of a 202. */
function idOf(answer: SubmitAnswer): string {
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.id ?? '';
}

function waitLong<T>(what: string, probe: () => Promise<T | undefined | null | false>): Promise<T> {
  return waitFor(what, probe, { timeoutMs: JOB_TIMEOUT_MS, context: stack.context });
}

function waitForStatus(id: string, statuses: JobResource['status'][], timeoutMs = JOB_TIMEOUT_MS): Promise<JobResource> {
  return stack.api.waitForStatus(id, statuses, { timeoutMs });
}

function hooksOf(jobId: string, type?: string): WebhookDelivery[] {
  return deliveriesFor(stack.receiver.deliveries, jobId, type);
}

function waitForWebhook(jobId: string, type: string): Promise<WebhookDelivery> {
  return waitLong(`${type} webhook of ${jobId}`, async () => hooksOf(jobId, type)[0]);
}

/** Every format of a completed job's result, checked for shape. */
async function checkResults(id: string): Promise<void> {
  const fetchFormat = async (format: string): Promise<string> => {
    const answer = await stack.api.call(`/v1/jobs/${id}/result?format=${format}`);
    expect(answer.status, format).toBe(200);
    return answer.text;
  };
  const json = JSON.parse(await fetchFormat('json')) as { model: { synthetic: boolean }; segments: { text: string }[]; notice?: string };
  expect(json.model.synthetic).toBe(true);
  expect(json.notice).toMatch(/not a transcription/);
  expect(json.segments.length).toBeGreaterThan(0);
  const cues = json.segments.filter((s) => s.text.length > 0).length;

  const srt = (await fetchFormat('srt')).trim();
  const srtBlocks = srt === '' ? [] : srt.split(/\r?\n\r?\n/);
  for (const block of srtBlocks) expect(block).toMatch(/^\d+\r?\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\r?\n.+/);
  // A long segment may become several cues; an empty one none.
  expect(srtBlocks.length).toBeGreaterThanOrEqual(cues);

  const vtt = await fetchFormat('vtt');
  expect(vtt.startsWith('WEBVTT')).toBe(true);
  const vttCues = vtt
    .split(/\r?\n\r?\n/)
    .slice(1)
    .filter((b) => b.trim() !== '' && !b.startsWith('NOTE'));
  for (const cue of vttCues) expect(cue).toMatch(/\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}/);
  expect(vttCues.length).toBe(srtBlocks.length);

  await fetchFormat('txt');
  await fetchFormat('rich');
}

describe('Earshot end to end (API + worker processes, Redis, S3)', () => {
  let uploadedJobId = '';

  it('transcribes a multipart upload: every result format, a verified job.completed webhook', async () => {
    const id = idOf(
      await stack.api.submitFile(stack.audioFile('en.wav'), {
        'webhook.url': stack.hookUrl('/hooks/upload'),
        metadata: JSON.stringify({ ticket: 'T-1' }),
        language: 'en',
      }),
    );
    uploadedJobId = id;
    const job = await waitForStatus(id, ['completed', 'failed']);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.result?.synthetic).toBe(true);
    await checkResults(id);

    const hook = await waitForWebhook(id, 'job.completed');
    expect(hook.verified).toBe(true);
    expect(hook.path).toBe('/hooks/upload');
    expect(hook.payload.data).toMatchObject({ status: 'completed', metadata: { ticket: 'T-1' } });
    expect((hook.payload.data.links as Record<string, string>).self).toBe(`${stack.api.baseUrl}/v1/jobs/${id}`);
  });

  it('transcribes a presigned upload sent straight to S3', async () => {
    const { bucket } = stack;
    const bytes = await readFile(stack.audioFile('zh.wav'));
    const res = await stack.api.call('/v1/uploads', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ filename: 'zh.wav', contentType: 'audio/wav', sizeBytes: bytes.length }),
    });
    expect(res.status).toBe(201);
    const ticket = res.body as { uploadId: string; url: string; headers: Record<string, string> };
    expect(ticket.url.startsWith(`${bucket.endpoint}/${bucket.bucket}/`)).toBe(true); // presigned S3, not the API
    const put = await fetch(ticket.url, { method: 'PUT', headers: ticket.headers, body: bytes });
    expect(put.status).toBe(200);
    const id = idOf(await stack.api.submitJson({ audio: { uploadId: ticket.uploadId } }));
    expect((await waitForStatus(id, ['completed', 'failed'])).status).toBe('completed');
    await checkResults(id);
  });

  it('transcribes an s3:// object of the caller (MP3, decoded by ffmpeg)', async () => {
    const { bucket } = stack;
    const key = `inputs-${stack.names.run}/en-zh-silence.mp3`;
    await bucket.client.send(new PutObjectCommand({ Bucket: bucket.bucket, Key: key, Body: await readFile(stack.audioFile('en-zh-silence.mp3')) }));
    const id = idOf(await stack.api.submitJson({ audio: { s3Uri: `s3://${bucket.bucket}/${key}` } }));
    const job = await waitForStatus(id, ['completed', 'failed']);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    await checkResults(id);
  });

  it('transcribes audio the worker downloads from a URL', async () => {
    const id = idOf(await stack.api.submitJson({ audio: { url: stack.audio.urlOf('en.wav') }, webhook: { url: stack.hookUrl('/hooks/url') } }));
    expect((await waitForStatus(id, ['completed', 'failed'])).status).toBe('completed');
    await checkResults(id);
    expect((await waitForWebhook(id, 'job.completed')).verified).toBe(true);
  });

  it('fails corrupt audio with its code and a verified job.failed webhook', async () => {
    const id = idOf(await stack.api.submitFile(stack.audioFile('corrupt.mp3'), { 'webhook.url': stack.hookUrl('/hooks/corrupt') }));
    const job = await waitForStatus(id, ['completed', 'failed']);
    expect(job.status).toBe('failed');
    expect(job.error?.code).toMatch(/^AUDIO_(CORRUPT|UNSUPPORTED_FORMAT)$/);
    const hook = await waitForWebhook(id, 'job.failed');
    expect(hook.verified).toBe(true);
    expect(hook.payload.data).toMatchObject({ status: 'failed', error: { code: job.error?.code } });
    expect((await stack.api.call(`/v1/jobs/${id}/result`)).code).toBe('RESULT_NOT_AVAILABLE');
  });

  it('retries a webhook the receiver answers 500: the same webhook-id arrives twice, attempts are listed', async () => {
    stack.receiver.script('/hooks/flaky', [500]);
    const id = idOf(await stack.api.submitJson({ audio: { url: stack.audio.urlOf('en.wav') }, webhook: { url: stack.hookUrl('/hooks/flaky') } }));
    await waitForStatus(id, ['completed']);
    await waitLong('the retried delivery', async () => hooksOf(id, 'job.completed').length >= 2);
    const [first, second] = hooksOf(id, 'job.completed');
    expect(first?.verified && second?.verified).toBe(true);
    expect(second?.id).toBe(first?.id);
    const attempts = await waitLong('two recorded attempts', async () => {
      const recorded = await stack.api.webhookAttempts(id);
      return recorded.length >= 2 ? recorded : null;
    });
    expect(attempts.map((a) => [a.statusCode, a.outcome])).toEqual([
      [500, 'retrying'],
      [200, 'delivered'],
    ]);
    expect(attempts[0]?.eventId).toBe(first?.id);
  });

  it('replays an Idempotency-Key with the same body and refuses it with another (409)', async () => {
    const key = `idem-${stack.names.run}`;
    const body = { audio: { url: stack.audio.urlOf('zh.wav') }, language: 'zh' };
    const first = idOf(await stack.api.submitJson(body, { 'idempotency-key': key }));
    const replay = await stack.api.submitJson(body, { 'idempotency-key': key });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect((replay.body as { id: string }).id).toBe(first);
    const other = await stack.api.submitJson({ ...body, language: 'en' }, { 'idempotency-key': key });
    expect(other.status).toBe(409);
    expect(other.code).toBe('IDEMPOTENCY_KEY_REUSED');
    await waitForStatus(first, ['completed']);
  });

  it('cancels a queued job (twice: same answer), then purges it', async () => {
    const queue = stack.queue();
    await queue.pause(); // holds the job in the queue however fast the worker is
    try {
      const id = idOf(await stack.api.submitJson({ audio: { url: stack.audio.urlOf('en.wav') } }));
      const canceled = await stack.api.call(`/v1/jobs/${id}`, { method: 'DELETE' });
      expect(canceled.status).toBe(202);
      expect((canceled.body as JobResource).status).toBe('canceled');
      expect(await queue.getJob(id)).toBeUndefined();
      expect((await stack.api.call(`/v1/jobs/${id}`, { method: 'DELETE' })).status).toBe(202); // a repeated cancel
      expect((await stack.api.call(`/v1/jobs/${id}?purge=true`, { method: 'DELETE' })).status).toBe(204);
      expect((await stack.api.call(`/v1/jobs/${id}`)).status).toBe(404);
    } finally {
      await queue.resume();
    }
  });

  it('cancels a job while the worker processes it; the worker stops and stores no result', async () => {
    const id = idOf(await stack.api.submitJson({ audio: { url: stack.audio.urlOf('en-60s.wav') } }));
    await waitForStatus(id, ['processing', 'completed']);
    const res = await stack.api.call(`/v1/jobs/${id}`, { method: 'DELETE' });
    if (res.status === 409) return; // finished before the cancel landed (a very fast machine): nothing to check
    expect(res.status).toBe(202);
    await sleep(3000); // longer than the worker's cancel poll + a batch
    const job = await stack.api.getJob(id);
    expect(job.status).toBe('canceled');
    expect(job.result).toBeNull();
    const listed = await stack.bucket.client.send(
      new ListObjectsV2Command({ Bucket: stack.bucket.bucket, Prefix: `${stack.names.storagePrefix}tenants/${stack.tenant}/jobs/${id}/results/` }),
    );
    expect(listed.KeyCount ?? 0).toBe(0);
  });

  it('lists jobs with a status filter and a cursor, and deletes a finished job with its stored objects', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = `status=completed&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = (await stack.api.call(`/v1/jobs?${query}`)).body as { data: JobResource[]; nextCursor: string | null };
      expect(page.data.length).toBeLessThanOrEqual(2);
      for (const job of page.data) expect(job.status).toBe('completed');
      seen.push(...page.data.map((j) => j.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain(uploadedJobId);

    const { bucket } = stack;
    const prefix = `${stack.names.storagePrefix}tenants/${stack.tenant}/jobs/${uploadedJobId}/`;
    const before = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix }));
    expect(before.KeyCount).toBeGreaterThanOrEqual(6); // the audio and five result formats
    expect((await stack.api.call(`/v1/jobs/${uploadedJobId}?purge=true`, { method: 'DELETE' })).status).toBe(204);
    expect((await stack.api.call(`/v1/jobs/${uploadedJobId}`)).status).toBe(404);
    const after = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.bucket, Prefix: prefix }));
    expect(after.KeyCount ?? 0).toBe(0);
  });

  it('raises a verified job.alert webhook and lists the alerts when a rule matches', async () => {
    // The tagged tiny model labels every segment en / NEUTRAL / Speech.
    const id = idOf(
      await stack.api.submitJson({
        audio: { url: stack.audio.urlOf('en-zh-silence.wav') },
        alerts: [{ event: 'Speech', minCount: 2 }, { emotion: 'NEUTRAL', minSeconds: 1 }, { emotion: 'ANGRY', minSeconds: 1 }],
        webhook: { url: stack.hookUrl('/hooks/alerts') },
      }),
    );
    const job = await waitForStatus(id, ['completed']);
    expect(job.alerts.map((a) => a.label)).toEqual(['Speech', 'NEUTRAL']);
    const alert = await waitForWebhook(id, 'job.alert');
    expect(alert.verified).toBe(true);
    expect((alert.payload.data.alerts as { kind: string }[]).map((a) => a.kind)).toEqual(['event.speech', 'emotion.neutral']);
    await waitForWebhook(id, 'job.completed');
    const bad = await stack.api.submitJson({ audio: { url: stack.audio.urlOf('en.wav') }, alerts: [{ event: 'Fireworks' }] });
    expect(bad.status).toBe(400);
  });

  it('transcribes a call channel by channel with every request option reaching the worker, and alerts on one side', async () => {
    const id = idOf(
      await stack.api.submitJson({
        audio: { url: stack.audio.urlOf('call-stereo.wav') },
        channels: 'separate',
        channelNames: ['agent', 'customer'],
        languages: ['en', 'zh'],
        dropNoSpeech: true,
        timelineMinConfidence: 0.1,
        alerts: [{ emotion: 'NEUTRAL', channel: 1, name: 'customer-neutral' }],
        webhook: { url: stack.hookUrl('/hooks/channels') },
      }),
    );
    const job = await waitForStatus(id, ['completed', 'failed']);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    const transcript = JSON.parse((await stack.api.call(`/v1/jobs/${id}/result?format=json`)).text) as Transcript;
    expect(transcript.options).toMatchObject({
      channels: 'separate',
      channelNames: ['agent', 'customer'],
      languages: ['en', 'zh'],
      dropNoSpeech: true,
      timelineMinConfidence: 0.1,
    });
    expect(transcript.channels?.map((c) => c.name)).toEqual(['agent', 'customer']);
    // The job resource carries each side's summary, so a client needs not fetch the transcript.
    expect(job.result?.channels).toEqual(
      transcript.channels!.map(({ channel, name, silent, language, summary }) => ({ channel, name, silent, language, summary })),
    );
    expect(new Set(transcript.segments.map((s) => s.channel))).toEqual(new Set([0, 1]));
    const txt = (await stack.api.call(`/v1/jobs/${id}/result?format=txt`)).text.split('\n').filter((l) => l !== '' && !l.startsWith('['));
    expect(txt.length).toBeGreaterThan(0);
    for (const line of txt) expect(line).toMatch(/^(agent|customer): /);
    // The tagged tiny model labels every segment NEUTRAL: the rule on the customer's side matches with that side's seconds.
    const customerS = transcript.channels![1]!.summary.emotionSeconds.NEUTRAL ?? 0;
    expect(job.alerts).toEqual([expect.objectContaining({ rule: 'customer-neutral', channel: 1, value: customerS })]);
    const alert = await waitForWebhook(id, 'job.alert');
    expect(alert.verified).toBe(true);
    expect((alert.payload.data.alerts as { details: { channel?: number } }[])[0]?.details.channel).toBe(1);
  });

  it('completes several jobs submitted at once (one worker, concurrent jobs share its engine)', async () => {
    const files = ['en.wav', 'zh.wav', 'en-zh-silence.wav', 'en.wav', 'zh.wav', 'stereo-48k.wav'];
    const ids = await Promise.all(files.map(async (f) => idOf(await stack.api.submitJson({ audio: { url: stack.audio.urlOf(f) } }))));
    const jobs = await Promise.all(ids.map((id) => waitForStatus(id, ['completed', 'failed'])));
    expect(jobs.map((j) => j.status)).toEqual(files.map(() => 'completed'));
  });

  it('recovers a job whose worker was killed with SIGKILL mid-job (stalled-job recovery by a new worker)', async () => {
    const id = idOf(await stack.api.submitJson({ audio: { url: stack.audio.urlOf('en-60s.wav') }, webhook: { url: stack.hookUrl('/hooks/stalled') } }));
    await waitForStatus(id, ['processing'], 30_000);
    worker.process.kill('SIGKILL');
    await worker.exited;
    expect((await stack.api.getJob(id)).status).toBe('processing'); // nobody finished it

    worker = await startWorker();
    const job = await waitForStatus(id, ['completed', 'failed'], 120_000);
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    expect(job.attempts).toBeGreaterThanOrEqual(2);
    await checkResults(id);
    await waitForWebhook(id, 'job.completed');
    expect(new Set(hooksOf(id, 'job.completed').map((d) => d.id)).size).toBe(1);
  });
});
