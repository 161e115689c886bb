import {
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type BucketLocationConstraint,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '../errors/app-error.js';
import {
  DEFAULT_CONTENT_TYPE,
  type BlobHead,
  type BlobStore,
  type ByteRange,
  type ExternalObjects,
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
  validatePresign,
  validateRange,
} from './blob-validation.js';
import { byteCounter, watchSourceError, type ByteCounter } from './byte-counter.js';
import { isS3NotFound, s3ErrorInfo, s3SourceError, s3StorageError } from './s3-errors.js';

export interface S3BlobStoreOptions {
  bucket: string;
  region: string;
  /** Custom endpoint for S3-compatible servers (MinIO, radosgw); unset for AWS. */
  endpoint?: string;
  /** Path-style URLs (`endpoint/bucket/key`), needed by most self-hosted servers. @defaultValue true when `endpoint` is set */
  forcePathStyle?: boolean;
  /** Static credentials; when both are unset the SDK's default chain (env, profile, IMDS…) is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Prepended to every key in the bucket, so deployments or test runs can share a bucket. @defaultValue '' */
  prefix?: string;
  /** Multipart part size; S3's minimum is 5 MiB. @defaultValue 8 MiB */
  partSizeBytes?: number;
  /** Parts uploaded in parallel; memory use is about partSizeBytes × (queueSize + 1). @defaultValue 2 */
  uploadQueueSize?: number;
  /** Attempts per request, including the first (the SDK retries transient errors). @defaultValue 3 */
  maxAttempts?: number;
  /** Time to connect to the server; a server that is down should fail requests quickly. @defaultValue 1000 */
  connectionTimeoutMs?: number;
  /** Deadline for the answer of a quick request (head, delete, list, the start of a get), retries included. @defaultValue 3000 */
  operationTimeoutMs?: number;
  /** A socket idle for this long is closed (also while a reader pauses a download). @defaultValue 120000 */
  socketTimeoutMs?: number;
}

const MIB = 1024 * 1024;
/**
 * Slowest transfer rate S3 is granted before a put counts as hanging (transfer deadlines and the
 * upload stall check). Deliberately low, so a slow but working link is never cut off; a server
 * that stopped answering is still found within about a minute for the largest part window.
 */
const MIN_TRANSFER_BYTES_PER_S = 512 * 1024;
/** The shortest stall (server not consuming the upload's data) that aborts a streamed upload. */
const MIN_UPLOAD_STALL_MS = 10_000;

/**
 * BlobStore on any S3-compatible server. Streams are uploaded with lib-storage's `Upload`
 * (multipart once the body exceeds one part), holding at most a few parts in memory.
 * Checksums are only computed when an operation requires them (`WHEN_REQUIRED`): with the SDK's
 * default (aws-chunked bodies with a trailing checksum) streamed uploads are rejected by radosgw
 * and corrupted by some fakes (infra-notes §2.2).
 */
export class S3BlobStore implements BlobStore {
  readonly description: string;
  readonly client: S3Client;
  readonly bucket: string;
  private readonly prefix: string;
  private readonly region: string;
  private readonly partSizeBytes: number;
  private readonly uploadQueueSize: number;
  private readonly operationTimeoutMs: number;

  constructor(options: S3BlobStoreOptions) {
    this.bucket = options.bucket;
    this.region = options.region;
    this.prefix = validatePrefix(options.prefix ?? '');
    this.partSizeBytes = options.partSizeBytes ?? 8 * MIB;
    this.uploadQueueSize = options.uploadQueueSize ?? 2;
    this.operationTimeoutMs = options.operationTimeoutMs ?? 3000;
    if (this.partSizeBytes < 5 * MIB) throw new AppError('INVALID_OPTIONS', 'S3 partSizeBytes must be at least 5 MiB');
    if ((options.accessKeyId === undefined) !== (options.secretAccessKey === undefined)) {
      throw new AppError('INVALID_OPTIONS', 'set both S3 accessKeyId and secretAccessKey, or neither');
    }
    const config: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: options.maxAttempts ?? 3,
      requestHandler: {
        connectionTimeout: options.connectionTimeoutMs ?? 1000,
        socketTimeout: options.socketTimeoutMs ?? 120_000,
      },
    };
    if (options.endpoint !== undefined) config.endpoint = options.endpoint;
    if (options.accessKeyId !== undefined && options.secretAccessKey !== undefined) {
      config.credentials = { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey };
    }
    this.client = new S3Client(config);
    this.external = { ...this.external, ownBucket: this.bucket };
    this.description = `s3://${this.bucket}/${this.prefix}${options.endpoint ? ` at ${options.endpoint}` : ''}`;
  }

  /**
   * A stream body is listened to before the first await (uploadStream's first line), so it may
   * fail at any time after the call: its error fails the put as it is, and nothing is stored (a
   * multipart upload is aborted). Keep it that way. Invalid options reject the put without
   * reading the body: a stream that fails before or without being read is the caller's to handle.
   */
  async put(key: string, body: Uint8Array | Readable, opts: PutOptions = {}): Promise<PutResult> {
    const fullKey = this.fullKey(key);
    const metadata = validateMetadata(opts.metadata);
    validateContentLength(opts.contentLength);
    const params = { Bucket: this.bucket, Key: fullKey, ContentType: opts.contentType ?? DEFAULT_CONTENT_TYPE, Metadata: metadata };
    if (body instanceof Uint8Array) {
      if (opts.contentLength !== undefined && opts.contentLength !== body.byteLength) {
        throw lengthMismatch(key, opts.contentLength, body.byteLength);
      }
      try {
        await this.quick(
          (abortSignal) => this.client.send(new PutObjectCommand({ ...params, Body: body, ContentLength: body.byteLength }), { abortSignal }),
          this.transferDeadlineMs(body.byteLength),
        );
      } catch (err) {
        throw s3StorageError(err, 'put', this.bucket, fullKey);
      }
      return { key, size: body.byteLength };
    }
    const size = await this.uploadStream(key, body, params);
    if (opts.contentLength !== undefined && size !== opts.contentLength) {
      // S3 cannot check the length of a multipart upload up front: remove what was stored.
      await this.delete(key);
      throw lengthMismatch(key, opts.contentLength, size);
    }
    return { key, size };
  }

  async getStream(key: string, range?: ByteRange): Promise<Readable> {
    const fullKey = this.fullKey(key);
    if (range) validateRange(range);
    try {
      const out = await this.quick((abortSignal) =>
        this.client.send(
          new GetObjectCommand({ Bucket: this.bucket, Key: fullKey, Range: range ? `bytes=${range.start}-${range.end ?? ''}` : undefined }),
          { abortSignal },
        ),
      );
      return asReadable(out.Body);
    } catch (err) {
      if (isS3NotFound(err)) throw notFound(key, err);
      if (range && s3ErrorInfo(err).httpStatus === 416) throw rangeNotSatisfiable(key, range);
      throw s3StorageError(err, 'get', this.bucket, fullKey);
    }
  }

  async getBytes(key: string): Promise<Uint8Array> {
    const fullKey = this.fullKey(key);
    try {
      const out = await this.quick((abortSignal) => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }));
      if (!out.Body) throw new Error('GetObject returned no body');
      return await out.Body.transformToByteArray();
    } catch (err) {
      if (isS3NotFound(err)) throw notFound(key, err);
      throw s3StorageError(err, 'get', this.bucket, fullKey);
    }
  }

  async head(key: string): Promise<BlobHead | null> {
    const fullKey = this.fullKey(key);
    try {
      const out = await this.quick((abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }));
      return { size: out.ContentLength ?? 0, contentType: out.ContentType, metadata: out.Metadata ?? {} };
    } catch (err) {
      if (isS3NotFound(err)) return null;
      throw s3StorageError(err, 'head', this.bucket, fullKey);
    }
  }

  async delete(key: string): Promise<void> {
    const fullKey = this.fullKey(key);
    try {
      await this.quick((abortSignal) => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: fullKey }), { abortSignal }));
    } catch (err) {
      throw s3StorageError(err, 'delete', this.bucket, fullKey);
    }
  }

  async deletePrefix(prefix: string): Promise<number> {
    validatePrefix(prefix);
    if (prefix === '') throw new AppError('VALIDATION_FAILED', 'deletePrefix needs a non-empty prefix');
    let deleted = 0;
    // Always re-list from the start: the keys just deleted are gone, so no cursor is needed.
    for (;;) {
      const page = await this.list(prefix, { limit: 1000 });
      if (page.keys.length === 0) return deleted;
      try {
        const out = await this.quick((abortSignal) =>
          this.client.send(
            new DeleteObjectsCommand({
              Bucket: this.bucket,
              Delete: { Objects: page.keys.map((k) => ({ Key: this.prefix + k })), Quiet: true },
            }),
            { abortSignal },
          ),
        );
        const failed = out.Errors ?? [];
        if (failed.length > 0) {
          throw new AppError('STORAGE_ERROR', `S3 could not delete ${failed.length} objects under ${prefix}`, {
            details: { bucket: this.bucket, prefix, first: failed[0] },
          });
        }
      } catch (err) {
        throw s3StorageError(err, 'deletePrefix', this.bucket, this.prefix + prefix);
      }
      deleted += page.keys.length;
    }
  }

  async list(prefix: string, opts: ListOptions = {}): Promise<ListPage> {
    validatePrefix(prefix);
    const limit = validateListLimit(opts.limit);
    try {
      const out = await this.quick((abortSignal) =>
        this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            MaxKeys: limit,
            ContinuationToken: opts.cursor,
          }),
          { abortSignal },
        ),
      );
      const keys = (out.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key.slice(this.prefix.length)]));
      return { keys, nextCursor: out.IsTruncated && out.NextContinuationToken ? out.NextContinuationToken : null };
    } catch (err) {
      throw s3StorageError(err, 'list', this.bucket, this.prefix + prefix);
    }
  }

  async presignPut(key: string, opts: PresignOptions): Promise<string> {
    validatePresign(opts);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key), ContentType: opts.contentType });
    return await getSignedUrl(this.client, command, { expiresIn: opts.expiresS });
  }

  async presignGet(key: string, opts: PresignOptions): Promise<string> {
    validatePresign(opts);
    const command = new GetObjectCommand({ Bucket: this.bucket, Key: this.fullKey(key) });
    return await getSignedUrl(this.client, command, { expiresIn: opts.expiresS });
  }

  async check(): Promise<void> {
    try {
      await this.quick((abortSignal) => this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), { abortSignal }));
    } catch (err) {
      const info = s3ErrorInfo(err);
      if (info.httpStatus === 404) {
        throw new AppError('STORAGE_ERROR', `S3 bucket ${this.bucket} does not exist`, {
          cause: err,
          retryable: false,
          details: { bucket: this.bucket, reason: 'NoSuchBucket' },
        });
      }
      throw s3StorageError(err, 'check', this.bucket);
    }
  }

  /** Creates the bucket unless it exists (idempotent, safe to race). */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (s3ErrorInfo(err).httpStatus !== 404) throw s3StorageError(err, 'ensureBucket', this.bucket);
    }
    try {
      await this.client.send(
        new CreateBucketCommand({
          Bucket: this.bucket,
          // us-east-1 is the default and must not be named (AWS answers InvalidLocationConstraint).
          ...(this.region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: this.region as BucketLocationConstraint } }),
        }),
      );
    } catch (err) {
      if (s3ErrorInfo(err).reason === 'BucketAlreadyOwnedByYou') return;
      throw s3StorageError(err, 'ensureBucket', this.bucket);
    }
  }

  /**
   * Opens an object a job named by URI (`parseS3Uri`), in any bucket these credentials can read;
   * the store's prefix does not apply. Missing → SOURCE_NOT_FOUND; other failures →
   * SOURCE_FETCH_FAILED (not retryable when access is denied).
   */
  async getExternalStream(bucket: string, key: string): Promise<Readable> {
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return asReadable(out.Body);
    } catch (err) {
      throw s3SourceError(err, bucket, key);
    }
  }

  /** Closes the client's sockets. The store is unusable afterwards. */
  destroy(): void {
    this.client.destroy();
  }

  close(): void {
    this.destroy();
  }

  prepare(): Promise<void> {
    return this.ensureBucket();
  }

  /** `s3://` sources: any bucket these credentials can read. */
  readonly external: ExternalObjects = {
    ownBucket: '',
    check: async (bucket, key) => {
      try {
        await this.quick((abortSignal) => this.client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal }));
      } catch (err) {
        throw s3SourceError(err, bucket, key);
      }
    },
    open: (bucket, key) => this.getExternalStream(bucket, key),
  };

  /**
   * Runs a request that should answer quickly (metadata, deletes, the start of a download) with a
   * deadline of operationTimeoutMs for its answer (retries included), so a server that accepts
   * connections but does not answer fails the call with STORAGE_UNAVAILABLE instead of holding it
   * for the socket timeout. The deadline ends with the answer: a download's body may take longer.
   */
  private async quick<T>(request: (abortSignal: AbortSignal) => Promise<T>, timeoutMs = this.operationTimeoutMs): Promise<T> {
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      return await request(deadline.signal);
    } catch (err) {
      if (deadline.signal.aborted) {
        throw new AppError('STORAGE_UNAVAILABLE', `S3 did not answer within ${timeoutMs} ms`, {
          cause: err,
          details: { bucket: this.bucket, reason: 'TimeoutError' },
        });
      }
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  private fullKey(key: string): string {
    return this.prefix + validateKey(key);
  }

  private async uploadStream(
    key: string,
    body: Readable,
    params: { Bucket: string; Key: string; ContentType: string; Metadata: Record<string, string> },
  ): Promise<number> {
    // Synchronously, before any await: see put.
    const sourceError = watchSourceError(body);
    const counter = byteCounter();
    const piping = pipeline(body, counter.stream).catch(() => undefined); // failures surface via the upload
    const upload = new Upload({
      client: this.client,
      params: { ...params, Body: counter.stream },
      partSize: this.partSizeBytes,
      queueSize: this.uploadQueueSize,
      leavePartsOnError: false, // abort the multipart upload on failure
    });
    const watchdog = this.watchUpload(upload, counter, body);
    try {
      await upload.done();
    } catch (err) {
      counter.stream.destroy();
      await piping;
      const fromSource = sourceError();
      if (fromSource !== undefined) throw fromSource;
      const stalled = watchdog.reason();
      if (stalled !== null) {
        throw new AppError('STORAGE_UNAVAILABLE', `S3 stopped taking the upload of ${params.Key}: ${stalled}`, {
          cause: err,
          details: { bucket: this.bucket, reason: 'TimeoutError' },
        });
      }
      throw s3StorageError(err, 'put', this.bucket, params.Key);
    } finally {
      watchdog.stop();
    }
    await piping;
    return counter.bytes();
  }

  /** Time a transfer of `bytes` may take: the quick deadline plus the bytes at a slow floor rate. */
  private transferDeadlineMs(bytes: number): number {
    return this.operationTimeoutMs + Math.ceil((bytes / MIN_TRANSFER_BYTES_PER_S) * 1000);
  }

  /**
   * Aborts a streamed upload the server stopped taking, which would otherwise hang until the
   * socket timeout (minutes): (1) the server holds data it does not consume for longer than the
   * parts in flight could take at the floor rate (its sockets stopped moving while the client
   * still sends), or (2) the client's stream has
   * ended and the server has not finished within the transfer deadline of what is still in flight.
   * A slow client is no stall: then the counter waits for input, with nothing buffered.
   */
  private watchUpload(upload: Upload, counter: ByteCounter, body: Readable): { reason(): string | null; stop(): void } {
    let reason: string | null = null;
    // Parts in flight may legitimately hold the stream back while they upload at the floor rate.
    const stallMs = Math.max(MIN_UPLOAD_STALL_MS, this.transferDeadlineMs(this.partSizeBytes * (this.uploadQueueSize + 1)));
    let lastBytes = -1;
    let lastMovedAt = Date.now();
    let endedAt: number | null = null;
    body.once('end', () => (endedAt = Date.now()));
    const abort = (why: string): void => {
      reason = why;
      void upload.abort().catch(() => undefined);
    };
    const timer = setInterval(() => {
      const now = Date.now();
      const bytes = counter.bytes();
      if (bytes !== lastBytes || counter.stream.readableLength === 0) {
        lastBytes = bytes;
        lastMovedAt = now;
      } else if (now - lastMovedAt > stallMs) {
        abort(`no progress for ${stallMs} ms`);
      }
      const inFlight = Math.min(bytes, this.partSizeBytes * (this.uploadQueueSize + 1));
      if (endedAt !== null && now - endedAt > this.transferDeadlineMs(inFlight)) {
        abort(`no answer within ${this.transferDeadlineMs(inFlight)} ms of the last byte`);
      }
    }, 250);
    return {
      reason: () => reason,
      stop: () => clearInterval(timer),
    };
  }
}

function asReadable(body: unknown): Readable {
  if (body instanceof Readable) return body;
  throw new AppError('STORAGE_ERROR', 'S3 GetObject did not return a Node.js stream', { retryable: false });
}

function notFound(key: string, cause: unknown): AppError {
  return new AppError('NOT_FOUND', `no object at ${key}`, { cause, details: { key } });
}
