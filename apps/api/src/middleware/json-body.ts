/**
 * express.json with one more guard: a depth limit. JSON.parse itself copes with any nesting, but
 * whatever walks the value afterwards recursively (JSON.stringify in the metadata size check, the
 * idempotency hash) overflows the stack on a few thousand levels, which would be a 500 for what
 * is a bad request. Nothing Earshot accepts comes close to the limit.
 */
import express, { type RequestHandler } from 'express';
import { AppError } from '@earshot/core/errors/app-error';

export interface JsonBodyOptions {
  /** Largest body, in body-parser's notation ('256kb'). */
  limit: string;
  /** Deepest nesting of arrays and objects. @defaultValue 64 */
  maxDepth?: number;
}

export const DEFAULT_MAX_JSON_DEPTH = 64;

/** Parses `application/json` bodies into `req.body`; fails with VALIDATION_FAILED when nested deeper than `maxDepth`. */
export function jsonBody(opts: JsonBodyOptions): RequestHandler {
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const parse = express.json({ limit: opts.limit, strict: true });
  return (req, res, next) => {
    parse(req, res, (err?: unknown) => {
      if (err !== undefined && err !== null) {
        next(err);
      } else if (nestedDeeperThan(req.body, maxDepth)) {
        const message = `the JSON body is nested deeper than ${maxDepth} levels`;
        next(new AppError('VALIDATION_FAILED', message, { details: { errors: [{ path: '', message }] } }));
      } else {
        next();
      }
    });
  };
}

/**
 * The same limit for multipart fields, whose values are read as JSON when they parse as JSON
 * (jobs/create-job-request.ts): throws VALIDATION_FAILED naming the first field nested too deeply.
 */
export function assertJsonFieldsDepth(fields: ReadonlyMap<string, string>, maxDepth = DEFAULT_MAX_JSON_DEPTH): void {
  for (const [name, text] of fields) {
    // Cheap pre-check: fewer brackets than the limit cannot nest deeper than it.
    if (!/^\s*[[{]/.test(text) || bracketCount(text) <= maxDepth) continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      continue; // not JSON: read as a string
    }
    if (nestedDeeperThan(value, maxDepth)) {
      const path = name.slice(0, 100);
      const message = `nested deeper than ${maxDepth} levels`;
      throw new AppError('VALIDATION_FAILED', `multipart field "${path}" is ${message}`, { details: { errors: [{ path, message }] } });
    }
  }
}

function bracketCount(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x5b || c === 0x7b) count++;
  }
  return count;
}

/** Whether arrays/objects in `value` nest more than `maxDepth` levels (`[]` is 1, `[[]]` 2). Iterative: safe on any depth. */
export function nestedDeeperThan(value: unknown, maxDepth: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 1 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    if (item.depth > maxDepth) return true;
    for (const child of Object.values(item.value)) pending.push({ value: child, depth: item.depth + 1 });
  }
  return false;
}
