/**
 * `earshot submit|status|result|jobs`: the CLI as a client of a running Earshot API. The API's URL
 * and key come from `--url` / `--api-key` or EARSHOT_URL / EARSHOT_API_KEY.
 */
import { existsSync } from 'node:fs';
import { CLIENT_ENV } from '@earshot/core/config/client-config';
import type { EnvSource } from '@earshot/core/config/env';
import { ApiError, createApiClient, FINAL_STATUSES, isFinal, type ApiClient, type ClientJob, type SubmitOptions } from './api-client.js';
import { createProgressLine } from './progress-line.js';

export const DEFAULT_API_URL = 'http://127.0.0.1:8080';
/** How often `--wait` asks for the job's state. */
const POLL_MS = 500;

export interface ConnectionOptions {
  url?: string;
  apiKey?: string;
}

export interface SubmitCliOptions extends ConnectionOptions {
  wait?: boolean;
  language?: string;
  itn?: boolean;
  languages?: string[];
  channels?: string;
  channelNames?: string[];
  format?: string;
  webhook?: string;
  progress?: boolean;
}

/** Streams the commands write to (the process's, or a test's). */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown; isTTY?: boolean };
}

const PROCESS_IO: CliIo = { stdout: process.stdout, stderr: process.stderr };

/** The client of the configured API, or a usage error (exit 2) when no key is given. */
export function clientOf(opts: ConnectionOptions, env: EnvSource): ApiClient {
  const apiKey = opts.apiKey ?? env[CLIENT_ENV.apiKey];
  if (!apiKey) throw new UsageError('no API key: pass --api-key or set EARSHOT_API_KEY (the dev API prints one and saves it in data/dev-api-key)');
  return createApiClient({ baseUrl: opts.url ?? env[CLIENT_ENV.url] ?? DEFAULT_API_URL, apiKey });
}

export class UsageError extends Error {}

/** Runs a client command: API errors → one line on stderr and exit 1; usage errors → exit 2. */
export async function runClientCommand(run: () => Promise<number>, io: CliIo = PROCESS_IO): Promise<number> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`earshot: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ApiError) {
      io.stderr.write(`earshot: ${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

export async function runSubmit(source: string, opts: SubmitCliOptions, env: EnvSource, io: CliIo = PROCESS_IO): Promise<number> {
  const client = clientOf(opts, env);
  const options: SubmitOptions = {};
  if (opts.language) options.language = opts.language;
  if (opts.itn) options.itn = true;
  if (opts.languages) options.languages = opts.languages;
  if (opts.channels) options.channels = opts.channels;
  if (opts.channelNames) options.channelNames = opts.channelNames;
  if (opts.webhook) options.webhook = { url: opts.webhook };
  const remote = /^(https?|s3):\/\//i.test(source);
  if (!remote && !existsSync(source)) throw new UsageError(`${source}: no such file (give a path, an https:// URL or an s3:// URI)`);
  const job = remote ? await client.submitRemote(source, options) : await client.submitFile(source, options);
  if (!opts.wait) {
    io.stdout.write(`${job.id}\n`);
    return 0;
  }
  io.stderr.write(`job ${job.id} ${job.status}\n`);
  const done = await waitForJob(client, job, { progress: opts.progress ?? io.stderr.isTTY === true, io });
  if (done.status !== 'completed') {
    io.stderr.write(`earshot: job ${done.id} ${done.status}${done.error ? `: ${done.error.code}: ${done.error.message}` : ''}\n`);
    return 1;
  }
  io.stdout.write(ensureNewline(await client.result(done.id, opts.format ?? 'rich')));
  return 0;
}

/**
 * Waits until the job is final, drawing a progress line on stderr when asked: follows the job's
 * event stream (progress and each decoded segment as they happen), and polls the job instead
 * when the stream is not there (an older server) or breaks off.
 */
export async function waitForJob(client: ApiClient, first: ClientJob, options: { progress: boolean; io: CliIo }): Promise<ClientJob> {
  const line = options.progress ? createProgressLine(options.io.stderr) : null;
  let segments = 0;
  const label = (phase: string | null, status: string): string => `${phase ?? status}${segments > 0 ? ` · ${segments} segments` : ''}`;
  try {
    for await (const event of client.events(first.id)) {
      if (event.type === 'segment') segments++;
      // A retried run starts over (a new processing status, its segments again from index 0).
      else if (event.type === 'status' && event.status === 'processing') segments = 0;
      if (event.type !== 'segment') line?.update(event.progress, label(event.phase, event.type === 'status' ? event.status : 'processing'));
      if (event.type === 'status' && FINAL_STATUSES.has(event.status)) break;
    }
  } catch {
    // No stream (an older server, a proxy in the way) or a broken one: poll below, where a job
    // that is really gone ends with the API's NOT_FOUND.
  }
  let job = await client.getJob(first.id);
  while (!isFinal(job)) {
    line?.update(job.progress, label(job.phase, job.status));
    await new Promise((r) => setTimeout(r, POLL_MS));
    job = await client.getJob(job.id);
  }
  line?.done(job.status);
  return job;
}

export async function runStatus(id: string, opts: ConnectionOptions & { json?: boolean }, env: EnvSource, io: CliIo = PROCESS_IO): Promise<number> {
  const job = await clientOf(opts, env).getJob(id);
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(job, null, 2)}\n`);
    return 0;
  }
  const rows: [string, string][] = [
    ['id', job.id],
    ['status', job.status],
    ['progress', `${Math.round(job.progress * 100)} %${job.phase ? ` (${job.phase})` : ''}`],
    ['created', job.createdAt],
    ['audio', job.audio ? `${job.audio.durationS.toFixed(1)} s${job.audio.exact ? '' : ' (declared)'}` : 'unknown'],
  ];
  if (job.result) rows.push(['result', `${job.result.segments} segments, language ${job.result.language ?? 'none'}${job.result.synthetic ? ', SYNTHETIC MODEL (not a transcription)' : ''}`]);
  if (job.error) rows.push(['error', `${job.error.code}: ${job.error.message}`]);
  io.stdout.write(rows.map(([k, v]) => `${k.padEnd(9)}${v}\n`).join(''));
  return 0;
}

export async function runResult(id: string, opts: ConnectionOptions & { format: string }, env: EnvSource, io: CliIo = PROCESS_IO): Promise<number> {
  io.stdout.write(ensureNewline(await clientOf(opts, env).result(id, opts.format)));
  return 0;
}

export async function runJobs(opts: ConnectionOptions & { status?: string; limit: number }, env: EnvSource, io: CliIo = PROCESS_IO): Promise<number> {
  const { jobs } = await clientOf(opts, env).listJobs({ limit: opts.limit, ...(opts.status ? { status: opts.status } : {}) });
  const rows = jobs.map((j) => [
    j.id,
    j.status,
    j.result ? `${j.result.durationS.toFixed(1)} s` : j.audio ? `${j.audio.durationS.toFixed(1)} s` : '-',
    j.result?.language ?? '-',
    j.createdAt,
  ]);
  const header = ['ID', 'STATUS', 'DURATION', 'LANGUAGE', 'CREATED'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (r: string[]): string => `${r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()}\n`;
  io.stdout.write(format(header) + rows.map(format).join(''));
  return 0;
}

const ensureNewline = (text: string): string => (text.endsWith('\n') ? text : `${text}\n`);
