/**
 * Uploads for files sent apart from the job request (large files, browsers, resumable tools):
 *
 *   POST /v1/uploads  { filename?, contentType?, sizeBytes? }
 *     → 201 { uploadId, method: 'PUT', url, headers, expiresAt }
 *   PUT <url> with <headers> and the bytes, then POST /v1/jobs { audio: { uploadId } }.
 *
 * With the S3 store the url is a presigned S3 PUT: the bytes never pass through the API. With
 * the fs store (no presigning) it is PUT /v1/uploads/:uploadId?token=… on the API itself; the
 * one-time token in the URL authorizes it like a presigned URL does (an `Authorization: Bearer`
 * key of the same tenant works too), so clients run the same flow against either store.
 */
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { AppError } from '@earshot/core/errors/app-error';
import type { PutResult } from '@earshot/core/storage/blob-store';
import type { AppContext } from '../app-context.js';
import type { Authenticator } from '../middleware/auth.js';
import { setTenant, tenantOf } from '../middleware/auth.js';
import { jsonBody } from '../middleware/json-body.js';
import { parseOrThrow } from '../middleware/problem.js';
import { baseUrlOf } from '../jobs/job-resource.js';
import { UPLOAD_ID_PATTERN } from '../jobs/create-job-request.js';
import { HashingLimiter, cleanFilename, tooLarge } from '../uploads/hashing-limiter.js';
import { feedRequestBody } from '../uploads/request-body.js';
import type { UploadRecord } from '../uploads/upload-registry.js';

const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/;

export const CreateUploadSchema = z
  .object({
    filename: z.string().min(1).max(255).optional(),
    contentType: z.string().regex(CONTENT_TYPE, 'must be a media type like audio/wav').optional(),
    sizeBytes: z.number().int().min(1).optional(),
  })
  .strict();

export interface UploadTicket {
  uploadId: string;
  method: 'PUT';
  url: string;
  /** Headers the PUT must carry (a presigned URL signs Content-Type when one was given). */
  headers: Record<string, string>;
  expiresAt: string;
}

/** The media type of a Content-Type header, lowercased and without parameters. */
function mediaType(header: string | undefined): string | null {
  const type = header?.split(';')[0]?.trim().toLowerCase();
  return type ? type : null;
}

/** POST /v1/uploads (behind the API-key check). */
export function createUploadsRouter(ctx: AppContext): Router {
  const router = Router();
  const baseUrl = baseUrlOf(ctx.config.service.publicUrl);
  const { http } = ctx.config;
  const parseJson = jsonBody({ limit: '16kb' });

  const readBody: RequestHandler = (req, res, next) => {
    if (req.is('application/json') === false) {
      next(new AppError('UNSUPPORTED_MEDIA_TYPE', 'send application/json (or no body)'));
      return;
    }
    parseJson(req, res, next);
  };

  router.post('/v1/uploads', readBody, async (req, res) => {
    const tenant = tenantOf(res);
    const body = parseOrThrow(CreateUploadSchema, req.body ?? {}, 'upload request');
    if (body.sizeBytes !== undefined && body.sizeBytes > http.maxUploadBytes) throw tooLarge(http.maxUploadBytes);
    const contentType = body.contentType?.toLowerCase() ?? null;
    const { record, token } = await ctx.uploads.create({
      tenant,
      filename: cleanFilename(body.filename),
      contentType,
      sizeBytes: body.sizeBytes ?? null,
      expiresS: http.uploadUrlExpiresS,
    });
    const presigned = await ctx.store.presignPut(record.key, {
      expiresS: http.uploadUrlExpiresS,
      ...(contentType ? { contentType } : {}),
    });
    const ticket: UploadTicket = {
      uploadId: record.id,
      method: 'PUT',
      url: presigned ?? `${baseUrl}/v1/uploads/${record.id}?token=${encodeURIComponent(token)}`,
      headers: contentType ? { 'Content-Type': contentType } : {},
      expiresAt: record.expiresAt,
    };
    res.status(201).json(ticket);
  });

  return router;
}

/** PUT /v1/uploads/:uploadId: streams the body into the upload's storage key. Authorized by token or API key. */
export function createUploadPutHandler(ctx: AppContext, auth: Authenticator): RequestHandler {
  const max = ctx.config.http.maxUploadBytes;

  async function authorize(req: Request, upload: UploadRecord | null): Promise<UploadRecord> {
    const bearerTenant = auth.tenantFor(req);
    const token = typeof req.query.token === 'string' ? req.query.token : undefined;
    if (upload && (bearerTenant === upload.tenant || (token !== undefined && ctx.uploads.tokenMatches(upload, token)))) {
      if (Date.parse(upload.expiresAt) < Date.now()) throw new AppError('UNAUTHORIZED', 'this upload URL has expired; create a new upload');
      return upload;
    }
    if (bearerTenant === null && token === undefined) throw new AppError('UNAUTHORIZED', 'missing upload token or API key');
    // Unknown upload, another tenant's upload, or a wrong token: all look the same.
    throw new AppError('NOT_FOUND', 'upload not found');
  }

  return async (req, res) => {
    const id = typeof req.params.uploadId === 'string' ? req.params.uploadId : '';
    const upload = await authorize(req, UPLOAD_ID_PATTERN.test(id) ? await ctx.uploads.get(id) : null);
    setTenant(res, upload.tenant);
    const holder = await ctx.uploads.jobOf(upload.id);
    if (holder !== null) throw new AppError('CONFLICT', `upload ${upload.id} is already used by job ${holder}`, { details: { jobId: holder } });

    const sent = mediaType(req.headers['content-type']);
    if (upload.contentType !== null && sent !== upload.contentType) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', `send Content-Type: ${upload.contentType} as declared for this upload`);
    }
    const lengthHeader = req.headers['content-length'];
    const declared = lengthHeader === undefined ? null : Number(lengthHeader);
    if (declared === null) res.setHeader('Connection', 'close'); // we may stop reading a chunked body early
    if (declared !== null && declared > max) {
      res.setHeader('Connection', 'close');
      throw tooLarge(max);
    }
    if (declared === 0) throw new AppError('AUDIO_EMPTY', 'the upload body is empty');
    if (declared !== null && upload.sizeBytes !== null && declared !== upload.sizeBytes) {
      throw new AppError('VALIDATION_FAILED', `this upload was declared as ${upload.sizeBytes} bytes, the body has ${declared}`);
    }

    const limiter = new HashingLimiter(max);
    // Its own PAYLOAD_TOO_LARGE, a client hang-up or the store's failure: the put below rejects with it.
    limiter.on('error', () => undefined);
    // Not pipeline: on failure the request must stay open for the problem answer (its rest is drained).
    const feed = feedRequestBody(req, limiter, (err) => limiter.destroy(err));
    let put: PutResult;
    try {
      put = await ctx.store.put(upload.key, limiter, {
        // curl --data-binary sends application/x-www-form-urlencoded unless told otherwise: that is not the audio's type.
        contentType: sent && CONTENT_TYPE.test(sent) && sent !== 'application/x-www-form-urlencoded' ? sent : 'application/octet-stream',
        ...(upload.sizeBytes !== null ? { contentLength: upload.sizeBytes } : {}),
      });
    } catch (err) {
      // The store may have failed without reading the body: stop feeding it either way.
      limiter.destroy();
      feed.stop();
      throw err;
    }
    if (put.size === 0) {
      await ctx.store.delete(upload.key);
      throw new AppError('AUDIO_EMPTY', 'the upload body is empty');
    }
    res.status(200).json({ uploadId: upload.id, sizeBytes: put.size, sha256: limiter.sha256() });
  };
}
