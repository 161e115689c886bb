import type { ServiceConfig } from '@earshot/core/config/service-config';
import { AppError } from '@earshot/core/errors/app-error';
import type { BlobStoreConfigInput } from '@earshot/core/storage/create-blob-store';

/**
 * The blob store the service settings describe, exactly as apps/worker/src/store-config.ts does
 * (both processes must see one store): fs roots at EARSHOT_DATA_DIR (its objects/, meta/, tmp/
 * sit beside the development credential files); s3 applies EARSHOT_STORAGE_PREFIX in S3_BUCKET.
 */
export function blobStoreConfigOf(service: ServiceConfig): BlobStoreConfigInput {
  if (service.storage === 'fs') return { kind: 'fs', root: service.dataDir };
  if (!service.s3Bucket) throw new AppError('INVALID_OPTIONS', 'invalid configuration: EARSHOT_STORAGE=s3 needs S3_BUCKET');
  return {
    kind: 's3',
    bucket: service.s3Bucket,
    ...(service.s3Endpoint ? { endpoint: service.s3Endpoint } : {}),
    region: service.s3Region,
    forcePathStyle: service.s3ForcePathStyle,
    ...(service.s3AccessKeyId ? { accessKeyId: service.s3AccessKeyId } : {}),
    ...(service.s3SecretAccessKey ? { secretAccessKey: service.s3SecretAccessKey } : {}),
    prefix: service.storagePrefix,
  };
}
