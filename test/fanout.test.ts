/**
 * Fan-out across worker processes (issue 7 §2): a long file split by one worker, its chunks
 * transcribed by two, merged into one transcript that matches a whole-file run.
 *
 * The file is ~31 minutes of generated speech with pauses (en-60s.wav and long-45s.wav from
 * .cache/test-audio, 18 times each, concatenated with sox in the run's temp dir), fanned out with
 * the defaults (EARSHOT_FANOUT_MIN_S=600, EARSHOT_FANOUT_CHUNK_S=300: 6–7 chunks). Order: the same
 * file on one worker with fan-out off (EARSHOT_FANOUT_MIN_S=0)
 * as the reference, then on two workers with fan-out on, then a cancel while chunks run.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Child } from './support/child-processes.js';
import { logEntries } from './support/child-logs.js';
import { createEarshotStack, type EarshotStack } from './support/earshot-stack.js';
import { waitFor } from './support/wait-for.js';
import { deliveriesFor } from './support/webhook-receiver.js';

const run = promisify(execFile);
const JOB_TIMEOUT_MS = 240_000;
const FANOUT_ENV = { EARSHOT_FANOUT_MIN_S: '600', EARSHOT_FANOUT_CHUNK_S: '300' };

interface Token {
  id: number;
  startS: number;
}
interface Segment {
  startS: number;
  endS: number;
  text: string;
  rawText: string;
  tokens: Token[];
  speechProbability: { mean: number; max: number } | null;
  noSpeech: boolean;
}
interface TranscriptJson {
  audio: { durationS: number };
  segments: Segment[];
  text: string;
  richText: string;
  summary: unknown;
  emotionTimeline: unknown;
  eventTimeline: unknown;
  timings: Record<string, number>;
}

let stack: EarshotStack;
let longFile: string;

beforeAll(async () => {
  stack = await createEarshotStack({ name: 'fanout', tenant: 'fanout', env: { EARSHOT_JOB_ATTEMPTS: '2', EARSHOT_JOB_BACKOFF_MS: '200' } });
  longFile = join(stack.tmpDir, 'long-31min.wav');
  const parts = Array.from({ length: 18 }, () => [stack.audioFile('en-60s.wav'), stack.audioFile('long-45s.wav')]).flat();
  await Promise.all([run('sox', [...parts, longFile]), stack.startApi()]);
});

afterAll(async () => {
  await stack?.close();
});

async function submit(path: string): Promise<string> {
  const answer = await stack.api.submitFile(path, { 'webhook.url': stack.hookUrl('/hooks/fanout') });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  return answer.id ?? '';
}

async function transcriptOf(id: string): Promise<TranscriptJson> {
  const answer = await stack.api.call(`/v1/jobs/${id}/result?format=json`);
  expect(answer.status).toBe(200);
  return answer.body as TranscriptJson;
}

async function chunkObjects(id: string): Promise<string[]> {
  const prefix = `${stack.names.storagePrefix}tenants/${stack.tenant}/jobs/${id}/chunks/`;
  const listed = await stack.bucket.client.send(new ListObjectsV2Command({ Bucket: stack.bucket.bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((o) => o.Key ?? '');
}

/** The chunk indexes `worker` logged as transcribed for `jobId`. */
function chunksDoneBy(worker: Child, jobId: string): number[] {
  return logEntries(worker, 'chunk transcribed').flatMap((e) => (e.jobId === jobId && typeof e.chunk === 'number' ? [e.chunk] : []));
}

describe('fan-out across worker processes', () => {
  let reference: TranscriptJson;
  let workers: Child[] = [];

  it('a whole-file run on one worker with fan-out off (the reference)', async () => {
    const single = await stack.startWorker({ EARSHOT_FANOUT_MIN_S: '0' }, 'single');
    const id = await submit(longFile);
    const job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: JOB_TIMEOUT_MS });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');
    reference = await transcriptOf(id);
    expect(reference.audio.durationS).toBeGreaterThan(1800);
    expect(reference.segments.length).toBeGreaterThan(50);
    expect(logEntries(single, 'job split into chunks')).toEqual([]);
    await stack.group.stop(single);
  });

  it('splits the file across two workers and merges the same segments and tokens', async () => {
    workers = await Promise.all([stack.startWorker(FANOUT_ENV, 'fan-a'), stack.startWorker(FANOUT_ENV, 'fan-b')]);
    const id = await submit(longFile);
    const job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: JOB_TIMEOUT_MS });
    expect(job.status, JSON.stringify(job.error)).toBe('completed');

    const resource = (await stack.api.call(`/v1/jobs/${id}`)).body as { chunks: { total: number; done: number } | null; progress: number };
    const total = resource.chunks?.total ?? 0;
    expect(total).toBeGreaterThanOrEqual(6);
    expect(resource).toMatchObject({ chunks: { total, done: total }, progress: 1 });

    const merged = await transcriptOf(id);
    expect(merged.segments.length).toBe(reference.segments.length);
    merged.segments.forEach((segment, i) => {
      const want = reference.segments[i]!;
      expect(Math.abs(segment.startS - want.startS), `segment ${i} start`).toBeLessThan(0.001);
      expect(Math.abs(segment.endS - want.endS), `segment ${i} end`).toBeLessThan(0.001);
      expect(segment.rawText, `segment ${i} raw text`).toBe(want.rawText);
      expect(segment.tokens.map((t) => t.id), `segment ${i} tokens`).toEqual(want.tokens.map((t) => t.id));
      segment.tokens.forEach((t, k) => expect(Math.abs(t.startS - want.tokens[k]!.startS)).toBeLessThan(0.001));
      // measured once on the whole file by the splitter, carried to the chunk in the manifest
      expect(segment.speechProbability, `segment ${i} speech probability`).not.toBeNull();
      expect(segment.speechProbability, `segment ${i} speech probability`).toEqual(want.speechProbability);
      expect(segment.noSpeech, `segment ${i} noSpeech`).toBe(want.noSpeech);
    });
    for (const field of ['audio', 'text', 'richText', 'summary', 'emotionTimeline', 'eventTimeline'] as const) {
      expect(merged[field], field).toEqual(reference[field]);
    }
    expect(Object.keys(merged.timings).sort()).toEqual(Object.keys(reference.timings).sort());

    // The job's event stream has every chunk's segments, in order within each chunk, with times in the file.
    const events = await fetch(`${stack.api.baseUrl}/v1/jobs/${id}/events`, { headers: { authorization: `Bearer ${stack.api.apiKey}` } });
    const segmentEvents = (await events.text())
      .split('\n\n')
      .filter((block) => block.includes('event: segment'))
      .map((block) => JSON.parse(block.split('\n').find((l) => l.startsWith('data: '))!.slice(6)) as { chunk: number; index: number; startS: number; text: string });
    const byChunk = [...segmentEvents].sort((x, y) => x.chunk - y.chunk || x.index - y.index);
    for (let c = 0; c < total; c++) {
      const indexes = segmentEvents.filter((e) => e.chunk === c).map((e) => e.index);
      expect(indexes, `chunk ${c} segment events`).toEqual(indexes.map((_, i) => i));
    }
    expect(byChunk.map((e) => [e.startS, e.text])).toEqual(merged.segments.map((s) => [s.startS, s.text]));

    // Both workers transcribed chunks; every chunk exactly once (no failures to retry here).
    const [a, b] = workers.map((w) => chunksDoneBy(w, id));
    expect(a?.length, 'chunks of worker a').toBeGreaterThan(0);
    expect(b?.length, 'chunks of worker b').toBeGreaterThan(0);
    expect([...(a ?? []), ...(b ?? [])].sort((x, y) => x - y)).toEqual(Array.from({ length: total }, (_, i) => i));

    expect(await chunkObjects(id)).toEqual([]);
    await waitFor('the job.completed webhook', () => deliveriesFor(stack.receiver.deliveries, id, 'job.completed').length > 0, { timeoutMs: 30_000 });
  });

  it('a cancel while chunks run stops the chunks not started and deletes the chunk objects', async () => {
    const id = await submit(longFile);
    // Canceled as soon as the split is on the record.
    await waitFor('the split', async () => ((await stack.api.call(`/v1/jobs/${id}`)).body as { chunks: unknown }).chunks, {
      timeoutMs: JOB_TIMEOUT_MS,
      intervalMs: 50,
      context: stack.context,
    });
    const cancel = await stack.api.call(`/v1/jobs/${id}`, { method: 'DELETE' });
    expect(cancel.status).toBe(202);
    await waitFor('the chunk objects to go', async () => (await chunkObjects(id)).length === 0, { timeoutMs: 30_000, context: stack.context });
    const job = await stack.api.getJob(id);
    expect(job.status).toBe('canceled');
    const skipped = workers.flatMap((w) => logEntries(w, 'chunk skipped: its job is not processing').filter((e) => e.jobId === id));
    const transcribed = workers.flatMap((w) => chunksDoneBy(w, id));
    const total = ((await stack.api.call(`/v1/jobs/${id}`)).body as { chunks: { total: number } }).chunks.total;
    expect(skipped.length, 'chunks that ended at once').toBeGreaterThan(0);
    expect(transcribed.length, 'chunks transcribed after all').toBeLessThan(total);
    expect((await stack.api.call(`/v1/jobs/${id}/result`)).code).toBe('RESULT_NOT_AVAILABLE');
  });

  it('settles every job once: one job.completed per completed job, none for the canceled one', async () => {
    await stack.expectSettledOnce({ timeoutMs: 30_000 });
  });
});
