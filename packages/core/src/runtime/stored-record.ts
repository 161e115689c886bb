import type { z } from 'zod';
import { AppError } from '../errors/app-error.js';

/**
 * A record read back from storage (a job or an upload in Redis, a fan-out chunk object), checked
 * against the schema its writers share.
 * Text that is not JSON, or JSON that does not fit the schema, is an INTERNAL error (not
 * retryable: reading it again gives the same) naming `what`, e.g. "job record <id>", with the
 * first five schema issues; never a half-typed object.
 */
export function parseStoredRecord<S extends z.ZodType>(schema: S, text: string, what: string): z.infer<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new AppError('INTERNAL', `${what} is not JSON`, { cause: err, retryable: false });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new AppError('INTERNAL', `${what} does not match its schema (${issues.join('; ')})`, { retryable: false, details: { issues } });
  }
  return parsed.data;
}
