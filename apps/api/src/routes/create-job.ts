/**
 * POST /v1/jobs: a multipart upload (`file` part + options) or a JSON body naming the audio
 * (`{ audio: { url } | { s3Uri } | { uploadId }, ...options, metadata? }`). Answers 202 with the
 * job resource and a Location header; an Idempotency-Key replay answers 200 with the same job
 * and `Idempotent-Replayed: true`.
 */
import { randomUUID } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { AppError } from '@earshot/core/errors/app-error';
import { audioKey } from '@earshot/core/storage/keys';
import { tenantOf } from '../middleware/auth.js';
import { assertJsonFieldsDepth, jsonBody } from '../middleware/json-body.js';
import { parseOrThrow } from '../middleware/problem.js';
import type { ApiMetrics } from '../middleware/metrics.js';
import type { AppContext } from '../app-context.js';
import { createJobJsonSchema, parseMultipartOptions } from '../jobs/create-job-request.js';
import { idempotencyKeyOf, requestHash } from '../jobs/idempotency.js';
import { baseUrlOf, jobUrl, toJobResource } from '../jobs/job-resource.js';
import { receiveMultipart } from '../jobs/receive-multipart.js';
import { resolveAudioRef, type SourceKind } from '../jobs/resolve-source.js';
import { submitJob, type Submitted } from '../jobs/submit-job.js';
import { extensionOf } from '../uploads/hashing-limiter.js';

/** Room for multipart boundaries, headers and option fields on top of the file itself. */
export const MULTIPART_OVERHEAD_BYTES = 1024 * 1024;
export const JSON_BODY_LIMIT = '256kb';

export function createJobHandlers(ctx: AppContext, metrics: ApiMetrics): RequestHandler[] {
  const baseUrl = baseUrlOf(ctx.config.service.publicUrl);
  const jsonSchema = createJobJsonSchema({ allowHttp: ctx.config.http.allowHttpSources });
  const maxUploadBytes = ctx.config.http.maxUploadBytes;
  const parseJson = jsonBody({ limit: JSON_BODY_LIMIT });

  function respond(res: Response, submitted: Submitted, kind: SourceKind): void {
    const location = jobUrl(baseUrl, submitted.job.id);
    res.setHeader('Location', location);
    if (submitted.replayed) res.setHeader('Idempotent-Replayed', 'true');
    else metrics.jobsCreated.inc({ source: kind });
    res.status(submitted.replayed ? 200 : 202).json(toJobResource(submitted.job, baseUrl));
  }

  async function fromJson(req: Request, res: Response): Promise<void> {
    const tenant = tenantOf(res);
    const idempotencyKey = idempotencyKeyOf(req);
    const { audio, metadata, ...options } = parseOrThrow(jsonSchema, req.body ?? null, 'job request');
    const resolved = await resolveAudioRef(audio, tenant, ctx.sourceRules);
    const submitted = await submitJob(ctx.submitDeps, {
      tenant,
      jobId: randomUUID(),
      source: resolved.source,
      options,
      metadata: metadata ?? null,
      idempotencyKey,
      requestHash: requestHash({ audio, options, metadata: metadata ?? null }),
      ...(resolved.upload ? { upload: resolved.upload } : {}),
    });
    respond(res, submitted, resolved.kind);
  }

  async function fromMultipart(req: Request, res: Response): Promise<void> {
    const tenant = tenantOf(res);
    const idempotencyKey = idempotencyKeyOf(req);
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
      // Refuse before reading anything; the body is not read, so the connection cannot be reused.
      res.setHeader('Connection', 'close');
      throw new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than the limit of ${maxUploadBytes} bytes`, {
        details: { maxBytes: maxUploadBytes },
      });
    }
    if (req.headers['content-length'] === undefined) res.setHeader('Connection', 'close');
    const jobId = randomUUID();
    const received = await receiveMultipart(req, {
      store: ctx.store,
      maxFileBytes: maxUploadBytes,
      keyFor: (filename) => audioKey(tenant, jobId, extensionOf(filename)),
      beforeFile: (fields) => {
        assertJsonFieldsDepth(fields);
        if (fields.size > 0) parseMultipartOptions(fields);
      },
      logger: req.log,
    });
    const file = received.file;
    let keep = false;
    let submitted: Awaited<ReturnType<typeof submitJob>>;
    try {
      if (!file) {
        throw new AppError('VALIDATION_FAILED', 'a multipart job request needs a "file" part with the audio', {
          details: { errors: [{ path: 'file', message: 'missing' }] },
        });
      }
      assertJsonFieldsDepth(received.fields);
      const { options, metadata } = parseMultipartOptions(received.fields);
      if (file.sizeBytes === 0) throw new AppError('AUDIO_EMPTY', 'the uploaded file is empty');
      const source = { kind: 'storage' as const, key: file.key, contentType: file.contentType, sizeBytes: file.sizeBytes };
      submitted = await submitJob(ctx.submitDeps, {
        tenant,
        jobId,
        source: file.filename === null ? source : { ...source, filename: file.filename },
        options,
        metadata,
        idempotencyKey,
        requestHash: requestHash({ file: { sha256: file.sha256, filename: file.filename }, options, metadata }),
      });
      keep = !submitted.replayed; // a replay keeps the first request's copy of the audio
    } finally {
      // Before answering, so a client that sees the answer never sees the unused copy.
      if (file && !keep) {
        await ctx.store.delete(file.key).catch((err: unknown) => req.log.warn({ err, key: file.key }, 'could not delete an unused upload'));
      }
    }
    respond(res, submitted, 'upload');
  }

  const create: RequestHandler = async (req, res, next) => {
    const type = req.headers['content-type'] ?? '';
    if (/^multipart\/form-data\b/i.test(type)) {
      await fromMultipart(req, res);
    } else if (req.is('application/json')) {
      parseJson(req, res, (err?: unknown) => {
        if (err) next(err);
        else fromJson(req, res).catch(next);
      });
    } else {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data (with a "file" part) or application/json', {
        details: { contentType: type.slice(0, 100) },
      });
    }
  };
  return [create];
}
