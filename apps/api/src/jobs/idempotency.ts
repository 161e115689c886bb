/**
 * Idempotency-Key support (IETF draft-ietf-httpapi-idempotency-key-header): a request with the
 * same key and the same body returns the job the first one created; the same key with another
 * body is 409 IDEMPOTENCY_KEY_REUSED. "Same body" means the same canonical request: the audio
 * reference (or, for uploads, the file's SHA-256 and name), the options after defaults are
 * applied, and the metadata — so key order and spelled-out defaults do not matter.
 */
import { createHash } from 'node:crypto';
import type { Request } from 'express';
import { AppError } from '@earshot/core/errors/app-error';

/** 1..255 printable ASCII characters, no spaces at either end. */
const KEY_PATTERN = /^[\x21-\x7e]([\x20-\x7e]{0,253}[\x21-\x7e])?$/;

/** The request's Idempotency-Key, null when absent; VALIDATION_FAILED when malformed. */
export function idempotencyKeyOf(req: Request): string | null {
  const value = req.headers['idempotency-key'];
  if (value === undefined) return null;
  // A quoted string is allowed by the draft (it is a Structured Field string).
  const key = typeof value === 'string' ? value.replace(/^"(.*)"$/, '$1') : '';
  if (!KEY_PATTERN.test(key)) {
    throw new AppError('VALIDATION_FAILED', 'Idempotency-Key must be 1..255 printable ASCII characters', {
      details: { errors: [{ path: 'Idempotency-Key', message: 'invalid header value' }] },
    });
  }
  return key;
}

/** JSON with object keys sorted at every level; `undefined` members are left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of `value`. */
export function requestHash(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
