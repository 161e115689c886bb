import { AppError } from '../errors/app-error.js';
import { MAX_LIST_LIMIT, type ByteRange, type PresignOptions } from './blob-store.js';

/**
 * Argument checks shared by every BlobStore, so both stores refuse exactly the same inputs.
 * All failures are `VALIDATION_FAILED`.
 */

const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
const MAX_PRESIGN_S = 7 * 24 * 3600;

function invalid(message: string, details: Record<string, unknown>): AppError {
  return new AppError('VALIDATION_FAILED', message, { details });
}

/**
 * Throws unless `key` is a safe relative key: non-empty, at most 1024 UTF-8 bytes, no NUL or
 * backslash, no leading `/`, and no empty, `.` or `..` segment (so no trailing `/` either).
 * This is what makes path traversal impossible in the fs store.
 */
export function validateKey(key: string): string {
  checkPath(key, 'key', false);
  return key;
}

/** Like `validateKey` but `''` (everything) and a trailing `/` are allowed. */
export function validatePrefix(prefix: string): string {
  checkPath(prefix, 'prefix', true);
  return prefix;
}

function checkPath(value: string, what: 'key' | 'prefix', isPrefix: boolean): void {
  if (typeof value !== 'string') throw invalid(`${what} must be a string`, { [what]: value });
  if (value === '' && isPrefix) return;
  if (value === '') throw invalid('key must not be empty', { key: value });
  if (Buffer.byteLength(value, 'utf8') > MAX_KEY_BYTES) throw invalid(`${what} is longer than ${MAX_KEY_BYTES} bytes`, { [what]: value.slice(0, 64) });
  if (value.includes('\0')) throw invalid(`${what} must not contain NUL`, { [what]: value.replace(/\0/g, '\\0') });
  if (value.includes('\\')) throw invalid(`${what} must not contain a backslash`, { [what]: value });
  if (value.startsWith('/')) throw invalid(`${what} must not start with /`, { [what]: value });
  const segments = value.split('/');
  if (isPrefix && segments.at(-1) === '') segments.pop();
  for (const segment of segments) {
    if (segment === '' || segment === '.' || segment === '..') {
      throw invalid(`${what} must not contain an empty, "." or ".." segment`, { [what]: value });
    }
  }
}

/** Checks user metadata against the rules documented on `PutOptions.metadata`. */
export function validateMetadata(metadata: Record<string, string> | undefined): Record<string, string> {
  if (metadata === undefined) return {};
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw invalid('metadata keys must be lowercase [a-z0-9-]', { name });
    if (typeof value !== 'string' || !/^[\x20-\x7e]*$/.test(value)) {
      throw invalid('metadata values must be printable ASCII strings', { name });
    }
    bytes += name.length + value.length;
  }
  if (bytes > MAX_METADATA_BYTES) throw invalid(`metadata is larger than ${MAX_METADATA_BYTES} bytes`, { bytes });
  return { ...metadata };
}

export function validateRange(range: ByteRange): ByteRange {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || start < 0) throw invalid('range start must be an integer >= 0', { start });
  if (end !== undefined && (!Number.isSafeInteger(end) || end < start)) {
    throw invalid('range end must be an integer >= start', { start, end });
  }
  return range;
}

/** The error for a range that starts at or after the end of the object (HTTP 416). */
export function rangeNotSatisfiable(key: string, range: ByteRange, size?: number): AppError {
  return new AppError('VALIDATION_FAILED', `range starts after the end of ${key}`, {
    httpStatus: 416,
    details: { key, start: range.start, end: range.end, size },
  });
}

export function validateListLimit(limit: number | undefined): number {
  if (limit === undefined) return MAX_LIST_LIMIT;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw invalid(`list limit must be an integer in 1..${MAX_LIST_LIMIT}`, { limit });
  }
  return limit;
}

export function validatePresign(opts: PresignOptions): PresignOptions {
  if (!Number.isSafeInteger(opts.expiresS) || opts.expiresS < 1 || opts.expiresS > MAX_PRESIGN_S) {
    throw invalid(`expiresS must be an integer in 1..${MAX_PRESIGN_S}`, { expiresS: opts.expiresS });
  }
  return opts;
}

export function validateContentLength(contentLength: number | undefined): void {
  if (contentLength !== undefined && (!Number.isSafeInteger(contentLength) || contentLength < 0)) {
    throw invalid('contentLength must be an integer >= 0', { contentLength });
  }
}

/** The error for a body whose length differs from the declared contentLength. */
export function lengthMismatch(key: string, expectedBytes: number, actualBytes: number): AppError {
  return invalid(`body of ${key} has ${actualBytes} bytes, contentLength said ${expectedBytes}`, {
    key,
    expectedBytes,
    actualBytes,
  });
}
