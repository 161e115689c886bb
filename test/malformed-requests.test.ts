/**
 * No request can take the API process down. The real API (`apps/api/dist/main.js`) runs as a
 * child process with the fs store in a temp directory and receives, over raw sockets, every case
 * of the generated corpus in test/corpus/malformed-requests.ts: truncated and malformed multipart
 * bodies, wrong content types, oversize and deeply nested JSON, broken chunked framing, invalid
 * UTF-8, clients that hang up and bodies that stall. After each case: the answer is what the
 * corpus states (4xx problem JSON with its code, or no answer needed), nothing is left in
 * storage (no object, no temp file), and the same process still answers with nothing in its
 * output that looks like a crash. No worker runs: the last test's valid job stays queued.
 *
 * Stalled bodies stall for longer than the run's EARSHOT_REQUEST_TIMEOUT_MS (the process keeps
 * answering meanwhile), then the client hangs up. They do not wait for the server to cut them
 * off: Node looks for expired requests only every 30 s, and with a request timeout below the
 * server's headersTimeout (60 s) set after createServer (as main.ts does) it waits for the latter.
 *
 * Isolation: own Redis key prefix, BullMQ prefix and queue names (removed in afterAll), own data
 * directories, own ports; every child is stopped in afterAll.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORPUS_LIMITS, malformedRequests, validJobRequest, type MalformedCase } from './corpus/malformed-requests.js';
import { API_READY, createChildGroup, type Child } from './support/child-processes.js';
import { createApiClient, type EarshotApiClient } from './support/earshot-api-client.js';
import { freePort } from './support/free-port.js';
import { buildApps, deleteRunKeys, runEnv, runNames, SHARED_REDIS_URL } from './support/run-isolation.js';
import { sleep } from './support/wait-for.js';

const names = runNames('malformed');
const API_KEY = `malformed-key-${randomBytes(12).toString('hex')}`;
/** Longest wait for an answer the corpus expects. */
const ANSWER_TIMEOUT_MS = 10_000;
/** How long `stall` cases keep the socket open without sending anything. */
const STALL_MS = CORPUS_LIMITS.requestTimeoutMs * 2;
/** Lines that mean the process crashed or failed a request with a 5xx. */
const CRASH_LINE = /uncaught|unhandled|Emitted 'error' event|Maximum call stack|"level":(50|60)/i;

const group = createChildGroup(names.run, 'earshot-malformed-logs');
const CASES = malformedRequests();

interface Api {
  child: Child;
  port: number;
  dataDir: string;
  client: EarshotApiClient;
}

let api: Api;
let redis: Redis;

// ---------- raw HTTP over a socket ----------

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface RawOutcome {
  /** The answer, if one arrived before the connection ended. */
  response: RawResponse | null;
  /** How the exchange ended. */
  ended: 'answer' | 'server-closed' | 'client-hung-up' | 'wait-timed-out';
  /** For stalls: the process's /healthz status while the body was stalled. */
  healthDuringStall?: number;
}

/** A complete response in `data` (by Content-Length, or at close when `closed`), else null. */
function parseResponse(data: Buffer, closed: boolean): RawResponse | null {
  const headEnd = data.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const [statusLine = '', ...lines] = data.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = data.subarray(headEnd + 4);
  const length = headers['content-length'] === undefined ? null : Number(headers['content-length']);
  if (length !== null && body.length >= length) return { status, headers, body: body.subarray(0, length).toString('utf8') };
  return closed ? { status, headers, body: body.toString('utf8') } : null;
}

/** Sends `c` as raw bytes to `path` and does what its `then` says. */
function sendRaw(target: Api, method: string, path: string, c: MalformedCase): Promise<RawOutcome> {
  const { port } = target;
  const length = c.length ?? c.body.length;
  const head =
    `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${API_KEY}\r\n` +
    c.headers.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
    (length === 'none' ? '' : `Content-Length: ${length}\r\n`) +
    '\r\n';
  const then = c.then ?? 'answer';
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    let settled = false;
    const socket = connect(port, '127.0.0.1');
    let healthDuringStall: number | undefined;
    const settle = (ended: RawOutcome['ended'], closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const response = parseResponse(Buffer.concat(received), closed);
      socket.destroy();
      resolve({ response, ended, ...(healthDuringStall === undefined ? {} : { healthDuringStall }) });
    };
    const timer = setTimeout(() => settle('wait-timed-out', true), ANSWER_TIMEOUT_MS + (then === 'stall' ? STALL_MS : 0));
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk);
      if (then !== 'hang-up' && parseResponse(Buffer.concat(received), false)) settle('answer', false);
    });
    // A server that answers early and closes makes our writes fail: that is an outcome, not an error.
    socket.on('error', () => undefined);
    socket.on('close', () => settle('server-closed', true));
    void (async () => {
      socket.write(Buffer.from(head, 'latin1'));
      const pieces = c.trickle?.pieces ?? 1;
      const size = Math.ceil(c.body.length / pieces);
      for (let i = 0; i < c.body.length && !socket.destroyed; i += size) {
        if (i > 0 && c.trickle) await sleep(c.trickle.intervalMs);
        await new Promise<void>((done) => socket.write(c.body.subarray(i, i + size), () => done()));
      }
      if (then === 'hang-up') {
        await sleep(20); // let the server start reading what was sent
        settle('client-hung-up', false);
      } else if (then === 'stall') {
        const stalledUntil = Date.now() + STALL_MS;
        healthDuringStall = (await fetch(`${target.client.baseUrl}/healthz`)).status;
        await sleep(stalledUntil - Date.now());
        settle('client-hung-up', false);
      }
    })();
  });
}

// ---------- the API under test ----------

/** Method and path of a case; PUT cases get a fresh upload (declared as the case says). */
async function requestLine(target: Api, c: MalformedCase): Promise<{ method: string; path: string }> {
  switch (c.target.route) {
    case 'create-job':
      return { method: 'POST', path: '/v1/jobs' };
    case 'create-upload':
      return { method: 'POST', path: '/v1/uploads' };
    case 'put-upload': {
      const res = await target.client.call('/v1/uploads', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ filename: 'a.wav', ...c.target.declare }),
      });
      const ticket = res.body as { url: string };
      expect(res.status, JSON.stringify(ticket)).toBe(201);
      const url = new URL(ticket.url);
      return { method: 'PUT', path: `${url.pathname}${url.search}` };
    }
  }
}

async function sendCase(target: Api, c: MalformedCase): Promise<RawOutcome> {
  const { method, path } = await requestLine(target, c);
  return sendRaw(target, method, path, c);
}

function describeOutcome(c: MalformedCase, outcome: RawOutcome, target: Api): string {
  const res = outcome.response;
  const answer = res ? `${res.status} ${res.headers['content-type'] ?? ''} ${res.body.slice(0, 300)}` : 'no answer';
  return `${c.name}: ended ${outcome.ended}, ${answer}\n${target.child.output.slice(-15).join('\n')}`;
}

/** Checks the answer against the case's expectation; an accepted job is canceled and purged. */
async function checkAnswer(target: Api, c: MalformedCase, outcome: RawOutcome): Promise<void> {
  const context = describeOutcome(c, outcome, target);
  const res = outcome.response;
  switch (c.expect.kind) {
    case 'problem': {
      expect(res, context).not.toBeNull();
      expect(res?.status, context).toBe(c.expect.status);
      expect(res?.headers['content-type'], context).toMatch(/^application\/problem\+json/);
      const problem = JSON.parse(res?.body ?? '') as { status: number; code: string; type: string; detail: string };
      expect(problem.code, context).toBe(c.expect.code);
      expect(problem.status, context).toBe(c.expect.status);
      expect(problem.type, context).toBe(`urn:earshot:problem:${c.expect.code}`);
      expect(problem.detail, context).toEqual(expect.any(String));
      return;
    }
    case 'hang-up':
      expect(outcome.ended, context).toBe('client-hung-up');
      return;
    case 'stall': {
      // The process kept serving others meanwhile, and cut the stalled request off at its timeout.
      expect(outcome.healthDuringStall, context).toBe(200);
      expect(res?.status, context).toBe(408);
      const problem = JSON.parse(res?.body ?? '') as { code: string };
      expect(problem.code, context).toBe('REQUEST_TIMEOUT');
      return;
    }
    case 'accepted': {
      expect(res?.status, context).toBe(202);
      const job = JSON.parse(res?.body ?? '') as { id: string };
      expect((await target.client.call(`/v1/jobs/${job.id}`, { method: 'DELETE' })).status, context).toBe(202);
      expect((await target.client.call(`/v1/jobs/${job.id}?purge=true`, { method: 'DELETE' })).status, context).toBe(204);
      return;
    }
  }
}

/** Every file under `dir` (objects, sidecars, temp files), relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/** Nothing in storage (waiting a little: after a hang-up the server cleans up on its own time), and the process answers. */
async function checkStillHealthy(target: Api, name: string): Promise<void> {
  const deadline = Date.now() + 5000;
  let files = await filesUnder(target.dataDir);
  while (files.length > 0 && Date.now() < deadline) {
    await sleep(50);
    files = await filesUnder(target.dataDir);
  }
  expect(files, `${name}: left in storage`).toEqual([]);
  const proc = target.child.process;
  expect({ exitCode: proc.exitCode, signal: proc.signalCode }, `${name}: the API exited\n${group.tails()}`).toEqual({ exitCode: null, signal: null });
  const health = await fetch(`${target.client.baseUrl}/healthz`);
  expect(health.status, name).toBe(200);
  expect(target.child.output.filter((line) => CRASH_LINE.test(line)), `${name}: crash or 5xx in the API's output`).toEqual([]);
}

// ---------- stack ----------

async function startApi(name: string): Promise<Api> {
  const [port, dataDir] = await Promise.all([freePort(), mkdtemp(join(tmpdir(), `earshot-malformed-${name}-`))]);
  const baseUrl = `http://127.0.0.1:${port}`;
  const env = {
    ...runEnv(names, SHARED_REDIS_URL),
    EARSHOT_API_KEYS: `${API_KEY}:malformed`,
    EARSHOT_API_WEBHOOK_WORKER: 'false',
    EARSHOT_STORAGE: 'fs',
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_HOST: '127.0.0.1',
    EARSHOT_PORT: String(port),
    EARSHOT_PUBLIC_URL: baseUrl,
    EARSHOT_MAX_UPLOAD_BYTES: String(CORPUS_LIMITS.maxUploadBytes),
    EARSHOT_REQUEST_TIMEOUT_MS: String(CORPUS_LIMITS.requestTimeoutMs),
  };
  const child = await group.start(name, 'apps/api/dist/main.js', env, API_READY);
  return { child, port, dataDir, client: createApiClient({ baseUrl, apiKey: API_KEY, context: () => group.tails() }) };
}

beforeAll(async () => {
  await buildApps(['apps/api']); // the child runs the built API
  redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: null });
  api = await startApi('api');
});

afterAll(async () => {
  await group.stopAll();
  if (redis) {
    await deleteRunKeys(redis, names);
    await redis.quit();
  }
  if (api) await rm(api.dataDir, { recursive: true, force: true });
});

describe('malformed requests against the API process', () => {
  // One test per case, named exactly as in the corpus (it.each would truncate long names).
  for (const c of CASES) {
    it(c.name, async () => {
      const outcome = await sendCase(api, c);
      await checkAnswer(api, c, outcome);
      await checkStillHealthy(api, c.name);
    });
  }

  it('the cases that used to crash it only now and then, many at once', async () => {
    // These failed while the store's put was still busy before reading the upload (a mkdir):
    // concurrency makes that window wide. Every copy must get its own stated answer.
    const racy = [
      'multipart-parts/two-file-parts',
      'multipart-parts/other-file-part-before-file',
      'multipart-parts/other-file-part-after-file',
      'multipart-fields/repeated-after-file',
      'multipart-fields/oversize-after-file',
      'multipart-fields/too-many-after-file',
      'multipart-truncated/part-2/in-body',
      'multipart-hang-up/part-2/in-body',
    ].map((name) => {
      const c = CASES.find((candidate) => candidate.name === name);
      if (!c) throw new Error(`no corpus case ${name}`);
      return c;
    });
    const copies = racy.flatMap((c) => Array.from({ length: 8 }, () => c));
    const outcomes = await Promise.all(copies.map((c) => sendCase(api, c)));
    for (const [i, c] of copies.entries()) {
      const outcome = outcomes[i];
      if (!outcome) throw new Error(`no outcome for ${c.name}`);
      await checkAnswer(api, c, outcome);
    }
    await checkStillHealthy(api, 'racy cases');
  });

  it('still accepts a valid upload afterwards', async () => {
    const valid = validJobRequest();
    const res = await api.client.submit({ headers: { 'content-type': valid.contentType }, body: valid.body });
    const job = res.body as { id: string; status: string };
    expect(res.status, JSON.stringify(job)).toBe(202);
    expect(job.status).toBe('queued');
    expect(await filesUnder(join(api.dataDir, 'tmp'))).toEqual([]);
    expect((await filesUnder(join(api.dataDir, 'objects'))).length).toBe(1);
    expect(api.child.output.filter((line) => CRASH_LINE.test(line))).toEqual([]);
  });
});
