import { AppError } from '../errors/app-error.js';
import type { BlobStoreConfigInput } from '../storage/create-blob-store.js';
import type { ServiceConfig } from './service-config.js';

/**
 * The blob store the service settings describe; the API and the worker both call this,
 * so they always see one store: fs roots at EARSHOT_DATA_DIR (the API's development
 * credential files sit beside its objects/, meta/ and tmp/); s3 applies
 * EARSHOT_STORAGE_PREFIX inside S3_BUCKET.
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
