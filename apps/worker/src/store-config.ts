import type { ServiceConfig } from '@earshot/core/config/service-config';
import { AppError } from '@earshot/core/errors/app-error';
import type { BlobStoreConfigInput } from '@earshot/core/storage/create-blob-store';

/**
 * Where blobs live, from the shared service settings (the API reads the same ones, so both
 * processes see one store): the fs store roots at EARSHOT_DATA_DIR; the S3 store applies
 * EARSHOT_STORAGE_PREFIX inside S3_BUCKET.
 */
export function blobStoreConfigOf(config: ServiceConfig): BlobStoreConfigInput {
  if (config.storage === 'fs') return { kind: 'fs', root: config.dataDir };
  if (!config.s3Bucket) throw new AppError('INVALID_OPTIONS', 'invalid configuration: EARSHOT_STORAGE=s3 needs S3_BUCKET');
  return {
    kind: 's3',
    bucket: config.s3Bucket,
    ...(config.s3Endpoint ? { endpoint: config.s3Endpoint } : {}),
    region: config.s3Region,
    forcePathStyle: config.s3ForcePathStyle,
    ...(config.s3AccessKeyId ? { accessKeyId: config.s3AccessKeyId } : {}),
    ...(config.s3SecretAccessKey ? { secretAccessKey: config.s3SecretAccessKey } : {}),
    prefix: config.storagePrefix,
  };
}
