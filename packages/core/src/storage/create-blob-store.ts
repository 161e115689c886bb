import { z } from 'zod';
import { AppError } from '../errors/app-error.js';
import type { BlobStore } from './blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

/** Accepts a boolean or an env-style string ("true"/"false"/"1"/"0"/"yes"/"no"/"on"/"off"). */
const booleanish = z.union([z.boolean(), z.stringbool()]);

export const FsBlobStoreConfigSchema = z.object({
  kind: z.literal('fs'),
  /** Directory holding all objects (created on first use). */
  root: z.string().min(1),
});

export const S3BlobStoreConfigSchema = z
  .object({
    kind: z.literal('s3'),
    bucket: z.string().min(3).max(63),
    /** Custom endpoint (MinIO, radosgw, …); unset for AWS. */
    endpoint: z.url().optional(),
    /** @defaultValue 'us-east-1' */
    region: z.string().min(1).default('us-east-1'),
    /** Path-style URLs; self-hosted servers usually need it. @defaultValue true when endpoint is set, else false */
    forcePathStyle: booleanish.optional(),
    /** Static credentials (both or neither); unset: the AWS SDK's default credential chain. */
    accessKeyId: z.string().min(1).optional(),
    secretAccessKey: z.string().min(1).optional(),
    /** Deployment-wide key prefix inside the bucket, e.g. 'earshot/'. @defaultValue '' */
    prefix: z.string().default(''),
    /** Multipart part size in MiB (S3's minimum is 5). @defaultValue 8 */
    partSizeMiB: z.coerce.number().int().min(5).max(5120).default(8),
  })
  .refine((c) => (c.accessKeyId === undefined) === (c.secretAccessKey === undefined), {
    message: 'set both accessKeyId and secretAccessKey, or neither',
    path: ['secretAccessKey'],
  });

/** Where blobs live: a local directory (embedded default) or an S3-compatible bucket. */
export const BlobStoreConfigSchema = z.discriminatedUnion('kind', [FsBlobStoreConfigSchema, S3BlobStoreConfigSchema]);

export type BlobStoreConfig = z.infer<typeof BlobStoreConfigSchema>;
/** What callers may write before defaults are applied (e.g. `{ kind: 's3', bucket }`). */
export type BlobStoreConfigInput = z.input<typeof BlobStoreConfigSchema>;

/**
 * Builds the configured store. The config is (re)validated here, so plain objects work too
 * (invalid: INVALID_OPTIONS).
 * Does not touch the backend: call `check()` for readiness (and `ensureBucket()` on an
 * S3BlobStore if the deployment should create its bucket).
 */
export function createBlobStore(config: BlobStoreConfigInput): BlobStore {
  const parsed = BlobStoreConfigSchema.safeParse(config);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'storage'}: ${i.message}`);
    throw new AppError('INVALID_OPTIONS', `invalid storage configuration: ${problems.join('; ')}`, { details: { problems } });
  }
  const c = parsed.data;
  switch (c.kind) {
    case 'fs':
      return new FsBlobStore({ root: c.root });
    case 's3':
      return new S3BlobStore({
        bucket: c.bucket,
        region: c.region,
        endpoint: c.endpoint,
        forcePathStyle: c.forcePathStyle,
        accessKeyId: c.accessKeyId,
        secretAccessKey: c.secretAccessKey,
        prefix: c.prefix,
        partSizeBytes: c.partSizeMiB * 1024 * 1024,
      });
  }
}
