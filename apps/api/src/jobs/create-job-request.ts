/**
 * What POST /v1/jobs accepts, as zod schemas.
 *
 * JSON body: `{ audio: { url } | { s3Uri } | { uploadId }, ...JobOptions, metadata? }`.
 * Multipart body: a `file` part plus either an `options` part (the JSON options) and/or one
 * field per option (`language=en`, `itn=false`, `vad={"threshold":0.6}`, `webhook.url=https://…`),
 * and an optional `metadata` part (JSON). Field values are read as JSON when they parse as JSON,
 * else as strings. Unknown top-level keys are rejected so a typo (`langauge`) is a 400, not a
 * silently ignored option.
 */
import { z } from 'zod';
import { AppError } from '@earshot/core/errors/app-error';
import { checkRequest } from '@earshot/core/engine/transcribe-request';
import { JobOptionsSchema } from '@earshot/core/jobs/job-options';
import { parseS3Uri } from '@earshot/core/storage/s3-uri';
import { parseOrThrow } from '../middleware/problem.js';

/** Largest `metadata` object, as UTF-8 JSON (webhook payloads echo it and should stay small). */
export const METADATA_MAX_BYTES = 16 * 1024;
const MAX_URL_LENGTH = 4096;
/** Upload ids are UUIDs (see uploads/upload-registry.ts). */
export const UPLOAD_ID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const MetadataSchema = z
  .record(z.string(), z.unknown())
  .refine((m) => Buffer.byteLength(JSON.stringify(m), 'utf8') <= METADATA_MAX_BYTES, {
    message: `metadata must be a JSON object of at most ${METADATA_MAX_BYTES} bytes`,
  });

export interface AudioRefRules {
  /** Accept `http:` URLs besides `https:`. */
  allowHttp: boolean;
}

export type AudioRef = { url: string } | { s3Uri: string } | { uploadId: string };

export function audioRefSchema(rules: AudioRefRules) {
  return z
    .object({
      url: z.string().max(MAX_URL_LENGTH).optional(),
      s3Uri: z.string().max(2048).optional(),
      uploadId: z.string().max(128).optional(),
    })
    .strict()
    .superRefine((ref, ctx) => {
      const given = (['url', 's3Uri', 'uploadId'] as const).filter((k) => ref[k] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({ code: 'custom', message: 'give exactly one of url, s3Uri, uploadId', path: [] });
        return;
      }
      if (ref.url !== undefined) {
        const protocols = rules.allowHttp ? ['https:', 'http:'] : ['https:'];
        const url = URL.canParse(ref.url) ? new URL(ref.url) : null;
        if (!url || !protocols.includes(url.protocol) || url.hostname === '') {
          const hint = rules.allowHttp ? 'an absolute http(s) URL' : 'an absolute https URL (plain http needs EARSHOT_ALLOW_HTTP_SOURCES=true)';
          ctx.addIssue({ code: 'custom', message: `must be ${hint}`, path: ['url'] });
        }
      }
      if (ref.s3Uri !== undefined) {
        try {
          parseS3Uri(ref.s3Uri);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: err instanceof Error ? err.message : 'invalid s3 URI', path: ['s3Uri'] });
        }
      }
      if (ref.uploadId !== undefined && !UPLOAD_ID_PATTERN.test(ref.uploadId)) {
        ctx.addIssue({ code: 'custom', message: 'not an upload id from POST /v1/uploads', path: ['uploadId'] });
      }
    })
    .transform((ref): AudioRef => {
      if (ref.url !== undefined) return { url: ref.url };
      if (ref.s3Uri !== undefined) return { s3Uri: ref.s3Uri };
      return { uploadId: ref.uploadId ?? '' };
    });
}

export function createJobJsonSchema(rules: AudioRefRules) {
  return JobOptionsSchema.extend({ audio: audioRefSchema(rules), metadata: MetadataSchema.optional() }).strict().superRefine(checkRequest);
}

export const MultipartOptionsSchema = JobOptionsSchema.extend({ metadata: MetadataSchema.optional() }).strict().superRefine(checkRequest);

function parseJsonField(name: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError('VALIDATION_FAILED', `multipart field "${name}" is not valid JSON`, {
      details: { errors: [{ path: name, message: 'not valid JSON' }] },
    });
  }
}

function valueOf(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Option names, dotted for nested ones (`webhook.url`); this also keeps `__proto__` out of setPath. */
const FIELD_NAME = /^[A-Za-z][A-Za-z0-9]{0,63}(\.[A-Za-z][A-Za-z0-9]{0,63}){0,3}$/;

/** Sets `path` (`webhook.url`) in `target`, creating objects on the way. */
function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const segment of path.slice(0, -1)) {
    const next = node[segment];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[segment] = {};
    node = node[segment] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

/** The options object described by the multipart fields (before validation). */
export function multipartOptionsInput(fields: ReadonlyMap<string, string>): Record<string, unknown> {
  let input: Record<string, unknown> = {};
  const options = fields.get('options');
  if (options !== undefined) {
    const parsed = parseJsonField('options', options);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new AppError('VALIDATION_FAILED', 'multipart field "options" must hold a JSON object', {
        details: { errors: [{ path: 'options', message: 'expected a JSON object' }] },
      });
    }
    input = { ...(parsed as Record<string, unknown>) };
  }
  for (const [name, text] of fields) {
    if (name === 'options') continue;
    if (!FIELD_NAME.test(name) || name.split('.').some((segment) => segment === 'constructor' || segment === 'prototype')) {
      throw new AppError('VALIDATION_FAILED', `unexpected multipart field "${name.slice(0, 100)}"`, {
        details: { errors: [{ path: name.slice(0, 100), message: 'unknown field' }] },
      });
    }
    const value = name === 'metadata' ? parseJsonField(name, text) : valueOf(text);
    setPath(input, name.split('.'), value);
  }
  return input;
}

/** Validated options and metadata from multipart fields. */
export function parseMultipartOptions(fields: ReadonlyMap<string, string>) {
  const { metadata, ...options } = parseOrThrow(MultipartOptionsSchema, multipartOptionsInput(fields), 'job options');
  return { options, metadata: metadata ?? null };
}
