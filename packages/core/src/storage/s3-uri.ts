import { AppError } from '../errors/app-error.js';

export interface S3ObjectRef {
  bucket: string;
  key: string;
}

/** S3 bucket naming rules: 3..63 chars of lowercase letters, digits, dots and hyphens. */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

/**
 * Parses `s3://bucket/key/with/slashes` (the AWS CLI form). The key is taken literally, not
 * percent-decoded, and may not be empty. Anything else is VALIDATION_FAILED.
 */
export function parseS3Uri(uri: string): S3ObjectRef {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  const bucket = match?.[1];
  const key = match?.[2];
  if (bucket === undefined || key === undefined) {
    throw new AppError('VALIDATION_FAILED', `not an s3://bucket/key URI: ${uri}`, { details: { uri } });
  }
  if (!BUCKET_PATTERN.test(bucket) || bucket.includes('..')) {
    throw new AppError('VALIDATION_FAILED', `invalid S3 bucket name in ${uri}`, { details: { uri, bucket } });
  }
  if (key.includes('\0') || Buffer.byteLength(key, 'utf8') > 1024) {
    throw new AppError('VALIDATION_FAILED', `invalid S3 key in ${uri}`, { details: { uri } });
  }
  return { bucket, key };
}
