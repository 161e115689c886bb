import { AppError, type ErrorCode } from '../errors/app-error.js';

/**
 * Turns what the AWS SDK throws into AppErrors. Retrying cannot fix a wrong key, a wrong secret,
 * a denied access or a missing bucket, so those are not retryable; network errors, throttling and
 * 5xx answers are. `details.reason` carries the S3 error code (`SignatureDoesNotMatch`) or the
 * socket error code (`ECONNREFUSED`) for logs and problem JSON.
 */

/** S3 error codes that mean "fix the configuration", not "try again later". */
const CONFIG_REASONS = new Set([
  'SignatureDoesNotMatch',
  'InvalidAccessKeyId',
  'AccessDenied',
  'Forbidden',
  'AuthorizationHeaderMalformed',
  'InvalidToken',
  'ExpiredToken',
  'NoSuchBucket',
  'InvalidBucketName',
  'PermanentRedirect',
]);

export interface S3ErrorInfo {
  /** S3 error code or Node socket error code; 'unknown' when neither is known. */
  reason: string;
  /** HTTP status of the S3 answer, if there was one. */
  httpStatus: number | undefined;
}

export function s3ErrorInfo(err: unknown): S3ErrorInfo {
  if (typeof err !== 'object' || err === null) return { reason: 'unknown', httpStatus: undefined };
  const e = err as { name?: unknown; Code?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown } };
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const reason = [e.Code, e.code, e.name].find((v): v is string => typeof v === 'string' && v !== '' && v !== 'Error');
  return { reason: reason ?? 'unknown', httpStatus: status };
}

/** True for "no such object" answers (GetObject: NoSuchKey; HeadObject: a bare 404 NotFound). */
export function isS3NotFound(err: unknown): boolean {
  const { reason, httpStatus } = s3ErrorInfo(err);
  return reason === 'NoSuchKey' || reason === 'NotFound' || (httpStatus === 404 && reason !== 'NoSuchBucket');
}

export function isS3ConfigProblem(info: S3ErrorInfo): boolean {
  return CONFIG_REASONS.has(info.reason) || info.httpStatus === 401 || info.httpStatus === 403;
}

/** Socket-level failures: the server is down, unreachable or not answering. */
const UNREACHABLE_REASONS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'TimeoutError',
  'RequestTimeout',
  'AbortError',
]);

/** True when the server could not be reached or answered 5xx (down, overloaded, restarting). */
export function isS3Unavailable(info: S3ErrorInfo): boolean {
  return UNREACHABLE_REASONS.has(info.reason) || (info.httpStatus !== undefined && info.httpStatus >= 500);
}

/**
 * A backend failure of one of the store's own operations: STORAGE_UNAVAILABLE when the server
 * cannot be reached or answers 5xx (503 to API clients, retried by workers), else STORAGE_ERROR.
 */
export function s3StorageError(err: unknown, op: string, bucket: string, key?: string): AppError {
  if (err instanceof AppError) return err;
  return wrap(isS3Unavailable(s3ErrorInfo(err)) ? 'STORAGE_UNAVAILABLE' : 'STORAGE_ERROR', err, op, bucket, key);
}

/** A failure reading an object the user named (`s3://` source): SOURCE_NOT_FOUND or SOURCE_FETCH_FAILED. */
export function s3SourceError(err: unknown, bucket: string, key: string): AppError {
  if (err instanceof AppError) return err;
  const { reason, httpStatus } = s3ErrorInfo(err);
  if (reason === 'NoSuchKey' || reason === 'NoSuchBucket' || httpStatus === 404) {
    return new AppError('SOURCE_NOT_FOUND', `source s3://${bucket}/${key} does not exist`, {
      cause: err,
      details: { bucket, key, reason },
    });
  }
  return wrap('SOURCE_FETCH_FAILED', err, 'get source', bucket, key);
}

function wrap(code: ErrorCode, err: unknown, op: string, bucket: string, key: string | undefined): AppError {
  const info = s3ErrorInfo(err);
  const message = err instanceof Error ? err.message : String(err);
  const where = key === undefined ? `s3://${bucket}` : `s3://${bucket}/${key}`;
  return new AppError(code, `S3 ${op} ${where} failed (${info.reason}): ${message}`, {
    cause: err,
    retryable: !isS3ConfigProblem(info),
    details: { op, bucket, key, reason: info.reason, s3Status: info.httpStatus },
  });
}
