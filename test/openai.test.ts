/**
 * The OpenAI-compatible endpoint, the job events stream and the OpenAPI description, against one
 * real stack (API + one worker with the tiny tagged model, S3 store, real Redis):
 * - `POST /v1/audio/transcriptions` through the official `openai` SDK, for every response format,
 *   word timestamps, streaming, errors, and `GET /v1/models`;
 * - `GET /v1/jobs/:id/events`: order, replay, resume with Last-Event-ID, the final event, tenancy;
 * - an in-process app (own prefix and queue, no worker) for the sync timeout and the check that
 *   every route the express app registers is described in /openapi.json.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import OpenAI from 'openai';
import { chromium } from 'playwright-core';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '@earshot/api/app';
import { EVENTS_CONNECTION_NAME } from '@earshot/api/events/follow-job-events';
import { loadHttpConfig } from '@earshot/core/config/http-config';
import { loadServiceConfig } from '@earshot/core/config/service-config';
import { JobStore } from '@earshot/core/jobs/job-store';
import { createTranscriptionQueue } from '@earshot/core/queue/transcription-queue';
import { SYNTHETIC_LABEL } from '@earshot/core/results/formats/format-transcript';
import type { Transcript } from '@earshot/core/results/transcript';
import { FsBlobStore } from '@earshot/core/storage/fs-blob-store';
import { createRedisWebhookAttemptsStore } from '@earshot/core/webhooks/attempts-store';
import { TAGGED_TINY_MODEL_DIR } from './setup/paths.js';
import { createEarshotStack, type EarshotStack } from './support/earshot-stack.js';
import { deleteKeys } from './support/redis-keys.js';
import { waitFor } from './support/wait-for.js';
import { SHARED_REDIS_URL } from './support/run-isolation.js';

const OTHER_KEY = `openai-other-${randomBytes(8).toString('hex')}`;
let stack: EarshotStack;
let client: OpenAI;

beforeAll(async () => {
  stack = await createEarshotStack({ name: 'openai', tenant: 'openai', env: { EARSHOT_JOB_ATTEMPTS: '2' } });
  await Promise.all([
    stack.startApi({ EARSHOT_API_KEYS: `${stack.api.apiKey}:openai,${OTHER_KEY}:other` }),
    stack.startWorker({ EARSHOT_MODEL_DIR: TAGGED_TINY_MODEL_DIR }),
  ]);
  client = new OpenAI({ apiKey: stack.api.apiKey, baseURL: `${stack.api.baseUrl}/v1`, maxRetries: 0, timeout: 120_000 });
});

afterAll(async () => {
  await stack?.close();
});

// ---------- helpers ----------

const file = (name: string) => createReadStream(stack.audioFile(name));

async function resultOf(jobId: string, format: string): Promise<string> {
  const res = await fetch(`${stack.api.baseUrl}/v1/jobs/${jobId}/result?format=${format}`, { headers: { authorization: `Bearer ${stack.api.apiKey}` } });
  expect(res.status, stack.context()).toBe(200);
  return res.text();
}

async function transcriptOf(jobId: string): Promise<Transcript> {
  return JSON.parse(await resultOf(jobId, 'json')) as Transcript;
}

interface SseEvent {
  id: string | null;
  event: string | null;
  data: Record<string, unknown>;
}

/** Reads a whole event stream (until the server ends it), parsed; comments are dropped. */
async function readEvents(jobId: string, headers: Record<string, string> = {}, key = stack.api.apiKey): Promise<{ status: number; events: SseEvent[]; type: string | null }> {
  const res = await fetch(`${stack.api.baseUrl}/v1/jobs/${jobId}/events`, {
    headers: { authorization: `Bearer ${key}`, ...headers },
    signal: AbortSignal.timeout(90_000),
  });
  const text = await res.text();
  const events: SseEvent[] = [];
  if (res.status === 200) {
    for (const block of text.split('\n\n')) {
      const lines = block.split('\n').filter((l) => l !== '' && !l.startsWith(':'));
      if (lines.length === 0) continue;
      const field = (name: string): string | null => lines.find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
      events.push({ id: field('id'), event: field('event'), data: JSON.parse(field('data') ?? 'null') as Record<string, unknown> });
    }
  }
  return { status: res.status, events, type: res.headers.get('content-type') };
}

interface ParsedCue {
  startS: number;
  endS: number;
  /** The cue's text as the browser renders it (markup removed, entities decoded). */
  text: string;
  /** The cue timestamps the parser found in the cue text, in seconds. */
  timestamps: number[];
}

/** Evaluated in the page (this file is compiled without DOM types): loads /cues.vtt as a track, reads its cues. */
const READ_TRACK = `(async () => {
  const video = document.querySelector('video');
  const track = document.createElement('track');
  track.kind = 'subtitles';
  track.src = '/cues.vtt';
  track.default = true;
  const loaded = new Promise((resolve, reject) => {
    track.addEventListener('load', resolve);
    track.addEventListener('error', () => reject(new Error('the track did not load')));
  });
  video.append(track);
  track.track.mode = 'hidden';
  await loaded;
  const seconds = (t) => {
    const [h, m, s] = t.split(':').map(Number);
    return h * 3600 + m * 60 + s;
  };
  return [...track.track.cues].map((cue) => {
    const fragment = cue.getCueAsHTML();
    const timestamps = [];
    const walker = document.createTreeWalker(fragment, NodeFilter.SHOW_PROCESSING_INSTRUCTION);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (node.target === 'timestamp') timestamps.push(seconds(node.data));
    }
    return { startS: cue.startTime, endS: cue.endTime, text: fragment.textContent, timestamps };
  });
})()`;

/** Parses WebVTT files with Chromium's own parser (a <track> of a <video>): their cues and cue timestamps. */
async function parseVttInChromium(...files: string[]): Promise<ParsedCue[][]> {
  const browser = await chromium.launch({ executablePath: process.env.EARSHOT_TEST_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
  try {
    const parsed: ParsedCue[][] = [];
    for (const vtt of files) {
      const page = await browser.newPage();
      await page.route('http://earshot.test/**', (route) =>
        route.request().url().endsWith('.vtt')
          ? route.fulfill({ contentType: 'text/vtt; charset=utf-8', body: vtt })
          : route.fulfill({ contentType: 'text/html', body: '<!doctype html><video></video>' }),
      );
      await page.goto('http://earshot.test/');
      parsed.push(await page.evaluate<ParsedCue[]>(READ_TRACK));
      await page.close();
    }
    return parsed;
  } finally {
    await browser.close();
  }
}

// ---------- OpenAI SDK ----------

describe('POST /v1/audio/transcriptions with the openai SDK', () => {
  let jobId: string;
  let transcript: Transcript;

  it('json: answers { text } of a job that is in the job list', async () => {
    const { data, response } = await client.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1' }).withResponse();
    jobId = response.headers.get('x-earshot-job-id') ?? '';
    expect(jobId).toMatch(/^[0-9a-f-]{36}$/);
    transcript = await transcriptOf(jobId);
    expect(transcript.segments.length).toBeGreaterThan(0);
    expect(data.text).toBe(transcript.text);
    expect(data).toMatchObject({ synthetic: true, usage: { type: 'duration', seconds: 6 } });
    const listed = await stack.api.listAllJobs();
    expect(listed.find((j) => j.id === jobId)?.status).toBe('completed');
  });

  it('text, srt and vtt: the job\'s own renderings, synthetic label included', async () => {
    const text = await client.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1', response_format: 'text' });
    expect(text).toBe(await resultOf(jobId, 'txt'));
    expect(text.startsWith(`${SYNTHETIC_LABEL}\n`)).toBe(true);
    const srt = await client.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1', response_format: 'srt' });
    expect(srt).toBe(await resultOf(jobId, 'srt'));
    expect(srt).toMatch(/^1\n00:00:\d\d,\d{3} --> /);
    const vtt = await client.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1', response_format: 'vtt' });
    expect(vtt).toBe(await resultOf(jobId, 'vtt'));
    expect(vtt.startsWith(`WEBVTT\n\nNOTE ${SYNTHETIC_LABEL}`)).toBe(true);
  });

  it('vtt with word granularity: word-timed cues, the same as the job result with wordTimestamps=true, read by Chromium\'s WebVTT parser', async () => {
    const { data: vtt, response } = await client.audio.transcriptions
      .create({ file: file('en.wav'), model: 'whisper-1', response_format: 'vtt', timestamp_granularities: ['word'] })
      .withResponse();
    const id = response.headers.get('x-earshot-job-id') ?? '';
    expect(vtt).toBe(await resultOf(id, 'vtt&wordTimestamps=true'));
    const plain = await resultOf(id, 'vtt');
    expect(vtt).not.toBe(plain);
    expect(vtt.replace(/<\d\d:\d\d:\d\d\.\d{3}>/g, '')).toBe(plain);

    const [parsed = [], plainCues = []] = await parseVttInChromium(vtt, plain);
    expect(parsed.length).toBeGreaterThan(0);
    expect(parsed.map((c) => [c.startS, c.endS, c.text])).toEqual(plainCues.map((c) => [c.startS, c.endS, c.text]));
    const written = vtt.split('\n\n').filter((block) => block.includes(' --> '));
    let stamped = 0;
    parsed.forEach((cue, i) => {
      // Every tag written is a timestamp to the parser, inside its cue and increasing.
      expect(cue.timestamps).toHaveLength(written[i]!.match(/<\d\d:/g)?.length ?? 0);
      let last = cue.startS;
      for (const t of cue.timestamps) {
        expect(t).toBeGreaterThan(last);
        expect(t).toBeLessThan(cue.endS);
        last = t;
      }
      stamped += cue.timestamps.length;
    });
    expect(stamped).toBeGreaterThan(0);

    const srt = await fetch(`${stack.api.baseUrl}/v1/jobs/${id}/result?format=srt&wordTimestamps=true`, { headers: { authorization: `Bearer ${stack.api.apiKey}` } });
    expect(srt.status).toBe(400);
    expect(await srt.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('verbose_json: OpenAI\'s shape plus emotion, event, language and the timelines; words from segments[].words', async () => {
    const verbose = (await client.audio.transcriptions.create({
      file: file('en.wav'),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['segment', 'word'],
    })) as OpenAI.Audio.TranscriptionVerbose & Record<string, unknown>;
    expect(verbose).toMatchObject({ task: 'transcribe', language: transcript.language, duration: transcript.audio.durationS, text: transcript.text, synthetic: true });
    const segments = verbose.segments ?? [];
    expect(segments).toHaveLength(transcript.segments.length);
    segments.forEach((s, i) => {
      const t = transcript.segments[i]!;
      expect(s).toMatchObject({ id: i, start: t.startS, end: t.endS, text: t.text, emotion: t.emotion, event: t.event, language: t.language, tokens: t.tokens.map((k) => k.id) });
    });
    // The tagged model emits real tags: these are not empty placeholders.
    expect(segments.every((s) => (s as unknown as { emotion: string | null }).emotion !== null)).toBe(true);
    expect(verbose.emotion_timeline).toEqual(transcript.emotionTimeline.map((i) => ({ start: i.startS, end: i.endS, label: i.label })));
    expect(verbose.event_timeline).toEqual(transcript.eventTimeline.map((i) => ({ start: i.startS, end: i.endS, label: i.label })));
    const words = verbose.words ?? [];
    // The transcript's own words (segments[].words), in order.
    expect(words).toEqual(transcript.segments.flatMap((s) => s.words).map((w) => ({ word: w.word, start: w.startS, end: w.endS })));
    expect(words.length).toBeGreaterThan(0);
    for (const [i, w] of words.entries()) {
      expect(w.end).toBeGreaterThan(w.start);
      if (i > 0) expect(w.start).toBeGreaterThanOrEqual(words[i - 1]!.start);
      expect(segments.some((s) => w.start >= s.start && w.end <= s.end + 0.061)).toBe(true);
    }

    const wordsOnly = (await client.audio.transcriptions.create({
      file: file('en.wav'),
      model: 'whisper-1',
      response_format: 'verbose_json',
      timestamp_granularities: ['word'],
    })) as OpenAI.Audio.TranscriptionVerbose;
    expect(wordsOnly.segments).toBeUndefined();
    expect(wordsOnly.words).toEqual(words);
  });

  it('language: the job\'s only allowed language (segments tagged with it, the model prompted with it); auto: any', async () => {
    const { data, response } = await client.audio.transcriptions
      .create({ file: file('en.wav'), model: 'whisper-1', language: 'ja', response_format: 'verbose_json' })
      .withResponse();
    const ja = await transcriptOf(response.headers.get('x-earshot-job-id') ?? '');
    expect(ja.options).toMatchObject({ language: 'ja', languages: ['ja'] });
    expect(ja.segments.length).toBe(transcript.segments.length);
    // The tagged model's language frame follows its prompt, so the prompt is observable.
    for (const s of ja.segments) {
      expect(s.rawText.startsWith('<|ja|>')).toBe(true);
      expect(s.language).toBe('ja');
    }
    expect(transcript.segments.some((s) => s.language !== 'ja')).toBe(true);
    expect(data.language).toBe('ja');
    expect((data.segments ?? []).every((s) => (s as unknown as { language: string }).language === 'ja')).toBe(true);

    const auto = await client.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1', language: 'auto' }).withResponse();
    expect((await transcriptOf(auto.response.headers.get('x-earshot-job-id') ?? '')).options).toMatchObject({ language: 'auto', languages: null });
    expect(transcript.options).toMatchObject({ language: 'auto', languages: null });
  });

  it('stream=true: one transcript.text.delta per segment with text, in order, then transcript.text.done', async () => {
    const json = await client.audio.transcriptions.create({ file: file('en-zh-silence.wav'), model: 'whisper-1', language: 'auto' });
    const stream = await client.audio.transcriptions.create({ file: file('en-zh-silence.wav'), model: 'whisper-1', stream: true });
    const deltas: string[] = [];
    let done: string | null = null;
    for await (const event of stream) {
      if (event.type === 'transcript.text.delta') {
        expect(done).toBeNull();
        deltas.push(event.delta);
      } else if (event.type === 'transcript.text.done') {
        done = event.text;
      }
    }
    expect(done).toBe(json.text);
    expect(deltas.join('')).toBe(json.text);
    const withText = json.text === '' ? 0 : deltas.length;
    expect(withText).toBeGreaterThan(0);
  });

  it('errors come in OpenAI\'s shape and raise the SDK\'s typed errors', async () => {
    const badFormat = client.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1', timestamp_granularities: ['word'] });
    await expect(badFormat).rejects.toBeInstanceOf(OpenAI.BadRequestError);
    await expect(badFormat).rejects.toMatchObject({ status: 400, code: 'VALIDATION_FAILED', param: 'timestamp_granularities[]', type: 'invalid_request_error' });

    const badLanguage = client.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1', language: 'fr' });
    await expect(badLanguage).rejects.toMatchObject({ status: 400, param: 'language' });

    const corrupt = client.audio.transcriptions.create({ file: file('corrupt.mp3'), model: 'whisper-1' });
    await expect(corrupt).rejects.toBeInstanceOf(OpenAI.UnprocessableEntityError);
    await expect(corrupt).rejects.toMatchObject({ code: 'AUDIO_CORRUPT' });

    const wrongKey = new OpenAI({ apiKey: 'not-a-key-of-this-api', baseURL: `${stack.api.baseUrl}/v1`, maxRetries: 0 });
    await expect(wrongKey.audio.transcriptions.create({ file: file('en.wav'), model: 'whisper-1' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('GET /v1/models lists the model the workers report', async () => {
    let ids: string[] = [];
    const until = Date.now() + 20_000;
    while (ids.length === 0 && Date.now() < until) {
      const page = await client.models.list();
      ids = page.data.map((m) => m.id);
      if (ids.length === 0) await new Promise((r) => setTimeout(r, 500));
    }
    expect(ids).toHaveLength(1);
    expect(transcript.model.name).toBe(ids[0]);
  });
});

// ---------- job events ----------

describe('GET /v1/jobs/:id/events', () => {
  let jobId: string;
  let all: SseEvent[];

  it('streams status, progress and every segment in order, and ends with the final status', async () => {
    const submitted = await stack.api.submitFile(stack.audioFile('en-zh-silence.wav'));
    expect(submitted.status).toBe(202);
    jobId = (submitted.body as { id: string }).id;
    const { status, events, type } = await readEvents(jobId);
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/event-stream/);
    all = events;
    expect(events[0]).toMatchObject({ event: 'status', data: { type: 'status', status: 'queued' } });
    expect(events.some((e) => e.event === 'status' && e.data.status === 'processing')).toBe(true);
    expect(events.some((e) => e.event === 'progress' && e.data.phase === 'inference')).toBe(true);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ event: 'status', data: { status: 'completed', progress: 1 } });
    expect((last.data.links as { result: Record<string, string> }).result.srt).toContain(`/v1/jobs/${jobId}/result?format=srt`);
    // Every event carries a stream id, increasing.
    const ids = events.map((e) => e.id);
    expect(ids.every((id) => id !== null && /^\d+-\d+$/.test(id))).toBe(true);

    const transcript = await transcriptOf(jobId);
    const segments = events.filter((e) => e.event === 'segment').map((e) => e.data);
    expect(segments.map((s) => s.index)).toEqual(transcript.segments.map((s) => s.index));
    segments.forEach((s, i) => {
      const t = transcript.segments[i]!;
      expect(s).toMatchObject({ startS: t.startS, endS: t.endS, text: t.text, richText: t.richText, language: t.language, emotion: t.emotion, event: t.event });
    });
    // Segments arrive while processing: after the processing status, before the final one.
    const processingAt = events.findIndex((e) => e.data.status === 'processing');
    const firstSegmentAt = events.findIndex((e) => e.event === 'segment');
    expect(firstSegmentAt).toBeGreaterThan(processingAt);
    expect(events.findIndex((e) => e.data.status === 'completed')).toBe(events.length - 1);
  });

  it('replays the same events to a late reader, and resumes after Last-Event-ID', async () => {
    const replay = await readEvents(jobId);
    expect(replay.events.map((e) => e.id)).toEqual(all.map((e) => e.id));
    const middle = Math.floor(all.length / 2);
    const resumed = await readEvents(jobId, { 'last-event-id': all[middle]!.id! });
    expect(resumed.events.map((e) => e.id)).toEqual(all.slice(middle + 1).map((e) => e.id));
    expect(resumed.events.at(-1)?.data.status).toBe('completed');
  });

  it("answers 404 for another tenant's job and 400 for a malformed Last-Event-ID", async () => {
    expect((await readEvents(jobId, {}, OTHER_KEY)).status).toBe(404);
    expect((await readEvents(jobId, { 'last-event-id': 'nope' })).status).toBe(400);
  });

  it('ends a failed job with the error', async () => {
    const submitted = await stack.api.submitFile(stack.audioFile('corrupt.mp3'));
    const { events } = await readEvents((submitted.body as { id: string }).id);
    expect(events.at(-1)).toMatchObject({ event: 'status', data: { status: 'failed', error: { code: 'AUDIO_CORRUPT' } } });
  });
});

// ---------- in-process app: sync timeout, OpenAPI coverage ----------

describe('in-process API (no worker)', () => {
  const RUN = randomBytes(4).toString('hex');
  const keyPrefix = `earshot-test:openai:${RUN}:`;
  const key = `openai-inproc-${RUN}-0123456789`;
  const redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: 2 });
  const queue = createTranscriptionQueue({ connection: redis, name: `openai-${RUN}`, prefix: `earshot-test-bull-${RUN}` });
  let app: Express;
  let server: Server;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'earshot-openai-'));
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const env = {
      EARSHOT_KEY_PREFIX: keyPrefix,
      EARSHOT_PUBLIC_URL: url,
      EARSHOT_STORAGE: 'fs',
      EARSHOT_DATA_DIR: dataDir,
      EARSHOT_API_KEYS: `${key}:t1`,
      EARSHOT_SYNC_TIMEOUT_S: '1',
    };
    const service = loadServiceConfig(env);
    const http = loadHttpConfig(env);
    const store = new FsBlobStore({ root: join(dataDir, 'store') });
    app = createApp({
      store,
      jobs: new JobStore({ redis, keyPrefix }),
      queue,
      webhookAttempts: createRedisWebhookAttemptsStore({ redis, keyPrefix: `${keyPrefix}webhook-attempts:` }),
      redis,
      config: { service, http, apiKeys: http.apiKeys ?? [] },
      logger: pino({ level: 'silent' }),
      eventsHeartbeatMs: 200,
    });
    server.on('request', app);
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    await deleteKeys(redis, `${keyPrefix}*`);
    redis.disconnect();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('past EARSHOT_SYNC_TIMEOUT_S answers 504 naming the job, which stays queued', async () => {
    const sdk = new OpenAI({ apiKey: key, baseURL: `${url}/v1`, maxRetries: 2 });
    const started = Date.now();
    const failure = await sdk.audio.transcriptions.create({ file: createReadStream(stack.audioFile('en.wav')), model: 'whisper-1' }).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(OpenAI.InternalServerError);
    const error = (failure as InstanceType<typeof OpenAI.APIError>).error as { code: string; job_id: string; job_url: string; message: string };
    expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(504);
    expect(error.code).toBe('SYNC_TIMEOUT');
    expect(error.message).toContain(error.job_id);
    expect(error.job_url).toBe(`${url}/v1/jobs/${error.job_id}`);
    // x-should-retry: false kept the SDK (maxRetries 2) from starting the same transcription again.
    expect(Date.now() - started).toBeLessThan(5000);
    const job = (await (await fetch(error.job_url, { headers: { authorization: `Bearer ${key}` } })).json()) as { status: string };
    expect(job.status).toBe('queued');
    const list = (await (await fetch(`${url}/v1/jobs`, { headers: { authorization: `Bearer ${key}` } })).json()) as { data: { id: string }[] };
    expect(list.data.map((j) => j.id)).toEqual([error.job_id]);
  });

  it('sends heartbeats on an idle event stream and ends it when the job is canceled', async () => {
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('RIFF')]), 'a.wav');
    const created = (await (await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form })).json()) as { id: string };
    const res = await fetch(`${url}/v1/jobs/${created.id}/events`, { headers: { authorization: `Bearer ${key}` } });
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    while (!text.includes(': ping')) text += decoder.decode((await reader.read()).value ?? new Uint8Array());
    await fetch(`${url}/v1/jobs/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${key}` } });
    for (;;) {
      const chunk = await reader.read();
      if (chunk.done) break;
      text += decoder.decode(chunk.value);
    }
    expect(text).toContain('"status":"queued"');
    expect(text.trimEnd().split('\n\n').at(-1)).toContain('"status":"canceled"');
  });

  it('closes the Redis connection of an event stream when its client goes away', async () => {
    const followers = async (): Promise<number> =>
      String(await redis.client('LIST')).split('\n').filter((line: string) => line.includes(`name=${EVENTS_CONNECTION_NAME} `)).length;
    const before = await followers();
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('RIFF')]), 'a.wav');
    const created = (await (await fetch(`${url}/v1/jobs`, { method: 'POST', headers: { authorization: `Bearer ${key}` }, body: form })).json()) as { id: string };
    const clients = Array.from({ length: 3 }, () => new AbortController());
    const readers = await Promise.all(
      clients.map(async (c) => (await fetch(`${url}/v1/jobs/${created.id}/events`, { headers: { authorization: `Bearer ${key}` }, signal: c.signal })).body!.getReader()),
    );
    await Promise.all(readers.map((r) => r.read()));
    await waitFor('three follower connections', async () => (await followers()) === before + 3, { timeoutMs: 5000 });
    for (const c of clients) c.abort();
    await waitFor('the follower connections closed', async () => (await followers()) === before, { timeoutMs: 5000 });
  });

  it('describes every route the app registers in /openapi.json, and nothing else', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    const registered = new Set<string>();
    const walk = (stack: unknown[]): void => {
      for (const layer of stack as { route?: { path: string; methods: Record<string, boolean> }; handle?: { stack?: unknown[] } }[]) {
        if (layer.route) {
          for (const [method, on] of Object.entries(layer.route.methods)) if (on) registered.add(`${method} ${layer.route.path.replace(/:(\w+)/g, '{$1}')}`);
        } else if (layer.handle?.stack) {
          walk(layer.handle.stack);
        }
      }
    };
    walk((app as unknown as { router: { stack: unknown[] } }).router.stack);
    const described = new Set(Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`)));
    expect(registered.size).toBeGreaterThan(10);
    expect([...registered].sort()).toEqual([...described].sort());
  });

  it('serves the reference page and its assets without a CDN', async () => {
    const page = await fetch(`${url}/docs`);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('docs/assets/swagger-ui-bundle.js');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${url}/docs/assets/swagger-ui-bundle.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
    expect((await fetch(`${url}/docs/assets/package.json`)).status).toBe(404);
  });

  it('the reference page renders every operation in a real browser', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
    const browser = await chromium.launch({ executablePath: process.env.EARSHOT_TEST_CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (err) => errors.push(err.message));
      page.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      await page.goto(`${url}/docs`);
      await page.waitForSelector('.opblock', { timeout: 30_000 });
      expect(await page.locator('.opblock').count()).toBe(operations);
      expect(await page.locator('.title').first().textContent()).toContain('Earshot API');
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
