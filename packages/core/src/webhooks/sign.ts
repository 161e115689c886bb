/**
 * Standard Webhooks signing (HMAC-SHA256) with the `standardwebhooks` package.
 *
 * The signed content is `{webhook-id}.{webhook-timestamp}.{body}`; the body is the
 * exact string that is sent (UTF-8 on the wire, as the library encodes it). Several
 * secrets may be active at once during rotation: each one signs, and the
 * `webhook-signature` header lists every `v1,<base64>` signature space-separated,
 * so a receiver holding either the old or the new secret verifies.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { AppError } from '../errors/app-error.js';

const SECRET_PREFIX = 'whsec_';
/** Secret size bounds from the Standard Webhooks spec. */
const MIN_SECRET_BYTES = 24;
const MAX_SECRET_BYTES = 512;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export interface WebhookHeaders {
  'webhook-id': string;
  /** Unix seconds of this attempt. */
  'webhook-timestamp': string;
  /** One or more `v1,<base64>` signatures, space-separated. */
  'webhook-signature': string;
}

export interface WebhookSigner {
  /** Headers for one attempt: `at` is the attempt time, not the event time. */
  sign(msgId: string, at: Date, body: string): WebhookHeaders;
}

/** A new `whsec_<base64>` secret of `sizeBytes` random bytes. @defaultValue sizeBytes 32 */
export function generateWebhookSecret(sizeBytes = 32): string {
  if (!Number.isInteger(sizeBytes) || sizeBytes < MIN_SECRET_BYTES || sizeBytes > MAX_SECRET_BYTES) {
    throw new AppError('VALIDATION_FAILED', `webhook secret size must be ${MIN_SECRET_BYTES}..${MAX_SECRET_BYTES} bytes`);
  }
  return SECRET_PREFIX + randomBytes(sizeBytes).toString('base64');
}

/** Throws VALIDATION_FAILED unless `secret` is `whsec_` + base64 of 24–512 bytes. */
export function assertWebhookSecret(secret: string): void {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : undefined;
  if (encoded === undefined || !BASE64.test(encoded)) {
    throw new AppError('VALIDATION_FAILED', 'webhook secret must look like whsec_<base64>');
  }
  const sizeBytes = Buffer.from(encoded, 'base64').length;
  if (sizeBytes < MIN_SECRET_BYTES || sizeBytes > MAX_SECRET_BYTES) {
    throw new AppError('VALIDATION_FAILED', `webhook secret must decode to ${MIN_SECRET_BYTES}..${MAX_SECRET_BYTES} bytes`, {
      details: { sizeBytes },
    });
  }
}

/**
 * A signer for the active secrets, newest or oldest first (order does not matter
 * to receivers). Secrets are validated and decoded once here.
 */
export function createWebhookSigner(secrets: readonly string[]): WebhookSigner {
  if (secrets.length === 0) throw new AppError('VALIDATION_FAILED', 'at least one webhook secret is required');
  for (const secret of secrets) assertWebhookSecret(secret);
  const keys = secrets.map((secret) => new Webhook(secret));
  return {
    sign(msgId, at, body) {
      const signature = keys.map((key) => key.sign(msgId, at, body)).join(' ');
      return {
        'webhook-id': msgId,
        // The library signs floor(ms / 1000); the header must carry the same number.
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      };
    },
  };
}
