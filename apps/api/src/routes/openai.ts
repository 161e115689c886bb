/**
 * The OpenAI-compatible face of the queue (answers and errors in OpenAI's shapes, openai/):
 *
 *   POST /v1/audio/transcriptions   multipart: file, model, language, prompt, response_format,
 *                                   timestamp_granularities[], stream, temperature
 *   GET  /v1/models                 the model the worker fleet serves
 *
 * A transcription is an ordinary job: created through submitJob (so it is in the job list, with
 * its webhooks, retention and metrics), run by the workers, and awaited here through its event
 * stream for up to EARSHOT_SYNC_TIMEOUT_S. Past that the answer is a 504 SYNC_TIMEOUT naming the
 * job, which goes on and can be polled (GET /v1/jobs/:id). A client that hangs up leaves its job
 * running too. With `stream=true` the answer is server-sent events: one `transcript.text.delta`
 * per segment with text, in order, as the workers decode them, then `transcript.text.done`.
 */
import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import { AppError } from '@earshot/core/errors/app-error';
import { readWorkerReports } from '@earshot/core/fleet/worker-registry';
import { JobEventLog, type JobStatusEvent } from '@earshot/core/jobs/job-events';
import { JobOptionsSchema } from '@earshot/core/jobs/job-options';
import { formatTranscript } from '@earshot/core/results/formats/format-transcript';
import type { Transcript } from '@earshot/core/results/transcript';
import type { AppContext } from '../app-context.js';
import { followJobEvents, isFinalEvent } from '../events/follow-job-events.js';
import { openSse, type SseStream } from '../events/sse.js';
import { idempotencyKeyOf, requestHash } from '../jobs/idempotency.js';
import { baseUrlOf, jobUrl } from '../jobs/job-resource.js';
import { receiveMultipart } from '../jobs/receive-multipart.js';
import { submitJob } from '../jobs/submit-job.js';
import { tenantOf } from '../middleware/auth.js';
import type { ApiMetrics } from '../middleware/metrics.js';
import { deltaOf, toOpenAiJson, toOpenAiVerboseJson } from '../openai/openai-response.js';
import { toOpenAiError } from '../openai/openai-error.js';
import { cueOptionsOf, jobOptionsOf, parseTranscriptionFields, TIMESTAMP_GRANULARITIES_FIELD, type TranscriptionRequest } from '../openai/transcription-request.js';
import { audioKey } from '@earshot/core/storage/keys';
import { extensionOf } from '../uploads/hashing-limiter.js';
import { MULTIPART_OVERHEAD_BYTES } from './create-job.js';
import { EVENTS_HEARTBEAT_MS } from './job-events.js';

export interface OpenAiRouteOptions {
  /** Heartbeat of streamed answers. @defaultValue EVENTS_HEARTBEAT_MS */
  heartbeatMs?: number;
}

export function createOpenAiRouter(ctx: AppContext, metrics: ApiMetrics, options: OpenAiRouteOptions = {}): Router {
  const router = Router();
  const baseUrl = baseUrlOf(ctx.config.service.publicUrl);
  const events = new JobEventLog(ctx.redis, ctx.config.service.keyPrefix);
  const heartbeatMs = options.heartbeatMs ?? EVENTS_HEARTBEAT_MS;
  const maxUploadBytes = ctx.config.http.maxUploadBytes;

  router.get('/v1/models', async (_req, res) => {
    const reports = await readWorkerReports(ctx.redis, ctx.config.service.keyPrefix, Date.now(), ctx.config.service.queueName);
    const models = new Map<string, boolean>();
    for (const report of reports) if (report.model) models.set(report.model.id, report.model.synthetic);
    res.json({
      object: 'list',
      data: [...models].map(([id, synthetic]) => ({ id, object: 'model', created: 0, owned_by: 'earshot', synthetic })),
    });
  });

  router.post('/v1/audio/transcriptions', async (req, res) => {
    const tenant = tenantOf(res);
    if (!/^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      throw new AppError('UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data with a "file" part, as OpenAI clients do');
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxUploadBytes + MULTIPART_OVERHEAD_BYTES) {
      res.setHeader('Connection', 'close');
      throw new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than the limit of ${maxUploadBytes} bytes`, { details: { maxBytes: maxUploadBytes } });
    }
    const jobId = randomUUID();
    const received = await receiveMultipart(req, {
      store: ctx.store,
      maxFileBytes: maxUploadBytes,
      keyFor: (filename) => audioKey(tenant, jobId, extensionOf(filename)),
      repeatable: [TIMESTAMP_GRANULARITIES_FIELD],
      logger: req.log,
    });
    const file = received.file;
    let request: TranscriptionRequest;
    let keep = false;
    let submittedId: string;
    try {
      if (!file) {
        throw new AppError('VALIDATION_FAILED', 'a transcription request needs a "file" part with the audio', {
          details: { errors: [{ path: 'file', message: 'missing' }] },
        });
      }
      request = parseTranscriptionFields(received.fields, received.lists);
      if (file.sizeBytes === 0) throw new AppError('AUDIO_EMPTY', 'the uploaded file is empty');
      const options = JobOptionsSchema.parse(jobOptionsOf(request));
      const source = { kind: 'storage' as const, key: file.key, contentType: file.contentType, sizeBytes: file.sizeBytes };
      const submitted = await submitJob(ctx.submitDeps, {
        tenant,
        jobId,
        source: file.filename === null ? source : { ...source, filename: file.filename },
        options,
        metadata: null,
        idempotencyKey: idempotencyKeyOf(req),
        requestHash: requestHash({ file: { sha256: file.sha256, filename: file.filename }, options, metadata: null }),
      });
      keep = !submitted.replayed;
      submittedId = submitted.job.id;
      if (!submitted.replayed) metrics.jobsCreated.inc({ source: 'upload' });
    } finally {
      if (file && !keep) await ctx.store.delete(file.key).catch((err: unknown) => req.log.warn({ err, key: file.key }, 'could not delete an unused upload'));
    }
    res.setHeader('X-Earshot-Job-Id', submittedId);
    if (request.stream) await streamAnswer(req, res, submittedId);
    else await fullAnswer(res, submittedId, request);
  });

  /** The job's final status, or null when the client left or the sync timeout passed. */
  async function awaitJob(
    jobId: string,
    signal: AbortSignal,
    onSegment?: (index: number, text: string) => void,
    onIdle?: () => void,
  ): Promise<JobStatusEvent | null> {
    for await (const item of followJobEvents({ events, jobs: ctx.jobs, redis: ctx.redis, jobId, afterId: '0', idleMs: heartbeatMs, signal })) {
      if (item.kind === 'idle') onIdle?.();
      else if (item.event.type === 'segment' && item.event.chunk === undefined) onSegment?.(item.event.index, item.event.text);
      else if (item.event.type === 'status' && isFinalEvent(item.event)) return item.event;
    }
    return null;
  }

  /** The job goes on, the wait ends: the timeout passed (504), or the API is shutting down (503). */
  function syncTimeout(jobId: string, shuttingDown = false): AppError {
    const timeoutS = ctx.config.http.syncTimeoutS;
    const why = shuttingDown ? 'the API is shutting down' : `job ${jobId} did not finish within ${timeoutS} s (EARSHOT_SYNC_TIMEOUT_S)`;
    return new AppError('SYNC_TIMEOUT', `${why}; job ${jobId} goes on: poll GET /v1/jobs/${jobId}`, {
      details: { jobId, jobUrl: jobUrl(baseUrl, jobId) },
      ...(shuttingDown ? { httpStatus: 503 } : {}),
    });
  }

  /** The completed job's transcript; the job's own error when it failed or was canceled. */
  async function transcriptOf(jobId: string, final: JobStatusEvent): Promise<Transcript> {
    if (final.status === 'failed') {
      const code = final.error?.code ?? 'INTERNAL';
      throw new AppError(code, final.error?.message ?? `job ${jobId} failed`, { details: { jobId, jobUrl: jobUrl(baseUrl, jobId) } });
    }
    if (final.status === 'canceled') throw new AppError('JOB_CANCELED', `job ${jobId} was canceled`, { details: { jobId, jobUrl: jobUrl(baseUrl, jobId) } });
    const job = await ctx.jobs.get(jobId);
    const key = job?.result?.keys.json;
    if (!key) throw new AppError('RESULT_NOT_AVAILABLE', `the result of job ${jobId} is gone`);
    return JSON.parse(Buffer.from(await ctx.store.getBytes(key)).toString('utf8')) as Transcript;
  }

  async function fullAnswer(res: Response, jobId: string, request: TranscriptionRequest): Promise<void> {
    const gone = new AbortController();
    res.on('close', () => gone.abort());
    const timeout = AbortSignal.timeout(ctx.config.http.syncTimeoutS * 1000);
    const final = await awaitJob(jobId, AbortSignal.any([gone.signal, timeout, ...(ctx.closing ? [ctx.closing] : [])]));
    if (!final) {
      if (gone.signal.aborted) return; // the client left; its job goes on
      throw syncTimeout(jobId, ctx.closing?.aborted === true);
    }
    const transcript = await transcriptOf(jobId, final);
    switch (request.response_format) {
      case 'json':
        res.json(toOpenAiJson(transcript));
        return;
      case 'verbose_json':
        res.json(toOpenAiVerboseJson(transcript, request[TIMESTAMP_GRANULARITIES_FIELD] ?? ['segment']));
        return;
      case 'text':
      case 'srt':
      case 'vtt': {
        const rendered = formatTranscript(transcript, request.response_format === 'text' ? 'txt' : request.response_format, cueOptionsOf(request));
        res.status(200).type(rendered.contentType).send(rendered.body);
        return;
      }
    }
  }

  async function streamAnswer(req: Request, res: Response, jobId: string): Promise<void> {
    const sse = openSse(res, ctx.closing);
    const timeout = AbortSignal.timeout(ctx.config.http.syncTimeoutS * 1000);
    // Deltas go out in index order, each index once (a retried run decodes its segments again).
    let next = 0;
    let sentText = false;
    const delta = (text: string): void => {
      const d = deltaOf(text, sentText);
      if (d === null) return;
      sentText = true;
      sse.send({ type: 'transcript.text.delta', delta: d });
    };
    try {
      const final = await awaitJob(
        jobId,
        AbortSignal.any([sse.signal, timeout]),
        (index, text) => {
          if (index !== next) return;
          next++;
          delta(text);
        },
        () => sse.comment('ping'),
      );
      if (!final) {
        if (!sse.closed) sse.send(toOpenAiError(syncTimeout(jobId, ctx.closing?.aborted === true)));
        return;
      }
      const transcript = await transcriptOf(jobId, final);
      // Segments no event delivered (a split job's, or events lost) follow from the transcript.
      for (const segment of transcript.segments.slice(next)) delta(segment.text);
      sse.send({ type: 'transcript.text.done', text: transcript.text, usage: toOpenAiJson(transcript).usage });
    } catch (err) {
      const error = err instanceof AppError ? err : new AppError('INTERNAL', 'the transcription stream failed', { cause: err });
      if (!(err instanceof AppError)) req.log.error({ err, jobId }, 'transcription stream failed');
      sse.send(toOpenAiError(error));
    } finally {
      sse.end();
    }
  }

  return router;
}
