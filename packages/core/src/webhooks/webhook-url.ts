/**
 * Webhook URL checks. Only http and https are delivered to.
 *
 * Not done yet (deliberately out of scope for now): an SSRF allow/deny list.
 * A client can still point a webhook at 127.0.0.1, a private range or a cloud
 * metadata address; production deployments should send webhooks through an
 * egress proxy that filters those (as Standard Webhooks recommends) until a
 * resolver-level check lands here.
 */
import { AppError } from '../errors/app-error.js';

const MAX_URL_LENGTH = 2048;
const ALLOWED_PROTOCOLS = new Set(['http:', 'https:']);

/** Parses and checks a webhook URL; throws AppError('VALIDATION_FAILED') when unusable. */
export function parseWebhookUrl(url: string): URL {
  if (url.length > MAX_URL_LENGTH) {
    throw new AppError('VALIDATION_FAILED', `webhook url is longer than ${MAX_URL_LENGTH} characters`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    throw new AppError('VALIDATION_FAILED', 'webhook url is not a valid absolute URL', { cause });
  }
  if (!ALLOWED_PROTOCOLS.has(parsed.protocol)) {
    throw new AppError('VALIDATION_FAILED', 'webhook url must use http or https', {
      details: { protocol: parsed.protocol },
    });
  }
  return parsed;
}

/** The URL with any password replaced by `***`, for logs and attempt records. */
export function redactWebhookUrl(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (parsed.password === '') return url;
  parsed.password = '***';
  return parsed.toString();
}
