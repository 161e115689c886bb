import type { Readable } from 'node:stream';

/**
 * Blob storage for uploaded audio and results. Two implementations share this contract
 * and one behavioural test suite (test/storage.test.ts): `S3BlobStore` (any S3-compatible
 * server) and `FsBlobStore` (a local directory, the embedded default).
 *
 * Words:
 * - **key**: a `/`-separated object name relative to the store (`tenants/t1/jobs/j1/audio/source.wav`).
 *   Keys are validated by every store (see `validateKey`): no leading `/`, no empty, `.` or `..`
 *   segment, no NUL or backslash, at most 1024 UTF-8 bytes. An invalid key is `VALIDATION_FAILED`.
 * - **prefix**: the start of a key, used by `list` and `deletePrefix` (`tenants/t1/jobs/j1/`).
 * - **cursor**: an opaque string from `list` that continues the listing; only pass back what you got.
 *
 * Errors (always `AppError`):
 * - a missing key is `NOT_FOUND` (404, not retryable). `SOURCE_NOT_FOUND` is kept for objects a
 *   user named themselves (an `s3://` URI in a job), see `ExternalObjects`.
 * - invalid key, metadata, range or options: `VALIDATION_FAILED` (an unsatisfiable range has httpStatus 416).
 * - the backend cannot be reached, does not answer in time or answers 5xx: `STORAGE_UNAVAILABLE`
 *   (503, retryable).
 * - everything else the backend does wrong: `STORAGE_ERROR`, retryable unless it is a configuration
 *   problem (wrong credentials, access denied, missing bucket), which `details.reason` names.
 */

export interface PutOptions {
  /** @defaultValue 'application/octet-stream' */
  contentType?: string;
  /** Expected byte count. When given, a body of another length fails the put and stores nothing. */
  contentLength?: number;
  /**
   * User metadata, stored with the object and returned by `head`. Keys: lowercase `[a-z0-9-]`
   * (S3 lowercases them anyway); values: printable ASCII; at most 2 KB in total (S3's limit).
   */
  metadata?: Record<string, string>;
}

export interface PutResult {
  key: string;
  /** Bytes stored. */
  size: number;
}

/** Byte range with HTTP semantics: `end` is inclusive and clamped to the object's last byte. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface BlobHead {
  size: number;
  contentType?: string;
  metadata?: Record<string, string>;
}

export interface ListOptions {
  /** Page size, 1..1000. @defaultValue 1000 */
  limit?: number;
  cursor?: string;
}

export interface ListPage {
  /** Keys in UTF-8 byte order (S3's order), relative to the store. */
  keys: string[];
  /** Pass to the next `list` call; null when this is the last page. */
  nextCursor: string | null;
}

export interface PresignOptions {
  /** Lifetime of the URL, 1..604800 s (SigV4's maximum is 7 days). */
  expiresS: number;
  /** For PUT: the Content-Type the uploader must send (it is signed). */
  contentType?: string;
}

export interface BlobStore {
  /** Human-readable description for logs (`s3://bucket/prefix`, `file:///root`). */
  readonly description: string;
  /**
   * Stores `body` under `key`, replacing any object there. A stream is streamed (S3: multipart
   * upload for bodies over one part), never buffered whole. Readers never see a partial object.
   * A store listens to a stream body's errors before its first `await`, so a body that fails at
   * any time fails the put (and stores nothing); a stream that fails before `put` is called is
   * the caller's to handle.
   */
  put(key: string, body: Uint8Array | Readable, opts?: PutOptions): Promise<PutResult>;
  /** Opens the object (or a byte range of it). Fails with NOT_FOUND before returning a stream. */
  getStream(key: string, range?: ByteRange): Promise<Readable>;
  /** The whole object in memory: only for small objects (results, sidecars). */
  getBytes(key: string): Promise<Uint8Array>;
  /** Size, content type and metadata; null when the key does not exist. */
  head(key: string): Promise<BlobHead | null>;
  /** Deletes `key`; deleting a missing key is not an error. */
  delete(key: string): Promise<void>;
  /** Deletes every key starting with `prefix` (must not be empty); returns how many were deleted. */
  deletePrefix(prefix: string): Promise<number>;
  /** One page of keys starting with `prefix` (`''` lists everything). */
  list(prefix: string, opts?: ListOptions): Promise<ListPage>;
  /** A URL for a plain HTTP PUT of the object, or null when this store cannot presign (fs). */
  presignPut(key: string, opts: PresignOptions): Promise<string | null>;
  /** A URL for a plain HTTP GET of the object, or null when this store cannot presign (fs). */
  presignGet(key: string, opts: PresignOptions): Promise<string | null>;
  /** Readiness: throws STORAGE_ERROR unless the bucket is reachable / the directory is writable. */
  check(): Promise<void>;
  /** Makes the store usable (creates the S3 bucket or the directory); idempotent, safe to race. */
  prepare(): Promise<void>;
  /** Releases connections at shutdown; the store is unusable afterwards. */
  close(): void;
  /** Objects outside the store that clients may name (`s3://bucket/key` sources), or null when this backend has none (fs). */
  readonly external: ExternalObjects | null;
}

/**
 * Objects a client names by URI (an `s3://` source): any bucket the store's credentials can read,
 * outside the store's prefix. Failures: missing → SOURCE_NOT_FOUND; anything else →
 * SOURCE_FETCH_FAILED (retryable unless access is denied).
 */
export interface ExternalObjects {
  /** The bucket the store itself writes to (so a client cannot name another tenant's data in it). */
  readonly ownBucket: string;
  /** Resolves when the object exists and is readable. */
  check(bucket: string, key: string): Promise<void>;
  open(bucket: string, key: string): Promise<Readable>;
}

/** Default and maximum page size of `list` (S3's MaxKeys limit). */
export const MAX_LIST_LIMIT = 1000;
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';
