/**
 * Getting a job's audio: into a temp file the engine decodes from its path (`fetchSourceToFile`,
 * what the worker does: a long file is never held whole), or into memory (`fetchSourceBytes`). Three kinds
 * of source (JobSource): an upload in our blob store, an `s3://` object the client
 * named, or a URL we download. Every path enforces `maxBytes` while reading, so a
 * lying Content-Length or an endless stream cannot exhaust memory.
 *
 * Errors are AppErrors whose `retryable` drives BullMQ: a missing object, a 4xx
 * answer or an oversized source fail at once; 5xx, timeouts and network errors
 * are retried with backoff.
 */
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError, isAppError } from '@earshot/core/errors/app-error';
import type { JobSource } from '@earshot/core/jobs/job-record';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { parseS3Uri } from '@earshot/core/storage/s3-uri';
import { assertPublicDestination } from '@earshot/core/net/destination-guard';

export interface SourceFetchOptions {
  store: BlobStore;
  /** Largest source accepted. */
  maxBytes: number;
  /** Whole-download timeout for URL sources. */
  urlTimeoutMs: number;
  /** Aborts a download in progress (job canceled, worker shutting down). */
  signal?: AbortSignal;
  /** Let URLs (and their redirects) reach loopback/private addresses. @defaultValue false */
  allowPrivateNetwork?: boolean;
}

/** A job's audio in a temp file; `release` deletes it (safe to call more than once). */
export interface SourceFile {
  path: string;
  release(): Promise<void>;
}

/**
 * Streams the job's audio into a fresh temp directory under `tempDir` (default: the OS temp
 * directory), enforcing `maxBytes` while writing. On failure nothing is left behind.
 */
export async function fetchSourceToFile(source: JobSource, options: SourceFetchOptions & { tempDir?: string }): Promise<SourceFile> {
  const dir = await mkdtemp(join(options.tempDir ?? tmpdir(), 'earshot-source-'));
  const path = join(dir, 'source');
  let released = false;
  const release = async (): Promise<void> => {
    if (released) return;
    released = true;
    await rm(dir, { recursive: true, force: true });
  };
  let file: FileHandle | null = null;
  try {
    file = await open(path, 'w');
    const sink = file;
    const write = async (chunk: Uint8Array): Promise<void> => void (await sink.write(chunk));
    switch (source.kind) {
      case 'storage':
        await storedObject(source.key, options, (stream) => copyLimited(stream, options.maxBytes, `uploaded audio ${source.key}`, write));
        break;
      case 's3': {
        const stream = await openS3(source.uri, options);
        await copyLimited(stream, options.maxBytes, source.uri, write);
        break;
      }
      case 'url':
        await fetchUrlTo(source.url, urlOptions(options), write);
        break;
    }
    await file.close();
    file = null;
    return { path, release };
  } catch (err) {
    await file?.close().catch(() => undefined);
    await release();
    throw err;
  }
}

/** Reads the job's audio, whole, into memory. */
export async function fetchSourceBytes(source: JobSource, options: SourceFetchOptions): Promise<Uint8Array> {
  switch (source.kind) {
    case 'storage':
      return fetchStoredBytes(source.key, options);
    case 's3':
      return fetchS3Bytes(source.uri, options);
    case 'url':
      return fetchUrlBytes(source.url, urlOptions(options));
  }
}

function urlOptions(options: SourceFetchOptions): UrlFetchOptions {
  return {
    maxBytes: options.maxBytes,
    timeoutMs: options.urlTimeoutMs,
    signal: options.signal,
    allowPrivateNetwork: options.allowPrivateNetwork ?? false,
  };
}

function fetchStoredBytes(key: string, options: SourceFetchOptions): Promise<Uint8Array> {
  return storedObject(key, options, (stream) => readLimited(stream, options.maxBytes, `uploaded audio ${key}`));
}

/** Runs `read` on the stored object's stream; a missing object is SOURCE_NOT_FOUND. */
async function storedObject<T>(key: string, options: SourceFetchOptions, read: (stream: Readable) => Promise<T>): Promise<T> {
  try {
    return await read(await options.store.getStream(key));
  } catch (err) {
    // The upload was deleted (job deleted, retention) or never completed (presigned upload not done).
    if (isAppError(err) && err.code === 'NOT_FOUND') {
      throw new AppError('SOURCE_NOT_FOUND', `uploaded audio is missing from storage (${key})`, { cause: err });
    }
    throw err;
  }
}

async function fetchS3Bytes(uri: string, options: SourceFetchOptions): Promise<Uint8Array> {
  return readLimited(await openS3(uri, options), options.maxBytes, uri);
}

function openS3(uri: string, options: SourceFetchOptions): Promise<Readable> {
  const { bucket, key } = parseS3Uri(uri);
  const external = options.store.external;
  if (!external) {
    throw new AppError('SOURCE_FETCH_FAILED', `s3:// sources need EARSHOT_STORAGE=s3; this worker uses ${options.store.description}`, {
      retryable: false,
    });
  }
  return external.open(bucket, key);
}

export interface UrlFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  /** @defaultValue false */
  allowPrivateNetwork?: boolean;
}

/** Redirects followed before giving up. */
const MAX_REDIRECTS = 5;

/** Statuses worth another try although they are 4xx. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

/** Downloads `url` (redirects followed), streaming and counting bytes; aborts past `maxBytes`. */
export async function fetchUrlBytes(url: string, options: UrlFetchOptions): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  const total = await fetchUrlTo(url, options, (chunk) => void chunks.push(chunk));
  return Buffer.concat(chunks, total);
}

/** `fetchUrlBytes`, handing each chunk to `write` (awaited: back-pressure) instead; returns the byte count. */
async function fetchUrlTo(url: string, options: UrlFetchOptions, write: (chunk: Uint8Array) => void | Promise<void>): Promise<number> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const where = redactUrl(url);
  // Redirects are followed by hand so that every hop passes the private-address guard.
  let response: Response;
  let target = new URL(url);
  for (let hop = 0; ; hop++) {
    if (!options.allowPrivateNetwork) await guardSource(target, where);
    try {
      response = await fetch(target, { signal, redirect: 'manual', headers: { accept: 'audio/*, video/*, */*' } });
    } catch (err) {
      throw fetchError(err, where, options, timeout);
    }
    const location = response.headers.get('location');
    if (response.status < 300 || response.status >= 400 || location === null) break;
    await response.body?.cancel().catch(() => {});
    if (hop >= MAX_REDIRECTS) {
      throw new AppError('SOURCE_FETCH_FAILED', `GET ${where}: more than ${MAX_REDIRECTS} redirects`, { retryable: false });
    }
    target = new URL(location, target);
    if (target.protocol !== 'https:' && target.protocol !== 'http:') {
      throw new AppError('SOURCE_FETCH_FAILED', `GET ${where} redirected to a ${target.protocol} URL`, { retryable: false });
    }
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const retryable = response.status >= 500 || RETRYABLE_4XX.has(response.status);
    throw new AppError('SOURCE_FETCH_FAILED', `GET ${where} answered HTTP ${response.status}`, {
      retryable,
      details: { url: where, status: response.status },
    });
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge(where, options.maxBytes);
  }
  if (!response.body) return 0;
  let total = 0;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > options.maxBytes) {
        await reader.cancel().catch(() => {});
        throw tooLarge(where, options.maxBytes);
      }
      await write(value);
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    throw fetchError(err, where, options, timeout);
  }
  return total;
}

async function guardSource(target: URL, where: string): Promise<void> {
  try {
    await assertPublicDestination(target, 'audio URL');
  } catch (err) {
    if (isAppError(err) && err.code === 'VALIDATION_FAILED') {
      // A job-level outcome: the source cannot be fetched, and retrying will not change that.
      throw new AppError('SOURCE_FETCH_FAILED', `GET ${where}: ${err.message}`, { retryable: false, cause: err, details: err.details });
    }
    throw err;
  }
}

/** Reads a stream whole, failing with AUDIO_TOO_LARGE past `maxBytes` (the rest is not read). */
export async function readLimited(stream: Readable, maxBytes: number, what: string): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  const total = await copyLimited(stream, maxBytes, what, (chunk) => void chunks.push(chunk));
  return Buffer.concat(chunks, total);
}

/** Hands `stream`'s chunks to `write` (awaited) while counting; past `maxBytes` → AUDIO_TOO_LARGE. Returns the byte count. */
async function copyLimited(stream: Readable, maxBytes: number, what: string, write: (chunk: Buffer) => void | Promise<void>): Promise<number> {
  let total = 0;
  try {
    for await (const chunk of stream) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      total += buf.length;
      if (total > maxBytes) throw tooLarge(what, maxBytes);
      await write(buf);
    }
  } catch (err) {
    if (isAppError(err)) throw err;
    throw new AppError('STORAGE_ERROR', `reading ${what} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  } finally {
    stream.destroy();
  }
  return total;
}

function tooLarge(what: string, maxBytes: number): AppError {
  return new AppError('AUDIO_TOO_LARGE', `${what} is larger than ${maxBytes} bytes (EARSHOT_SOURCE_MAX_BYTES)`, {
    details: { maxBytes },
  });
}

function fetchError(err: unknown, where: string, options: UrlFetchOptions, timeout: AbortSignal): AppError {
  if (options.signal?.aborted) {
    return new AppError('JOB_CANCELED', `download of ${where} aborted`, { cause: err });
  }
  const message = timeout.aborted
    ? `GET ${where} timed out after ${options.timeoutMs} ms`
    : `GET ${where} failed: ${describeNetworkError(err)}`;
  return new AppError('SOURCE_FETCH_FAILED', message, { cause: err, retryable: true, details: { url: where } });
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: unknown }).cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String((cause as { code: unknown }).code) : null;
  return code ? `${err.message} (${code})` : err.message;
}

/** The URL without credentials or query (signed URLs carry secrets there), for messages and logs. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return '(invalid url)';
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname}`;
}
