/**
 * BlobStore behaviour, one suite run against both implementations: the fs store on a temp
 * directory and the S3 store on a real S3 server (radosgw started by scripts/s3-server.sh, or
 * EARSHOT_TEST_S3_ENDPOINT), over the network with SigV4. Each run gets its own bucket
 * (S3) or directory (fs) and removes it afterwards.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '@earshot/core/errors/app-error';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { createBlobStore } from '@earshot/core/storage/create-blob-store';
import { FsBlobStore } from '@earshot/core/storage/fs-blob-store';
import { audioKey, jobPrefix, resultKey } from '@earshot/core/storage/keys';
import { S3BlobStore } from '@earshot/core/storage/s3-blob-store';
import { parseS3Uri } from '@earshot/core/storage/s3-uri';
import { makeTestBucket, type TestBucket } from './setup/s3.js';

const MB = 1_000_000;

/** Resolves to the AppError `promise` rejects with (fails the test if it resolves or throws something else). */
async function appErrorOf(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

/** `bytes` as a stream of 256 KB chunks, so nothing hands the store one big buffer. */
function chunked(bytes: Buffer): Readable {
  return Readable.from(
    (function* () {
      for (let i = 0; i < bytes.length; i += 256 * 1024) yield bytes.subarray(i, i + 256 * 1024);
    })(),
  );
}

async function readStream(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** The behaviour every BlobStore must have. `getStore` is called after beforeAll ran. */
function blobStoreContract(getStore: () => BlobStore): void {
  it('stores bytes with content type and metadata, and reads them back', async () => {
    const store = getStore();
    const key = resultKey('t1', 'job-bytes', 'json');
    const body = Buffer.from(JSON.stringify({ text: '你好 world' }));
    const put = await store.put(key, body, { contentType: 'application/json', metadata: { 'job-id': 'job-bytes' } });
    expect(put).toEqual({ key, size: body.length });
    expect(Buffer.from(await store.getBytes(key)).equals(body)).toBe(true);
    expect(await store.head(key)).toEqual({ size: body.length, contentType: 'application/json', metadata: { 'job-id': 'job-bytes' } });
    // Overwrite replaces bytes and metadata.
    await store.put(key, Buffer.from('v2'));
    expect(Buffer.from(await store.getBytes(key)).toString()).toBe('v2');
    expect(await store.head(key)).toEqual({ size: 2, contentType: 'application/octet-stream', metadata: {} });
  });

  it('streams a 12 MB body in and out byte-identically (multipart on S3)', async () => {
    const store = getStore();
    const bytes = randomBytes(12 * MB);
    const key = audioKey('t1', 'job-big', 'wav');
    const put = await store.put(key, chunked(bytes), { contentType: 'audio/wav', contentLength: bytes.length });
    expect(put.size).toBe(bytes.length);
    const back = await readStream(await store.getStream(key));
    expect(back.length).toBe(bytes.length);
    expect(sha256(back)).toBe(sha256(bytes));
    expect((await store.head(key))?.size).toBe(bytes.length);
  });

  it('reads byte ranges with inclusive, clamped ends and refuses ranges past the end', async () => {
    const store = getStore();
    const bytes = randomBytes(1000);
    const key = 'ranges/blob.bin';
    await store.put(key, bytes);
    expect((await readStream(await store.getStream(key, { start: 100, end: 199 }))).equals(bytes.subarray(100, 200))).toBe(true);
    expect((await readStream(await store.getStream(key, { start: 990 }))).equals(bytes.subarray(990))).toBe(true);
    expect((await readStream(await store.getStream(key, { start: 995, end: 5000 }))).equals(bytes.subarray(995))).toBe(true);
    const past = await appErrorOf(store.getStream(key, { start: 1000 }));
    expect([past.code, past.httpStatus]).toEqual(['VALIDATION_FAILED', 416]);
    expect((await appErrorOf(store.getStream(key, { start: 10, end: 5 }))).code).toBe('VALIDATION_FAILED');
  });

  it('reports a missing key as NOT_FOUND (head: null)', async () => {
    const store = getStore();
    const key = 'missing/nothing-here.bin';
    expect(await store.head(key)).toBeNull();
    const get = await appErrorOf(store.getBytes(key));
    expect([get.code, get.httpStatus, get.retryable]).toEqual(['NOT_FOUND', 404, false]);
    expect((await appErrorOf(store.getStream(key))).code).toBe('NOT_FOUND');
    expect((await appErrorOf(store.getStream(key, { start: 0, end: 9 }))).code).toBe('NOT_FOUND');
  });

  it('lists keys in order, page by page with a cursor, within the prefix only', async () => {
    const store = getStore();
    const names = ['a', 'b', 'c/d', 'c/e', 'f', 'g.txt', 'h'];
    for (const n of names) await store.put(`listing/x/${n}`, Buffer.from(n));
    await store.put('listing/xy/outside', Buffer.from('no'));
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.list('listing/x/', cursor === undefined ? { limit: 3 } : { limit: 3, cursor });
      seen.push(...page.keys);
      pageSizes.push(page.keys.length);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(seen).toEqual(names.map((n) => `listing/x/${n}`));
    expect(pageSizes).toEqual([3, 3, 1]);
    // A prefix need not end at a segment boundary.
    expect((await store.list('listing/x')).keys).toHaveLength(names.length + 1);
    expect((await store.list('listing/x/c/')).keys).toEqual(['listing/x/c/d', 'listing/x/c/e']);
    expect(await store.list('listing/none/')).toEqual({ keys: [], nextCursor: null });
  });

  it('deletes one key and everything under a prefix, and nothing else', async () => {
    const store = getStore();
    const prefix = jobPrefix('t2', 'job-del');
    const keys = [audioKey('t2', 'job-del', 'mp3'), resultKey('t2', 'job-del', 'json'), resultKey('t2', 'job-del', 'srt')];
    for (const k of keys) await store.put(k, Buffer.from(k));
    const neighbour = audioKey('t2', 'job-del2', 'mp3'); // shares the string prefix without the slash
    await store.put(neighbour, Buffer.from('keep'));

    await store.delete(keys[0] as string);
    expect(await store.head(keys[0] as string)).toBeNull();
    await store.delete(keys[0] as string); // deleting a missing key is fine

    expect(await store.deletePrefix(prefix)).toBe(2);
    expect((await store.list(prefix)).keys).toEqual([]);
    expect(Buffer.from(await store.getBytes(neighbour)).toString()).toBe('keep');
    expect(await store.deletePrefix(prefix)).toBe(0);
    expect((await appErrorOf(store.deletePrefix(''))).code).toBe('VALIDATION_FAILED');
  });

  it('fails a put whose body length differs from contentLength, storing nothing', async () => {
    const store = getStore();
    const key = 'length/mismatch.bin';
    const streamed = await appErrorOf(store.put(key, chunked(randomBytes(1000)), { contentLength: 999 }));
    expect(streamed.code).toBe('VALIDATION_FAILED');
    expect(await store.head(key)).toBeNull();
    expect((await appErrorOf(store.put(key, randomBytes(10), { contentLength: 11 }))).code).toBe('VALIDATION_FAILED');
    expect(await store.head(key)).toBeNull();
  });

  it('rethrows an error of the source stream as it is and stores nothing', async () => {
    const store = getStore();
    const key = 'aborted/upload.bin';
    const boom = new Error('client went away');
    const source = Readable.from(
      (async function* () {
        yield randomBytes(64 * 1024);
        throw boom;
      })(),
    );
    await expect(store.put(key, source)).rejects.toBe(boom);
    expect(await store.head(key)).toBeNull();
  });

  it('refuses unsafe keys and bad metadata with VALIDATION_FAILED', async () => {
    const store = getStore();
    for (const key of ['../x', 'a/../../x', '/abs', 'a//b', 'a/./b', 'nul\0byte', 'back\\slash', 'dir/', '']) {
      expect((await appErrorOf(store.put(key, Buffer.from('x')))).code).toBe('VALIDATION_FAILED');
      expect((await appErrorOf(store.getBytes(key))).code).toBe('VALIDATION_FAILED');
    }
    expect((await appErrorOf(store.list('../'))).code).toBe('VALIDATION_FAILED');
    expect((await appErrorOf(store.put('meta/k', Buffer.from('x'), { metadata: { Upper: 'x' } }))).code).toBe('VALIDATION_FAILED');
    expect((await appErrorOf(store.put('meta/k', Buffer.from('x'), { metadata: { k: 'é' } }))).code).toBe('VALIDATION_FAILED');
  });

  it('passes its readiness check', async () => {
    await expect(getStore().check()).resolves.toBeUndefined();
  });
}

describe('FsBlobStore', () => {
  let parent: string;
  let store: FsBlobStore;
  beforeAll(async () => {
    parent = await mkdtemp(join(tmpdir(), 'earshot-fs-store-'));
    store = createBlobStore({ kind: 'fs', root: join(parent, 'root') }) as FsBlobStore;
  });
  afterAll(async () => {
    await rm(parent, { recursive: true, force: true });
  });

  blobStoreContract(() => store);

  it('cannot write or read outside its root', async () => {
    const outside = join(parent, 'x');
    expect((await appErrorOf(store.put('../x', Buffer.from('escape')))).code).toBe('VALIDATION_FAILED');
    expect((await appErrorOf(store.put('a/../../../x', Buffer.from('escape')))).code).toBe('VALIDATION_FAILED');
    expect(existsSync(outside)).toBe(false);
    expect(existsSync(dirname(outside))).toBe(true);
  });

  it('does not presign (null)', async () => {
    expect(await store.presignPut('a/b', { expiresS: 60 })).toBeNull();
    expect(await store.presignGet('a/b', { expiresS: 60 })).toBeNull();
  });

  it('fails its readiness check when the root cannot be created', async () => {
    await writeFile(join(parent, 'a-file'), 'not a directory');
    const blocked = new FsBlobStore({ root: join(parent, 'a-file', 'root') });
    const err = await appErrorOf(blocked.check());
    expect([err.code, err.details?.reason]).toEqual(['STORAGE_ERROR', 'ENOTDIR']);
  });
});

describe('S3BlobStore (real S3 server)', () => {
  let bucket: TestBucket;
  let store: S3BlobStore;
  const prefix = `run-${randomUUID()}/`;
  beforeAll(async () => {
    bucket = await makeTestBucket();
    store = createBlobStore({
      kind: 's3',
      bucket: bucket.bucket,
      endpoint: bucket.endpoint,
      region: bucket.region,
      forcePathStyle: 'true',
      accessKeyId: bucket.accessKeyId,
      secretAccessKey: bucket.secretAccessKey,
      prefix,
      partSizeMiB: 5,
    }) as S3BlobStore;
  });
  afterAll(async () => {
    store?.destroy();
    await bucket?.cleanup();
  });

  blobStoreContract(() => store);

  it('stores keys under the configured prefix and uploads big streams in parts', async () => {
    const key = 'parts/big.bin';
    await store.put(key, chunked(randomBytes(11 * MB)));
    const raw = await bucket.client.send(new HeadObjectCommand({ Bucket: bucket.bucket, Key: `${prefix}${key}` }));
    // A multipart ETag is "<md5 of part md5s>-<part count>": 11 MB in 5 MiB parts = 3 parts.
    expect(raw.ETag).toMatch(/-3"$/);
  });

  it('presigns a PUT and a GET that plain fetch can use, and nothing else', async () => {
    const key = 'presigned/upload.txt';
    const putUrl = await store.presignPut(key, { expiresS: 300, contentType: 'text/plain' });
    const res = await fetch(putUrl, { method: 'PUT', body: 'hello presigned', headers: { 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await store.getBytes(key)).toString()).toBe('hello presigned');
    expect((await store.head(key))?.contentType).toBe('text/plain');

    const getUrl = await store.presignGet(key, { expiresS: 300 });
    const got = await fetch(getUrl);
    expect(await got.text()).toBe('hello presigned');
    // The signature covers the key: the same URL for another key is refused.
    const swapped = await fetch(getUrl.replace('upload.txt', 'other.txt'));
    expect(swapped.status).toBe(403);
    await swapped.body?.cancel();
  });

  it('is refused by the server with a wrong secret (STORAGE_ERROR, not retryable) or without signature', async () => {
    const wrong = new S3BlobStore({
      bucket: bucket.bucket,
      endpoint: bucket.endpoint,
      region: bucket.region,
      accessKeyId: bucket.accessKeyId,
      secretAccessKey: `${bucket.secretAccessKey}-wrong`,
      maxAttempts: 1,
    });
    try {
      const err = await appErrorOf(wrong.put('auth/x', Buffer.from('x')));
      expect(err.code).toBe('STORAGE_ERROR');
      expect(err.retryable).toBe(false);
      expect(err.details?.reason).toBe('SignatureDoesNotMatch');
      expect((await appErrorOf(wrong.check())).code).toBe('STORAGE_ERROR');
    } finally {
      wrong.destroy();
    }
    expect(await store.head('auth/x')).toBeNull();
    const anonymous = await fetch(`${bucket.endpoint}/${bucket.bucket}/${prefix}auth/x`, { method: 'PUT', body: 'x' });
    expect(anonymous.status).toBe(403);
    await anonymous.body?.cancel();
  });

  it('reads an object named by s3:// URI, ignoring the store prefix', async () => {
    await store.put('external/source.wav', Buffer.from('RIFF....'));
    const ref = parseS3Uri(`s3://${bucket.bucket}/${prefix}external/source.wav`);
    expect((await readStream(await store.getExternalStream(ref.bucket, ref.key))).toString()).toBe('RIFF....');
    const missing = await appErrorOf(store.getExternalStream(bucket.bucket, `${prefix}external/missing.wav`));
    expect([missing.code, missing.retryable]).toEqual(['SOURCE_NOT_FOUND', false]);
  });

  it('creates buckets idempotently and reports a missing bucket in check()', async () => {
    await expect(store.ensureBucket()).resolves.toBeUndefined();
    const other = new S3BlobStore({ ...bucket, bucket: `${bucket.bucket}-absent`, maxAttempts: 1 });
    try {
      const err = await appErrorOf(other.check());
      expect([err.code, err.details?.reason]).toEqual(['STORAGE_ERROR', 'NoSuchBucket']);
    } finally {
      other.destroy();
    }
  });
});

describe('S3BlobStore when the server is away', () => {
  /** A TCP server on loopback; `answer: false` accepts connections and never says a word (a frozen server). */
  async function tcpServer(): Promise<{ server: Server; port: number; sockets: Socket[] }> {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (typeof address !== 'object' || address === null) throw new Error('no address');
    return { server, port: address.port, sockets };
  }

  function storeAt(port: number): S3BlobStore {
    return new S3BlobStore({ bucket: 'earshot-away', endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's', operationTimeoutMs: 800 });
  }

  it('fails with STORAGE_UNAVAILABLE (retryable) at once when nothing listens', async () => {
    const { server, port } = await tcpServer();
    await new Promise<void>((resolve) => server.close(() => resolve())); // the port is now closed
    const store = storeAt(port);
    try {
      for (const op of [() => store.head('a'), () => store.getStream('a'), () => store.delete('a'), () => store.put('a', Buffer.from('x')), () => store.check()]) {
        const started = performance.now();
        const err = await appErrorOf(op());
        expect([err.code, err.retryable, err.httpStatus]).toEqual(['STORAGE_UNAVAILABLE', true, 503]);
        expect(performance.now() - started).toBeLessThan(2000);
      }
    } finally {
      store.destroy();
    }
  });

  it('fails with STORAGE_UNAVAILABLE after operationTimeoutMs when the server accepts but never answers', async () => {
    const { server, port, sockets } = await tcpServer();
    const store = storeAt(port);
    try {
      const ops = [
        () => store.head('a'),
        () => store.getStream('a'),
        () => store.check(),
        () => store.put('a', Buffer.alloc(1000)),
        // A streamed upload: the client's stream ends, the server never answers.
        () => store.put('b', Readable.from([Buffer.alloc(1000), Buffer.alloc(1000)])),
      ];
      for (const op of ops) {
        const started = performance.now();
        const err = await appErrorOf(op());
        expect([err.code, err.details?.reason]).toEqual(['STORAGE_UNAVAILABLE', 'TimeoutError']);
        expect(performance.now() - started).toBeLessThan(5000);
      }
      expect(sockets.length).toBeGreaterThan(0); // the requests did reach the silent server
    } finally {
      store.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
