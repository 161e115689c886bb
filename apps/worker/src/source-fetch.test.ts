import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@earshot/core/errors/app-error';
import { FsBlobStore } from '@earshot/core/storage/fs-blob-store';
import { fetchSourceBytes, fetchSourceToFile, fetchUrlBytes, readLimited, redactUrl } from './source-fetch.js';

let server: Server;
let base: string;
let dir: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    switch (req.url) {
      case '/chunked': // no Content-Length: only counting while reading can stop it
        res.writeHead(200);
        for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000, i));
        res.end();
        return;
      case '/slow':
        res.writeHead(200);
        res.write('x'); // then nothing
        return;
      case '/busy':
        res.writeHead(429).end();
        return;
      case '/forbidden':
        res.writeHead(403).end();
        return;
      case '/moved':
        res.writeHead(302, { location: '/ok' }).end();
        return;
      case '/loop':
        res.writeHead(301, { location: '/loop' }).end();
        return;
      default:
        res.writeHead(200, { 'content-length': 3 }).end('abc');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'earshot-source-'));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
});

async function failure(work: Promise<unknown>): Promise<AppError> {
  const err = await work.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

// The test server is on 127.0.0.1, which the SSRF guard refuses unless told otherwise.
const opts = { maxBytes: 5000, timeoutMs: 5000, allowPrivateNetwork: true };

describe('fetchUrlBytes', () => {
  it('downloads a body', async () => {
    expect(Buffer.from(await fetchUrlBytes(`${base}/ok`, opts)).toString()).toBe('abc');
  });

  it('stops a body without Content-Length once it passes maxBytes (AUDIO_TOO_LARGE, not retryable)', async () => {
    const err = await failure(fetchUrlBytes(`${base}/chunked`, opts));
    expect([err.code, err.retryable]).toEqual(['AUDIO_TOO_LARGE', false]);
    expect((await fetchUrlBytes(`${base}/chunked`, { ...opts, maxBytes: 10_000 })).byteLength).toBe(10_000);
  });

  it('classifies failures: 403 final, 429 / timeout / refused connection retryable', async () => {
    expect(await failure(fetchUrlBytes(`${base}/forbidden`, opts))).toMatchObject({ code: 'SOURCE_FETCH_FAILED', retryable: false });
    expect(await failure(fetchUrlBytes(`${base}/busy`, opts))).toMatchObject({ code: 'SOURCE_FETCH_FAILED', retryable: true });
    const slow = await failure(fetchUrlBytes(`${base}/slow`, { ...opts, timeoutMs: 300 }));
    expect(slow).toMatchObject({ code: 'SOURCE_FETCH_FAILED', retryable: true });
    expect(slow.message).toContain('timed out');
    expect(await failure(fetchUrlBytes('http://127.0.0.1:1/x.wav', opts))).toMatchObject({ code: 'SOURCE_FETCH_FAILED', retryable: true });
  });

  it('follows redirects, but not forever', async () => {
    expect(Buffer.from(await fetchUrlBytes(`${base}/moved`, opts)).toString()).toBe('abc');
    expect(await failure(fetchUrlBytes(`${base}/loop`, opts))).toMatchObject({ code: 'SOURCE_FETCH_FAILED', retryable: false });
  });

  it('refuses loopback and private destinations by default (SSRF), for good', async () => {
    const err = await failure(fetchUrlBytes(`${base}/ok`, { maxBytes: 5000, timeoutMs: 5000 }));
    expect(err).toMatchObject({ code: 'SOURCE_FETCH_FAILED', retryable: false });
    expect(err.message).toMatch(/private or reserved address/);
    const metadata = await failure(fetchUrlBytes('http://169.254.169.254/latest/meta-data/', { maxBytes: 5000, timeoutMs: 5000 }));
    expect(metadata).toMatchObject({ code: 'SOURCE_FETCH_FAILED', retryable: false });
  });

  it('reports an abort by the caller as JOB_CANCELED', async () => {
    const controller = new AbortController();
    const work = fetchUrlBytes(`${base}/slow`, { ...opts, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(work)).code).toBe('JOB_CANCELED');
  });

  it('keeps query strings and credentials out of messages', () => {
    expect(redactUrl('https://u:p@host.example/a/b.wav?X-Amz-Signature=secret')).toBe('https://host.example/a/b.wav');
  });
});

describe('fetchSourceBytes', () => {
  it('reads an upload from the store; a missing one is SOURCE_NOT_FOUND', async () => {
    const store = new FsBlobStore({ root: dir });
    await store.put('tenants/t/jobs/j/audio/source.wav', Buffer.from('RIFF'));
    const source = { kind: 'storage' as const, key: 'tenants/t/jobs/j/audio/source.wav' };
    expect(Buffer.from(await fetchSourceBytes(source, { store, maxBytes: 100, urlTimeoutMs: 1000 })).toString()).toBe('RIFF');
    expect((await failure(fetchSourceBytes(source, { store, maxBytes: 2, urlTimeoutMs: 1000 }))).code).toBe('AUDIO_TOO_LARGE');
    const missing = { kind: 'storage' as const, key: 'tenants/t/jobs/k/audio/source.wav' };
    expect(await failure(fetchSourceBytes(missing, { store, maxBytes: 100, urlTimeoutMs: 1000 }))).toMatchObject({ code: 'SOURCE_NOT_FOUND', retryable: false });
  });

  it('refuses s3:// sources on a worker without S3 storage, for good', async () => {
    const store = new FsBlobStore({ root: dir });
    const err = await failure(fetchSourceBytes({ kind: 's3', uri: 's3://bucket/key.wav' }, { store, maxBytes: 100, urlTimeoutMs: 1000 }));
    expect([err.code, err.retryable]).toEqual(['SOURCE_FETCH_FAILED', false]);
  });
});

describe('fetchSourceToFile', () => {
  it('streams an upload or a URL into a temp file that release() deletes; on failure nothing is left', async () => {
    const store = new FsBlobStore({ root: dir });
    const tempDir = await mkdtemp(join(tmpdir(), 'earshot-source-file-'));
    try {
      const body = Buffer.alloc(300_000, 7); // several stream chunks
      await store.put('tenants/t/jobs/f/audio/source.wav', body);
      const source = { kind: 'storage' as const, key: 'tenants/t/jobs/f/audio/source.wav' };
      const file = await fetchSourceToFile(source, { store, maxBytes: body.length, urlTimeoutMs: 1000, tempDir });
      expect((await readFile(file.path)).equals(body)).toBe(true);
      await file.release();
      await file.release(); // twice is fine
      expect(await readdir(tempDir)).toEqual([]);

      const fromUrl = await fetchSourceToFile({ kind: 'url', url: `${base}/chunked` }, { store, maxBytes: 100_000, urlTimeoutMs: 5000, allowPrivateNetwork: true, tempDir });
      expect((await readFile(fromUrl.path)).length).toBe(10_000);
      await fromUrl.release();

      const failures = [
        fetchSourceToFile(source, { store, maxBytes: body.length - 1, urlTimeoutMs: 1000, tempDir }),
        fetchSourceToFile({ kind: 'storage', key: 'tenants/t/jobs/none/audio/source.wav' }, { store, maxBytes: 100, urlTimeoutMs: 1000, tempDir }),
        fetchSourceToFile({ kind: 'url', url: `${base}/chunked` }, { store, maxBytes: 5_000, urlTimeoutMs: 5000, allowPrivateNetwork: true, tempDir }),
      ];
      expect((await Promise.all(failures.map(failure))).map((e) => e.code)).toEqual(['AUDIO_TOO_LARGE', 'SOURCE_NOT_FOUND', 'AUDIO_TOO_LARGE']);
      expect(await readdir(tempDir)).toEqual([]);
    } finally {
      await rm(tempDir, { recursive: true, force: true });
    }
  });
});

describe('readLimited', () => {
  it('reads a stream up to the limit', async () => {
    expect((await readLimited(Readable.from([Buffer.alloc(3), Buffer.alloc(4)]), 7, 'x')).byteLength).toBe(7);
    expect((await failure(readLimited(Readable.from([Buffer.alloc(3), Buffer.alloc(5)]), 7, 'x'))).code).toBe('AUDIO_TOO_LARGE');
  });
});
