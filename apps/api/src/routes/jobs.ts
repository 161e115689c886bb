/**
 * Job routes (all authenticated, all scoped to the caller's tenant; another tenant's job is 404):
 *   POST   /v1/jobs                     create (routes/create-job.ts)
 *   GET    /v1/jobs?status=&limit=&cursor=   list, newest first: { data, nextCursor }
 *   GET    /v1/jobs/:id                 the job resource
 *   DELETE /v1/jobs/:id                 cancel (202 + resource; idempotent), see jobs/cancel-or-purge.ts
 *   DELETE /v1/jobs/:id?purge=true      delete a finished job with its audio and results (204)
 *   GET    /v1/jobs/:id/result?format=json|rich|txt|srt|vtt   the transcript (vtt: &wordTimestamps=true)
 *   GET    /v1/jobs/:id/webhooks        webhook delivery attempts: { data }
 */
import { pipeline } from 'node:stream/promises';
import { Router, type Response } from 'express';
import { z } from 'zod';
import { AppError } from '@earshot/core/errors/app-error';
import { JOB_STATUSES, type JobRecord } from '@earshot/core/jobs/job-record';
import { FORMAT_FILES, formatTranscript, TRANSCRIPT_FORMATS, type TranscriptFormat } from '@earshot/core/results/formats/format-transcript';
import type { CueOptions } from '@earshot/core/results/formats/cues';
import type { Transcript } from '@earshot/core/results/transcript';
import type { AppContext } from '../app-context.js';
import { tenantOf } from '../middleware/auth.js';
import type { ApiMetrics } from '../middleware/metrics.js';
import { parseOrThrow } from '../middleware/problem.js';
import { cancelJob, purgeJob } from '../jobs/cancel-or-purge.js';
import { baseUrlOf, toJobResource } from '../jobs/job-resource.js';
import { createJobHandlers } from './create-job.js';

export const MAX_LIST_LIMIT = 100;

export const ListQuerySchema = z
  .object({
    status: z.enum(JOB_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIST_LIMIT).default(20),
    cursor: z.string().min(1).max(4096).optional(),
  })
  .strict();

export const DeleteQuerySchema = z.object({ purge: z.stringbool().default(false) }).strict();

export const ResultQuerySchema = z
  .object({
    format: z.enum(TRANSCRIPT_FORMATS).default('json'),
    wordTimestamps: z
      .stringbool()
      .default(false)
      .meta({ description: 'format=vtt only: a WebVTT cue timestamp before each word after a cue\'s first (karaoke style).' }),
  })
  .strict()
  .refine((q) => !q.wordTimestamps || q.format === 'vtt', { path: ['wordTimestamps'], message: 'wordTimestamps needs format=vtt' });

/** `attachment` with an ASCII filename plus the exact UTF-8 one (RFC 6266 / 8187). */
export function contentDisposition(job: JobRecord, format: TranscriptFormat): string {
  const original = job.source.kind === 'storage' ? job.source.filename : undefined;
  const stem = original ? original.replace(/\.[^.]*$/, '') || original : `transcript-${job.id}`;
  const name = `${stem}.${FORMAT_FILES[format].extension}`;
  const ascii = name.replace(/[^A-Za-z0-9._-]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}

export function createJobsRouter(ctx: AppContext, metrics: ApiMetrics): Router {
  const router = Router();
  const baseUrl = baseUrlOf(ctx.config.service.publicUrl);
  const { jobs, store } = ctx;

  router.post('/v1/jobs', ...createJobHandlers(ctx, metrics));

  router.get('/v1/jobs', async (req, res) => {
    const query = parseOrThrow(ListQuerySchema, req.query, 'query');
    const page = await jobs.list(tenantOf(res), { limit: query.limit, ...(query.status ? { status: query.status } : {}), ...(query.cursor ? { cursor: query.cursor } : {}) });
    res.json({ data: page.jobs.map((j) => toJobResource(j, baseUrl)), nextCursor: page.nextCursor });
  });

  router.get('/v1/jobs/:id', async (req, res) => {
    const job = await jobs.getForTenant(req.params.id, tenantOf(res));
    res.json(toJobResource(job, baseUrl));
  });

  router.delete('/v1/jobs/:id', async (req, res) => {
    const { purge } = parseOrThrow(DeleteQuerySchema, req.query, 'query');
    const deps = { jobs, queue: ctx.queue, store, logger: req.log };
    if (purge) {
      await purgeJob(deps, req.params.id, tenantOf(res));
      res.status(204).end();
    } else {
      res.status(202).json(toJobResource(await cancelJob(deps, req.params.id, tenantOf(res)), baseUrl));
    }
  });

  router.get('/v1/jobs/:id/result', async (req, res) => {
    const { format, wordTimestamps } = parseOrThrow(ResultQuerySchema, req.query, 'query');
    const job = await jobs.getForTenant(req.params.id, tenantOf(res));
    if (job.status === 'queued' || job.status === 'processing') {
      res.setHeader('Retry-After', '5');
      throw new AppError('JOB_NOT_FINISHED', `job ${job.id} is ${job.status}; the result is available once it is completed`, {
        details: { status: job.status },
      });
    }
    if (job.status !== 'completed' || !job.result) {
      throw new AppError('RESULT_NOT_AVAILABLE', `job ${job.id} is ${job.status} and has no result`, { details: { status: job.status } });
    }
    await sendResult(res, job, format, wordTimestamps ? { wordTimestamps } : null);
  });

  router.get('/v1/jobs/:id/webhooks', async (req, res) => {
    const job = await jobs.getForTenant(req.params.id, tenantOf(res));
    res.json({ data: await ctx.webhookAttempts.list(job.id) });
  });

  /**
   * Streams the stored rendering of `format` (the worker renders with default options); renders
   * it from the JSON transcript when only that was stored, or when `options` asks for another
   * rendering.
   */
  async function sendResult(res: Response, job: JobRecord, format: TranscriptFormat, options: CueOptions | null): Promise<void> {
    const keys = job.result?.keys ?? {};
    const file = FORMAT_FILES[format];
    res.setHeader('Content-Disposition', contentDisposition(job, format));
    res.setHeader('Cache-Control', 'private, no-cache');
    const key = options === null ? keys[format] : undefined;
    const head = key ? await store.head(key) : null;
    if (key && head) {
      const stored = head.contentType && head.contentType !== 'application/octet-stream' ? head.contentType : file.contentType;
      res.status(200).setHeader('Content-Type', stored);
      res.setHeader('Content-Length', String(head.size));
      try {
        await pipeline(await store.getStream(key), res);
      } catch (err) {
        // The client closed the download early (the answer side closed before the end): not an
        // error of ours. A failing store stream rejects with its own error instead.
        if ((err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') {
          res.req.log.info({ jobId: job.id, format }, 'client closed the result download early');
          return;
        }
        throw err;
      }
      return;
    }
    const jsonKey = keys.json;
    if (!jsonKey || !(await store.head(jsonKey))) {
      throw new AppError('RESULT_NOT_AVAILABLE', `the ${format} result of job ${job.id} is missing from storage`);
    }
    const transcript = JSON.parse(Buffer.from(await store.getBytes(jsonKey)).toString('utf8')) as Transcript;
    const rendered = formatTranscript(transcript, format, options ?? {});
    res.status(200).type(rendered.contentType).send(rendered.body);
  }

  return router;
}
