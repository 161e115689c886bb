/**
 * Upload slots handed out by POST /v1/uploads, in Redis. An **upload** is a storage key reserved
 * for one tenant's audio before any job exists: the client PUTs the bytes (to a presigned S3 URL,
 * or to PUT /v1/uploads/:id on the API with the fs store), then creates a job with
 * `{ audio: { uploadId } }`. Each upload feeds at most one job (its **claim**), so deleting that
 * job may delete the audio, and a PUT can never replace audio under a running job.
 *
 * Keys: `<keyPrefix>upload:<id>` (JSON record) and `<keyPrefix>upload:<id>:job` (claiming job id),
 * both expiring `keepS` after creation.
 */
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { AppError } from '@earshot/core/errors/app-error';
import { parseStoredRecord } from '@earshot/core/runtime/stored-record';
import { tenantPrefix } from '@earshot/core/storage/keys';
import { extensionOf } from './hashing-limiter.js';

/** An upload's record as stored in Redis (parsed on every read: the typed contract of that JSON). */
export const UploadRecordSchema = z
  .object({
    id: z.string().min(1),
    tenant: z.string().min(1),
    /** Storage key: `tenants/{tenant}/uploads/{id}/source.{ext}`. */
    key: z.string().min(1),
    filename: z.string().nullable(),
    contentType: z.string().nullable(),
    sizeBytes: z.number().int().nonnegative().nullable(),
    createdAt: z.iso.datetime(),
    /** The upload URL stops working then; the upload can still be used by a job until the record expires. */
    expiresAt: z.iso.datetime(),
    /** SHA-256 of the token that authorizes PUT /v1/uploads/:id without an API key. */
    tokenSha256: z.string().regex(/^[0-9a-f]{64}$/),
  })
  .strict();
export type UploadRecord = z.infer<typeof UploadRecordSchema>;

export interface NewUpload {
  tenant: string;
  filename: string | null;
  contentType: string | null;
  sizeBytes: number | null;
  expiresS: number;
}

const sha256 = (s: string): string => createHash('sha256').update(s, 'utf8').digest('hex');

export function uploadKey(tenant: string, uploadId: string, filename: string | null): string {
  return `${tenantPrefix(tenant)}uploads/${uploadId}/source.${extensionOf(filename)}`;
}

export class UploadRegistry {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    /** How long a record lives beyond its URL's expiry. @defaultValue 86400 */
    private readonly graceS = 86_400,
  ) {}

  private recordKey(id: string): string {
    return `${this.keyPrefix}upload:${id}`;
  }

  /** Reserves a new upload; returns the record and the PUT token (shown once, only its hash is kept). */
  async create(upload: NewUpload): Promise<{ record: UploadRecord; token: string }> {
    const id = randomUUID();
    const token = randomBytes(32).toString('base64url');
    const now = Date.now();
    const record: UploadRecord = {
      id,
      tenant: upload.tenant,
      key: uploadKey(upload.tenant, id, upload.filename),
      filename: upload.filename,
      contentType: upload.contentType,
      sizeBytes: upload.sizeBytes,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + upload.expiresS * 1000).toISOString(),
      tokenSha256: sha256(token),
    };
    await this.redis.set(this.recordKey(id), JSON.stringify(record), 'EX', upload.expiresS + this.graceS, 'NX');
    return { record, token };
  }

  /** The record, or null when there is none; INTERNAL (not retryable) when the stored record is unreadable. */
  async get(id: string): Promise<UploadRecord | null> {
    const text = await this.redis.get(this.recordKey(id));
    return text ? parseUploadRecord(id, text) : null;
  }

  /** The upload when it exists and belongs to `tenant`; NOT_FOUND otherwise (another tenant's upload looks missing). */
  async getForTenant(id: string, tenant: string): Promise<UploadRecord> {
    const record = await this.get(id);
    if (!record || record.tenant !== tenant) throw new AppError('NOT_FOUND', `upload ${id} not found`);
    return record;
  }

  tokenMatches(record: UploadRecord, token: string): boolean {
    const given = Buffer.from(sha256(token), 'hex');
    const expected = Buffer.from(record.tokenSha256, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  /** Binds the upload to `jobId`. Returns null when it was free, else the job that already has it. */
  async claim(record: UploadRecord, jobId: string): Promise<string | null> {
    const ttlS = Math.max(1, await this.redis.ttl(this.recordKey(record.id)));
    const set = await this.redis.set(`${this.recordKey(record.id)}:job`, jobId, 'EX', ttlS, 'NX');
    if (set === 'OK') return null;
    // null: the claim expired between the two commands, so try again.
    return (await this.redis.get(`${this.recordKey(record.id)}:job`)) ?? this.claim(record, jobId);
  }

  async release(record: UploadRecord, jobId: string): Promise<void> {
    const key = `${this.recordKey(record.id)}:job`;
    if ((await this.redis.get(key)) === jobId) await this.redis.del(key);
  }

  /** The job using this upload, if any. */
  async jobOf(id: string): Promise<string | null> {
    return await this.redis.get(`${this.recordKey(id)}:job`);
  }
}

/** A stored record that is not JSON or not an upload record is a clear error, never a half-typed object. */
export function parseUploadRecord(id: string, text: string): UploadRecord {
  return parseStoredRecord(UploadRecordSchema, text, `upload record ${id}`);
}
