/**
 * The web console in a real browser: Debian's chromium (headless) driven by playwright-core, against
 * the API and a worker as child processes (support/earshot-stack.ts; the worker on the tiny tagged
 * model, so segments carry real language/emotion/event tags). The test types the API key, uploads a
 * generated file, waits for the result and checks the timeline, the seek, the synthetic label, a
 * download, the job list (cancel and delete) and the operator panel; it saves a screenshot to
 * `.cache/test-output/console.png`. Uncaught page errors and CSP violations fail it.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CACHE_DIR, REPO_ROOT, TAGGED_TINY_MODEL_DIR } from './setup/paths.js';
import { createEarshotStack, type EarshotStack } from './support/earshot-stack.js';

const CHROMIUM = process.env.EARSHOT_TEST_CHROMIUM ?? '/usr/bin/chromium';
const OUTPUT_DIR = join(CACHE_DIR, 'test-output');
export const SCREENSHOT = join(OUTPUT_DIR, 'console.png');
const JOB_TIMEOUT_MS = 120_000;
const AUDIO = 'en-zh-silence.wav';

interface Segment {
  index: number;
  startS: number;
  endS: number;
  richText: string;
  language: string | null;
  emotion: string | null;
  event: string | null;
  languageConfidence: number | null;
  emotionConfidence: number | null;
  eventConfidence: number | null;
  channel: number | null;
}
interface Transcript {
  segments: Segment[];
  emotionTimeline: { startS: number; endS: number; label: string }[];
  model: { synthetic: boolean };
  notice?: string;
  options: { channels: 'mix' | 'separate' };
}

/**
 * Runs in the page: renders a transcript with BGM, Speech and Laughter events and two emotions with
 * the console's timeline module, clicks the Laughter marker and reports what it drew and sought.
 */
const CRAFTED_TIMELINE = `(async () => {
  const { renderTimeline } = await import('/console/js/timeline.js');
  const seeks = [];
  const seg = (index, startS, endS) => ({ index, startS, endS, language: 'en', emotion: 'HAPPY', event: 'BGM', text: 'x', richText: 'x' });
  const timeline = renderTimeline({
    audio: { durationS: 20 },
    segments: [seg(0, 1, 4), seg(1, 6, 9), seg(2, 12, 15)],
    emotionTimeline: [{ startS: 1, endS: 9, label: 'HAPPY' }, { startS: 12, endS: 15, label: 'ANGRY' }],
    eventTimeline: [{ startS: 1, endS: 4, label: 'BGM' }, { startS: 6, endS: 9, label: 'Speech' }, { startS: 12, endS: 15, label: 'Laughter' }],
  }, new Map([['BGM', '\u{1F3BC}']]), (s) => seeks.push(s));
  document.body.append(timeline.element);
  const markers = [...timeline.element.querySelectorAll('[data-kind="event"]')].map((m) => m.getAttribute('data-label'));
  const bands = [...timeline.element.querySelectorAll('[data-kind="emotion"]')].map((m) => m.getAttribute('class'));
  timeline.element.querySelector('[data-kind="event"][data-label="Laughter"] rect').dispatchEvent(new MouseEvent('click', { bubbles: true }));
  timeline.element.remove();
  return { markers, bands, seeks };
})()`;

/** What the page shows of one tag: its tooltip and its computed opacity. */
interface ShownTag {
  label: string | null;
  title: string;
  opacity: number;
}

/** Runs in the page: the tags of every transcript line and the timeline's emotion bands, as shown. */
const SHOWN_TAGS = `(() => {
  const shown = (el, title) => ({ label: el.getAttribute('data-label') ?? el.textContent, title, opacity: Number(getComputedStyle(el).opacity) });
  const lines = [...document.querySelectorAll('#transcript li')].map((li) =>
    Object.fromEntries([...li.querySelectorAll('.seg-tag')].map((t) => [t.getAttribute('data-tag'), shown(t, t.getAttribute('title'))])));
  const bands = [...document.querySelectorAll('#timeline [data-kind="emotion"]')].map((b) => shown(b, b.querySelector('title').textContent));
  return { lines, bands };
})()`;

/**
 * Runs in the page: a crafted transcript with known confidences (one unknown) through the timeline
 * module; the emotion bands and event markers as shown.
 */
const CRAFTED_CONFIDENCE = `(async () => {
  const { renderTimeline } = await import('/console/js/timeline.js');
  const seg = (index, startS, endS, emotion, emotionConfidence, event, eventConfidence) =>
    ({ index, startS, endS, language: 'en', emotion, event, emotionConfidence, eventConfidence, languageConfidence: 0.9, text: 'x', richText: 'x' });
  const timeline = renderTimeline({
    audio: { durationS: 20 },
    segments: [seg(0, 1, 4, 'HAPPY', 0.5, 'BGM', 0.2), seg(1, 6, 9, 'HAPPY', 1, 'Speech', 0.99), seg(2, 12, 15, 'ANGRY', null, 'Laughter', 0.9)],
    emotionTimeline: [{ startS: 1, endS: 9, label: 'HAPPY' }, { startS: 12, endS: 15, label: 'ANGRY' }],
    eventTimeline: [{ startS: 1, endS: 4, label: 'BGM' }, { startS: 6, endS: 9, label: 'Speech' }, { startS: 12, endS: 15, label: 'Laughter' }],
  }, new Map(), () => undefined);
  document.body.append(timeline.element);
  const shown = [...timeline.element.querySelectorAll('[data-kind="emotion"], [data-kind="event"]')].map((el) =>
    ({ label: el.getAttribute('data-label'), title: el.querySelector('title').textContent, opacity: Number(getComputedStyle(el).opacity) }));
  timeline.element.remove();
  return shown;
})()`;

/**
 * Runs in the page: the console's server-sent-events reader over a body cut at awkward places
 * (inside a line, between CR and LF), with a comment, a multi-line data field and a default event name.
 */
const SSE_READER = `(async () => {
  const { readServerEvents } = await import('/console/js/api.js');
  const text = ': keep-alive\\r\\nevent: status\\r\\ndata: {"status":"processing","progress":0.5}\\r\\n\\r\\nevent: segment\\ndata: {"startS":1,\\ndata: "text":"a"}\\n\\ndata: plain\\n\\n';
  const bytes = new TextEncoder().encode(text);
  const crlf = text.indexOf('\\r\\n\\r\\n');
  const cuts = [...new Set([3, crlf + 1, crlf + 3, ...Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => (i + 1) * 7)])]
    .map((c) => Math.min(c, bytes.length)).sort((a, b) => a - b);
  let at = 0;
  const body = new ReadableStream({ pull(controller) {
    const end = cuts.shift();
    if (end === undefined) return controller.close();
    controller.enqueue(bytes.slice(at, end));
    at = end;
  } });
  const events = [];
  for await (const ev of readServerEvents(body)) events.push(ev);
  return events;
})()`;

let stack: EarshotStack;
let browser: Browser;
let context: BrowserContext;
let page: Page;
/** Uncaught exceptions and CSP violations seen by the page. */
const pageProblems: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: scripts/setup.sh installs Debian's chromium`);
  stack = await createEarshotStack({ name: 'console', tenant: 'console' });
  await Promise.all([stack.startApi(), stack.startWorker({ EARSHOT_MODEL_DIR: TAGGED_TINY_MODEL_DIR })]);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Root in CI; a fake microphone for the recording test.
    args: ['--no-sandbox', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
  });
  context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  page = await context.newPage();
  page.on('pageerror', (err) => pageProblems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) pageProblems.push(`CSP: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => void dialog.accept());
});

afterAll(async () => {
  await browser?.close();
  await stack?.close();
});

/** The player's position (evaluated in the page; this file is compiled without DOM types). */
const playerTime = (): Promise<number> => page.evaluate<number>("document.getElementById('player').currentTime");

/** Whether the API serves GET /v1/jobs/:id/events (the console feature-detects it the same way). */
async function eventsStreamExists(jobId: string): Promise<boolean> {
  const controller = new AbortController();
  const res = await fetch(`${stack.api.baseUrl}/v1/jobs/${jobId}/events`, {
    headers: { authorization: `Bearer ${stack.apiKey}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  controller.abort();
  return res.ok && (res.headers.get('content-type') ?? '').includes('text/event-stream');
}

async function transcriptOf(jobId: string): Promise<Transcript> {
  const answer = await stack.api.call(`/v1/jobs/${jobId}/result?format=json`);
  expect(answer.status).toBe(200);
  return answer.body as Transcript;
}

describe('web console', () => {
  let jobId = '';
  let transcript: Transcript;

  it('type-checks the page scripts (JSDoc types, tsc --checkJs, nothing emitted)', async () => {
    const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const run = promisify(execFile)(process.execPath, [tsc, '-p', join(REPO_ROOT, 'apps', 'api', 'console')], { cwd: REPO_ROOT });
    await expect(run).resolves.toMatchObject({ stdout: '' });
  });

  it('serves the page at / under a strict Content-Security-Policy, without a key', async () => {
    const res = await fetch(`${stack.api.baseUrl}/console/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await res.text();
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline script
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // nothing from other origins

    const labels = (await (await fetch(`${stack.api.baseUrl}/console/labels.json`)).json()) as { emotions: { label: string; emoji: string }[] };
    expect(labels.emotions).toContainEqual({ label: 'HAPPY', emoji: '\u{1F60A}' });

    await page.goto(`${stack.api.baseUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/console/');
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => page.textContent('#key-status')).toContain('enter a key');
  });

  it('keeps the API key in the browser', async () => {
    await page.fill('#key-input', 'not-a-key');
    await page.click('#key-save');
    await expect.poll(() => page.textContent('#key-status')).toContain('refused');

    await page.fill('#key-input', stack.apiKey);
    await page.click('#key-save');
    await expect.poll(() => page.textContent('#key-status')).toContain('accepted');
    await page.reload();
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => page.textContent('#key-status')).toContain('accepted');
  });

  it('uploads a file, follows the job and shows the result', async () => {
    await page.setInputFiles('#file-input', stack.audioFile(AUDIO));
    await page.selectOption('#language', 'en');
    await page.uncheck('#itn');
    await page.fill('#webhook', stack.hookUrl('/console'));
    await page.selectOption('#alert-label', 'emotion:NEUTRAL');
    await page.fill('#alert-threshold', '1');
    await page.click('#alert-add');
    await page.click('#submit');
    await page.waitForSelector('#result-panel:not([hidden])', { timeout: JOB_TIMEOUT_MS });
    jobId = (await page.getAttribute('#result-panel', 'data-job')) ?? '';
    expect(jobId).not.toBe('');
    expect(await page.getAttribute('#job-status', 'data-status')).toBe('completed');
    transcript = await transcriptOf(jobId);
    // The form's options reached the job, and the alert rule matched (every segment is NEUTRAL).
    const job = (await stack.api.call(`/v1/jobs/${jobId}`)).body as {
      options: { language: string; itn: boolean; webhook?: { url: string }; alerts: unknown[] };
      alerts: { label: string }[];
    };
    expect(job.options).toMatchObject({ language: 'en', itn: false, webhook: { url: stack.hookUrl('/console') }, alerts: [{ emotion: 'NEUTRAL', minSeconds: 1 }] });
    expect(job.alerts.map((a) => a.label)).toEqual(['NEUTRAL']);
    // Live status came from the job-events stream when the API has one, else from polling.
    const hasEvents = await eventsStreamExists(jobId);
    expect(await page.textContent('#status-mode')).toBe(hasEvents ? '(live events)' : '(polling)');

    // The timeline: one block per transcript segment, one band per emotion interval.
    expect(transcript.segments.length).toBeGreaterThan(1);
    expect(await page.locator('#timeline [data-kind="segment"]').count()).toBe(transcript.segments.length);
    expect(await page.locator('#timeline [data-kind="emotion"]').count()).toBe(transcript.emotionTimeline.length);
    // The transcript as the API's rich text, a line per segment.
    const lines = await page.locator('#transcript li .rich').allTextContents();
    expect(lines).toEqual(transcript.segments.map((s) => s.richText || '…'));
    // The summary charts.
    expect(await page.locator('#charts figure').count()).toBe(3);
    expect(await page.locator('#charts [data-label="NEUTRAL"]').count()).toBe(1);
    // The synthetic model is labelled.
    expect(transcript.model.synthetic).toBe(true);
    expect(await page.isVisible('#synthetic-banner')).toBe(true);
    expect(await page.textContent('#synthetic-banner')).toContain(transcript.notice ?? 'not a transcription');
  });

  it('shows each tag\'s confidence: opacity 0.35 + 0.65 × confidence and a tooltip "LABEL · NN %"', async () => {
    const opacity = (c: number | null): number => (c === null ? 1 : 0.35 + 0.65 * c);
    const title = (label: string, c: number | null): string => (c === null ? label : `${label} · ${Math.round(c * 100)} %`);
    const shown = await page.evaluate<{ lines: Record<string, ShownTag>[]; bands: ShownTag[] }>(SHOWN_TAGS);
    expect(shown.lines).toHaveLength(transcript.segments.length);
    let scored = 0;
    transcript.segments.forEach((seg, i) => {
      const line = shown.lines[i]!;
      for (const [kind, label, c] of [
        ['language', seg.language, seg.languageConfidence],
        ['emotion', seg.emotion, seg.emotionConfidence],
        ['event', seg.event, seg.eventConfidence],
      ] as const) {
        if (label === null) {
          expect(line[kind]).toBeUndefined();
          continue;
        }
        expect(line[kind]?.title).toBe(title(label, c));
        expect(line[kind]?.opacity).toBeCloseTo(opacity(c), 3);
        if (c !== null) scored++;
      }
    });
    // The tagged model scores its tags: the page shows real confidences, not the unknown default.
    expect(scored).toBeGreaterThan(0);
    expect(shown.lines.some((line) => Object.values(line).some((t) => / · \d+ %$/.test(t.title)))).toBe(true);
    // Each emotion band: the overlap-weighted confidence of its segments with that emotion.
    expect(shown.bands).toHaveLength(transcript.emotionTimeline.length);
    transcript.emotionTimeline.forEach((band, i) => {
      let weighted = 0;
      let seconds = 0;
      for (const seg of transcript.segments) {
        const overlap = Math.min(seg.endS, band.endS) - Math.max(seg.startS, band.startS);
        if (seg.emotion !== band.label || seg.emotionConfidence === null || overlap <= 0) continue;
        weighted += seg.emotionConfidence * overlap;
        seconds += overlap;
      }
      const c = seconds > 0 ? weighted / seconds : null;
      expect(shown.bands[i]?.title.startsWith(`${title(band.label, c)} `)).toBe(true);
      expect(shown.bands[i]?.opacity).toBeCloseTo(opacity(c), 3);
    });
  });

  it('shows crafted confidences on the timeline: weighted per band, full opacity and no percentage when unknown', async () => {
    const shown = await page.evaluate<ShownTag[]>(CRAFTED_CONFIDENCE);
    expect(shown.map((t) => [t.label, t.title.replace(/ +\d+:\d\d.*$/, '').trim(), Number(t.opacity.toFixed(4))])).toEqual([
      ['HAPPY', 'HAPPY · 75 %', 0.8375], // (0.5 × 3 s + 1 × 3 s) / 6 s
      ['ANGRY', 'ANGRY', 1], // its only segment's emotion confidence is unknown
      ['BGM', 'BGM · 20 %', 0.48],
      ['Laughter', 'Laughter · 90 %', 0.935],
    ]);
  });

  it('seeks the player to a segment clicked on the timeline and highlights it', async () => {
    await page.waitForFunction("document.getElementById('player').readyState >= 1");
    const target = transcript.segments.at(-1);
    if (!target) throw new Error('no segment');
    expect(target.startS).toBeGreaterThan(0.5);
    await page.locator(`#timeline [data-kind="segment"][data-index="${target.index}"]`).click();
    await expect.poll(playerTime).toBeCloseTo(target.startS, 1);
    expect(await page.getAttribute(`#transcript li[data-index="${target.index}"]`, 'class')).toContain('playing');

    const first = transcript.segments[0];
    if (!first) throw new Error('no segment');
    await page.locator(`#transcript li[data-index="${first.index}"]`).click();
    await expect.poll(playerTime).toBeCloseTo(first.startS, 1);
  });

  it('downloads the result formats with the key', async () => {
    for (const format of ['srt', 'json'] as const) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.click(`#downloads [data-format="${format}"]`)]);
      expect(download.suggestedFilename()).toBe(`en-zh-silence.${format}`);
      const saved = await download.path();
      const api = await stack.api.call(`/v1/jobs/${jobId}/result?format=${format}`);
      expect(await readFile(saved, 'utf8')).toBe(api.text);
    }
  });

  it('lists the job and shows the fleet in the operator panel; saves a screenshot', async () => {
    await page.click('#jobs-refresh');
    await expect.poll(() => page.getAttribute(`#jobs-body tr[data-job="${jobId}"]`, 'data-status')).toBe('completed');
    expect(await page.textContent(`#jobs-body tr[data-job="${jobId}"]`)).toContain(AUDIO);
    // The operator panel reads /metrics (refreshed every 5 s): queue counts, backlog, live workers.
    const operator = (metric: string) => () => page.textContent(`#operator [data-metric="${metric}"]`);
    await expect.poll(operator('queue'), { timeout: 15_000 }).toMatch(/^waiting \d+ · prioritized \d+ · active \d+/);
    await expect.poll(operator('backlog'), { timeout: 15_000 }).toMatch(/ s of audio$/);
    await expect.poll(operator('workers'), { timeout: 15_000 }).toMatch(/^1 live/);

    await mkdir(OUTPUT_DIR, { recursive: true });
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: SCREENSHOT });
    expect((await readFile(SCREENSHOT)).subarray(1, 4).toString()).toBe('PNG');
  });

  it('records from the microphone and transcribes the recording', async () => {
    // Chromium's fake capture device (a beeping tone) stands in for the microphone.
    await page.click('#record-button');
    await expect.poll(() => page.textContent('#record-button')).toContain('Stop');
    await page.waitForTimeout(2500);
    await page.click('#record-button');
    await expect.poll(() => page.textContent('#staged')).toMatch(/^recording-.*\.webm/);
    const before = await page.getAttribute('#result-panel', 'data-job');
    await page.click('#submit');
    await expect
      .poll(async () => (await page.isVisible('#submit-error')) ? await page.textContent('#submit-error') : await page.getAttribute('#result-panel', 'data-job'), { timeout: JOB_TIMEOUT_MS })
      .not.toBe(before);
    expect(await page.isVisible('#submit-error'), (await page.textContent('#submit-error')) ?? '').toBe(false);
    const jobs = (await stack.api.call('/v1/jobs?limit=5')).body as { data: { id: string; status: string; source: { filename: string | null }; audio: { durationS: number } | null; error: unknown }[] };
    const recorded = jobs.data.find((j) => j.source.filename?.startsWith('recording-'));
    expect(recorded, JSON.stringify(jobs.data)).toBeDefined();
    expect(recorded?.status, JSON.stringify(recorded?.error)).toBe('completed');
    expect(recorded?.audio?.durationS).toBeGreaterThan(1.5);
    await page.waitForSelector(`#result-panel[data-job="${recorded?.id}"]`);
  });

  it('draws event markers and seeks from them (timeline module, crafted transcript)', async () => {
    // The tagged tiny model tags every segment "Speech", which the timeline does not mark; this
    // renders a transcript with real event labels through the page's own module.
    const result = await page.evaluate<{ markers: string[]; bands: string[]; seeks: number[] }>(CRAFTED_TIMELINE);
    expect(result.markers).toEqual(['BGM', 'Laughter']);
    expect(result.bands).toEqual(['band emo-HAPPY', 'band emo-ANGRY']);
    expect(result.seeks).toEqual([12]);
  });

  it('reads server-sent events split anywhere (the job-events reader)', async () => {
    const events = await page.evaluate<{ event: string; data: string }[]>(SSE_READER);
    expect(events).toEqual([
      { event: 'status', data: '{"status":"processing","progress":0.5}' },
      { event: 'segment', data: '{"startS":1,\n"text":"a"}' },
      { event: 'message', data: 'plain' },
    ]);
  });

  it('transcribes a call channel by channel and labels each line with its channel', async () => {
    const before = await page.getAttribute('#result-panel', 'data-job');
    await page.setInputFiles('#file-input', stack.audioFile('call-stereo.wav'));
    await page.check('#separate-channels');
    await page.click('#submit');
    await expect.poll(() => page.getAttribute('#result-panel', 'data-job'), { timeout: JOB_TIMEOUT_MS }).not.toBe(before);
    expect(await page.getAttribute('#job-status', 'data-status')).toBe('completed');
    const callId = (await page.getAttribute('#result-panel', 'data-job')) ?? '';
    const call = await transcriptOf(callId);
    expect(call.options.channels).toBe('separate');
    const labels = await page.locator('#transcript li .rich').evaluateAll((items) =>
      items.map((li) => li.querySelector('.channel')?.getAttribute('data-channel') ?? null),
    );
    expect(labels).toEqual(call.segments.map((s) => String(s.channel)));
    expect(await page.locator('#transcript li .channel').first().textContent()).toMatch(/^Channel [01]: $/);
    await page.uncheck('#separate-channels');
    expect(pageProblems).toEqual([]);
  });

  it('cancels a queued job and deletes a finished one from the job list', async () => {
    await stack.queue().pause();
    try {
      const queued = await stack.api.submitFile(stack.audioFile(AUDIO));
      expect(queued.status).toBe(202);
      await page.click('#jobs-refresh');
      await page.click(`#jobs-body tr[data-job="${queued.id}"] [data-action="cancel"]`);
      await expect.poll(async () => (await stack.api.getJob(queued.id ?? '')).status).toBe('canceled');
      await expect.poll(() => page.getAttribute(`#jobs-body tr[data-job="${queued.id}"]`, 'data-status')).toBe('canceled');
    } finally {
      await stack.queue().resume();
    }

    await page.click(`#jobs-body tr[data-job="${jobId}"] [data-action="delete"]`);
    await expect.poll(async () => (await stack.api.call(`/v1/jobs/${jobId}`)).status).toBe(404);
    await expect.poll(() => page.locator(`#jobs-body tr[data-job="${jobId}"]`).count()).toBe(0);
    expect(pageProblems).toEqual([]);
  });
});
