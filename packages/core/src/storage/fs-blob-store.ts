import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { constants, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors/app-error.js';
import {
  DEFAULT_CONTENT_TYPE,
  type BlobHead,
  type BlobStore,
  type ByteRange,
  type ListOptions,
  type ListPage,
  type PresignOptions,
  type PutOptions,
  type PutResult,
} from './blob-store.js';
import {
  lengthMismatch,
  rangeNotSatisfiable,
  validateContentLength,
  validateKey,
  validateListLimit,
  validateMetadata,
  validatePrefix,
  validateRange,
} from './blob-validation.js';
import { byteCounter, watchSourceError } from './byte-counter.js';

export interface FsBlobStoreOptions {
  /** Directory holding everything; created on first use. */
  root: string;
}

/** What the sidecar JSON of an object holds (its size comes from the data file). */
interface Sidecar {
  contentType: string;
  metadata: Record<string, string>;
}

/**
 * BlobStore on a local directory, the embedded default. Layout under `root`:
 *   objects/<key>   the bytes (key segments are path segments)
 *   meta/<key>      sidecar JSON { contentType, metadata }
 *   tmp/            puts are written here, fsynced, then renamed into place (atomic on one fs)
 * Keys are validated (`validateKey`) and every path is re-checked to stay under `root`, so a key
 * can never reach outside it. Symlinks inside `root` are never followed.
 * Limitation: a key cannot also be a "directory" of another key (`a` and `a/b`): such a put fails
 * with CONFLICT. Earshot's key layout (keys.ts) never does that.
 */
export class FsBlobStore implements BlobStore {
  readonly description: string;
  private readonly root: string;
  private readonly objectsDir: string;
  private readonly metaDir: string;
  private readonly tmpDir: string;

  constructor(options: FsBlobStoreOptions) {
    this.root = resolve(options.root);
    this.objectsDir = join(this.root, 'objects');
    this.metaDir = join(this.root, 'meta');
    this.tmpDir = join(this.root, 'tmp');
    this.description = `file://${this.root}`;
  }

  /**
   * A stream body is listened to before anything else happens (the first await is a mkdir), so
   * it may fail at any time after the call: its error fails the put as it is, and nothing stays
   * behind (the temp files are removed). A stream that failed before the call is the caller's.
   */
  async put(key: string, body: Uint8Array | Readable, opts: PutOptions = {}): Promise<PutResult> {
    const sourceError = body instanceof Uint8Array ? null : watchSourceError(body);
    validateKey(key);
    const metadata = validateMetadata(opts.metadata);
    validateContentLength(opts.contentLength);
    const sidecar: Sidecar = { contentType: opts.contentType ?? DEFAULT_CONTENT_TYPE, metadata };
    const tmpData = join(this.tmpDir, `${randomUUID()}.data`);
    const tmpMeta = join(this.tmpDir, `${randomUUID()}.json`);
    try {
      await mkdir(this.tmpDir, { recursive: true }).catch((err: unknown) => {
        throw storageError('put', key, err);
      });
      const size = await this.writeTemp(key, tmpData, body, sourceError);
      if (opts.contentLength !== undefined && size !== opts.contentLength) throw lengthMismatch(key, opts.contentLength, size);
      await writeDurably(tmpMeta, Buffer.from(JSON.stringify(sidecar))).catch((err: unknown) => {
        throw storageError('put', key, err);
      });
      // Sidecar first: existence of an object is defined by its data file.
      await this.moveIntoPlace(key, tmpMeta, this.pathIn(this.metaDir, key));
      await this.moveIntoPlace(key, tmpData, this.pathIn(this.objectsDir, key));
      return { key, size };
    } finally {
      await rm(tmpData, { force: true });
      await rm(tmpMeta, { force: true });
    }
  }

  async getStream(key: string, range?: ByteRange): Promise<Readable> {
    validateKey(key);
    if (range) validateRange(range);
    const { handle, size } = await this.openData(key);
    if (!range) return handle.createReadStream();
    if (range.start >= size) {
      await handle.close();
      throw rangeNotSatisfiable(key, range, size);
    }
    return handle.createReadStream({ start: range.start, end: Math.min(range.end ?? size - 1, size - 1) });
  }

  async getBytes(key: string): Promise<Uint8Array> {
    validateKey(key);
    const { handle } = await this.openData(key);
    try {
      return await handle.readFile();
    } catch (err) {
      throw storageError('get', key, err);
    } finally {
      await handle.close();
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    validateKey(key);
    let size: number;
    try {
      const info = await stat(this.pathIn(this.objectsDir, key));
      if (!info.isFile()) return null;
      size = info.size;
    } catch (err) {
      if (isMissing(err)) return null;
      throw storageError('head', key, err);
    }
    const sidecar = await this.readSidecar(key);
    return { size, contentType: sidecar.contentType, metadata: sidecar.metadata };
  }

  async delete(key: string): Promise<void> {
    validateKey(key);
    for (const base of [this.objectsDir, this.metaDir]) {
      const path = this.pathIn(base, key);
      try {
        await unlink(path);
      } catch (err) {
        if (!isMissing(err) && errno(err) !== 'EISDIR') throw storageError('delete', key, err);
      }
      await pruneEmptyDirs(dirname(path), base);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    validatePrefix(prefix);
    if (prefix === '') throw new AppError('VALIDATION_FAILED', 'deletePrefix needs a non-empty prefix');
    let deleted = 0;
    let cursor: string | undefined;
    do {
      const page = await this.list(prefix, cursor === undefined ? {} : { cursor });
      for (const key of page.keys) await this.delete(key);
      deleted += page.keys.length;
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    return deleted;
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    const limit = validateListLimit(opts.limit);
    const after = opts.cursor === undefined ? undefined : Buffer.from(decodeCursor(opts.cursor));
    // Walk only the deepest directory the prefix names completely ('a/b/c' → objects/a/b).
    const dirKey = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const keys: Buffer[] = [];
    try {
      await walkFiles(dirKey === '' ? this.objectsDir : this.pathIn(this.objectsDir, dirKey), dirKey, (key) => {
        if (!key.startsWith(prefix)) return;
        const bytes = Buffer.from(key);
        if (after === undefined || Buffer.compare(bytes, after) > 0) keys.push(bytes);
      });
    } catch (err) {
      throw storageError('list', prefix, err);
    }
    keys.sort(Buffer.compare);
    const page = keys.slice(0, limit).map((k) => k.toString());
    const last = page.at(-1);
    return { keys: page, nextCursor: keys.length > limit && last !== undefined ? encodeCursor(last) : null };
  }

  async presignPut(key: string, _opts?: PresignOptions): Promise<null> {
    validateKey(key);
    return null;
  }

  async presignGet(key: string, _opts?: PresignOptions): Promise<null> {
    validateKey(key);
    return null;
  }

  /** No external objects: `s3://` sources need the S3 backend. */
  readonly external = null;

  async prepare(): Promise<void> {
    await this.check();
  }

  close(): void {
    // Nothing to release: files are opened per call.
  }

  async check(): Promise<void> {
    const probe = join(this.tmpDir, `check-${randomUUID()}`);
    try {
      await mkdir(this.objectsDir, { recursive: true });
      await mkdir(this.metaDir, { recursive: true });
      await mkdir(this.tmpDir, { recursive: true });
      await writeFile(probe, 'ok');
      await unlink(probe);
    } catch (err) {
      throw new AppError('STORAGE_ERROR', `blob directory ${this.root} is not writable: ${messageOf(err)}`, {
        cause: err,
        details: { root: this.root, reason: errno(err) ?? 'unknown' },
      });
    }
  }

  /** Absolute path of `key` under `base`, refusing anything that would leave `base`. */
  private pathIn(base: string, key: string): string {
    const path = resolve(base, ...key.split('/'));
    if (!path.startsWith(base + sep)) throw new AppError('VALIDATION_FAILED', 'key escapes the store root', { details: { key } });
    return path;
  }

  /** `sourceError` is the stream body's watcher (from put's first line); null for bytes. */
  private async writeTemp(key: string, path: string, body: Uint8Array | Readable, sourceError: (() => unknown) | null): Promise<number> {
    if (body instanceof Uint8Array) {
      await writeDurably(path, body).catch((err: unknown) => {
        throw storageError('put', key, err);
      });
      return body.byteLength;
    }
    const counter = byteCounter();
    // flush: fsync before close, so the rename below never publishes unwritten data.
    const file = createWriteStream(path, { flags: 'wx', flush: true });
    try {
      await pipeline(body, counter.stream, file);
    } catch (err) {
      // The file is opened asynchronously: a body that failed at once can fail the pipeline
      // before the open has created the file. Wait until the stream is closed, so the caller's
      // cleanup (rm of the temp file) comes after the file exists, never before (a leak).
      if (!file.closed) await once(file, 'close').catch(() => undefined);
      const fromSource = sourceError?.();
      if (fromSource !== undefined) throw fromSource;
      throw storageError('put', key, err);
    }
    return counter.bytes();
  }

  private async moveIntoPlace(key: string, from: string, to: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await mkdir(dirname(to), { recursive: true });
        await rename(from, to);
        return;
      } catch (err) {
        // A concurrent delete may prune the directory between mkdir and rename: try once more.
        if (errno(err) === 'ENOENT' && attempt === 0) continue;
        if (['EEXIST', 'ENOTDIR', 'EISDIR', 'ENOTEMPTY'].includes(errno(err) ?? '')) {
          throw new AppError('CONFLICT', `key ${key} collides with another key used as a directory`, {
            cause: err,
            details: { key },
          });
        }
        throw storageError('put', key, err);
      }
    }
  }

  private async openData(key: string) {
    let handle;
    try {
      handle = await open(this.pathIn(this.objectsDir, key), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (err) {
      if (isMissing(err) || errno(err) === 'ELOOP') throw notFound(key, err);
      throw storageError('get', key, err);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw notFound(key);
      return { handle, size: info.size };
    } catch (err) {
      await handle.close();
      throw err instanceof AppError ? err : storageError('get', key, err);
    }
  }

  private async readSidecar(key: string): Promise<Sidecar> {
    try {
      const parsed = JSON.parse(await readFile(this.pathIn(this.metaDir, key), 'utf8')) as Partial<Sidecar>;
      return { contentType: parsed.contentType ?? DEFAULT_CONTENT_TYPE, metadata: parsed.metadata ?? {} };
    } catch (err) {
      if (isMissing(err)) return { contentType: DEFAULT_CONTENT_TYPE, metadata: {} };
      throw storageError('head', key, err);
    }
  }
}

async function writeDurably(path: string, bytes: Uint8Array): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Calls `onKey` for every regular file below `dir` (symlinks are skipped); `dirKey` is dir's key. */
async function walkFiles(dir: string, dirKey: string, onKey: (key: string) => void): Promise<void> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (isMissing(err)) return;
    throw err;
  }
  for (const entry of entries) {
    const key = dirKey === '' ? entry.name : `${dirKey}/${entry.name}`;
    if (entry.isDirectory()) await walkFiles(join(dir, entry.name), key, onKey);
    else if (entry.isFile()) onKey(key);
  }
}

/** Removes `dir` and its parents while they are empty, stopping at `stopAt`. */
async function pruneEmptyDirs(dir: string, stopAt: string): Promise<void> {
  for (let current = dir; current.startsWith(stopAt + sep); current = dirname(current)) {
    try {
      await rmdir(current);
    } catch {
      return; // not empty (or already gone): parents are not empty either
    }
  }
}

function encodeCursor(key: string): string {
  return Buffer.from(key).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const key = Buffer.from(cursor, 'base64url').toString();
  try {
    return validateKey(key);
  } catch {
    throw new AppError('VALIDATION_FAILED', 'invalid list cursor', { details: { cursor } });
  }
}

function errno(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined;
}

function isMissing(err: unknown): boolean {
  return errno(err) === 'ENOENT' || errno(err) === 'ENOTDIR';
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function notFound(key: string, cause?: unknown): AppError {
  return new AppError('NOT_FOUND', `no object at ${key}`, { cause, details: { key } });
}

function storageError(op: string, key: string, err: unknown): AppError {
  if (err instanceof AppError) return err;
  return new AppError('STORAGE_ERROR', `fs ${op} ${key} failed: ${messageOf(err)}`, {
    cause: err,
    details: { op, key, reason: errno(err) ?? 'unknown' },
  });
}
