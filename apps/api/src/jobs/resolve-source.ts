/**
 * Turns the `audio` reference of a JSON job request into the job's source, checking up front
 * what can be checked cheaply so clients get a 4xx now instead of a failed job later:
 * - `url`: syntax and scheme only (create-job-request.ts); the worker fetches it.
 * - `s3Uri`: needs the S3 store; the bucket must be allowed (EARSHOT_S3_SOURCE_BUCKETS) and the
 *   object must exist (one HEAD with the service's credentials). Other tenants' objects in the
 *   service's own bucket are refused, or a tenant could transcribe another tenant's audio.
 * - `uploadId`: must be this tenant's upload, with data PUT already, not empty, within the size limit.
 */
import { AppError } from '@earshot/core/errors/app-error';
import type { JobSource } from '@earshot/core/jobs/job-record';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { tenantPrefix } from '@earshot/core/storage/keys';
import { parseS3Uri } from '@earshot/core/storage/s3-uri';
import { tooLarge } from '../uploads/hashing-limiter.js';
import type { UploadRecord, UploadRegistry } from '../uploads/upload-registry.js';
import type { AudioRef } from './create-job-request.js';

export interface SourceRules {
  store: BlobStore;
  uploads: UploadRegistry;
  /** The store's key prefix inside its bucket (EARSHOT_STORAGE_PREFIX). */
  storagePrefix: string;
  /** Buckets s3:// sources may name; undefined = any. */
  s3SourceBuckets: readonly string[] | undefined;
  maxUploadBytes: number;
}

export type SourceKind = 'upload' | 'url' | 's3';

export interface ResolvedSource {
  source: JobSource;
  kind: SourceKind;
  /** Set for `uploadId` references: the upload the job will claim. */
  upload?: UploadRecord;
}

export async function resolveAudioRef(ref: AudioRef, tenant: string, rules: SourceRules): Promise<ResolvedSource> {
  if ('url' in ref) return { source: { kind: 'url', url: ref.url }, kind: 'url' };
  if ('s3Uri' in ref) return { source: await checkS3Source(ref.s3Uri, tenant, rules), kind: 's3' };
  return await resolveUpload(ref.uploadId, tenant, rules);
}

function refused(message: string, path: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { httpStatus: 422, details: { errors: [{ path, message }] } });
}

async function checkS3Source(uri: string, tenant: string, rules: SourceRules): Promise<JobSource> {
  const external = rules.store.external;
  if (!external) {
    throw refused('s3:// sources need the S3 storage backend (EARSHOT_STORAGE=s3); upload the file instead', 'audio.s3Uri');
  }
  const { bucket, key } = parseS3Uri(uri);
  if (rules.s3SourceBuckets !== undefined && !rules.s3SourceBuckets.includes(bucket)) {
    throw refused(`bucket ${bucket} is not an allowed source bucket`, 'audio.s3Uri');
  }
  const dataArea = `${rules.storagePrefix}tenants/`;
  if (bucket === external.ownBucket && key.startsWith(dataArea) && !key.startsWith(rules.storagePrefix + tenantPrefix(tenant))) {
    throw refused('s3Uri points into the service storage of another tenant', 'audio.s3Uri');
  }
  try {
    await external.check(bucket, key);
  } catch (err) {
    // Transient trouble (network, throttling, 5xx) is ours, not the client's: 503, retry later.
    if (err instanceof AppError && err.code === 'SOURCE_FETCH_FAILED' && err.retryable) {
      throw new AppError('STORAGE_UNAVAILABLE', err.message, { cause: err });
    }
    throw err;
  }
  return { kind: 's3', uri };
}

async function resolveUpload(uploadId: string, tenant: string, rules: SourceRules): Promise<ResolvedSource> {
  const upload = await rules.uploads.get(uploadId);
  if (!upload || upload.tenant !== tenant) {
    throw new AppError('SOURCE_NOT_FOUND', `upload ${uploadId} not found (unknown, expired, or created with another API key)`, {
      details: { uploadId },
    });
  }
  const head = await rules.store.head(upload.key);
  if (!head) {
    throw new AppError('SOURCE_NOT_FOUND', `upload ${uploadId} has no data: PUT the file to its upload URL first`, {
      details: { uploadId },
    });
  }
  if (head.size === 0) throw new AppError('AUDIO_EMPTY', `upload ${uploadId} is empty`, { details: { uploadId } });
  if (head.size > rules.maxUploadBytes) {
    // Presigned PUTs cannot enforce the limit, so it is enforced here.
    await rules.store.delete(upload.key);
    throw tooLarge(rules.maxUploadBytes);
  }
  const source: JobSource = { kind: 'storage', key: upload.key, sizeBytes: head.size };
  if (upload.filename !== null) source.filename = upload.filename;
  const contentType = head.contentType ?? upload.contentType;
  if (contentType) source.contentType = contentType;
  return { source, kind: 'upload', upload };
}
