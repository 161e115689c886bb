/**
 * The BullMQ processor for transcription jobs: record → audio → engine →
 * results in every format → record completed → webhooks.
 *
 * Words: the **record** is Earshot's job document (JobStore), which outlives the
 * BullMQ **job** (trimmed once finished). A **run** is one call of the processor
 * for a job; a job can have several (retries, or stalled-job recovery after a
 * worker died).
 *
 * Re-runs are safe: a run starts only from `queued` or `processing` (a record
 * left `processing` by a dead worker is taken over), result objects are written
 * to fixed keys (a re-run overwrites them), and webhook event ids derive from the
 * job id (job-webhooks.ts), so a re-run re-enqueues the same events, which the
 * dispatcher drops. Every final record write is conditional on `processing`, so a
 * cancel that lands while the job runs wins.
 *
 * Errors decide what BullMQ does next: a non-retryable AppError (bad audio, 4xx
 * source) fails the job at once (`UnrecoverableError`); a retryable one puts the
 * record back to `queued` and rethrows so BullMQ backs off, until the last
 * attempt, which fails the job. `job.failed` is sent once, on the final failure.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { toAppError, type AppError } from '@earshot/core/errors/app-error';
import type { Engine } from '@earshot/core/engine/engine';
import { evaluateAlerts } from '@earshot/core/jobs/alerts';
import type { JobResultInfo } from '@earshot/core/jobs/job-record';
import type { JobStore } from '@earshot/core/jobs/job-store';
import { TranscriptionJobDataSchema, type TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import { TRANSCRIPT_FORMATS, formatTranscript, type TranscriptFormat } from '@earshot/core/results/formats/format-transcript';
import type { Transcript } from '@earshot/core/results/transcript';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { resultKey } from '@earshot/core/storage/keys';
import type { WebhookDispatcher } from '@earshot/core/webhooks/delivery-queue';
import { watchForCancel } from './cancel-watch.js';
import { completionEvents, failureEvent, sendJobEvents } from './job-webhooks.js';
import type { JobMetrics, JobOutcome } from './metrics.js';
import { createProgressReporter } from './progress-reporter.js';
import { fetchSourceBytes } from './source-fetch.js';

export interface JobProcessorDeps {
  /** The process's one engine; concurrent runs share its model batches. */
  engine: Pick<Engine, 'transcribe'>;
  store: BlobStore;
  jobStore: JobStore;
  webhooks: Pick<WebhookDispatcher, 'enqueue'>;
  /** Base URL of the API, for the links in webhooks. */
  publicUrl: string;
  logger: Logger;
  /** Largest audio source read into memory. */
  sourceMaxBytes: number;
  /** Whole-download timeout for URL sources. */
  sourceTimeoutMs: number;
  /** Let URL sources reach loopback/private addresses (EARSHOT_ALLOW_PRIVATE_NETWORK). @defaultValue false */
  allowPrivateNetwork?: boolean;
  metrics?: JobMetrics;
  /**
   * Aborted when the worker gives up on its active jobs (drain timeout at shutdown).
   * Runs then stop touching records and never settle, so BullMQ does not move their
   * jobs either: the process exits and stalled-job recovery hands them to another worker.
   */
  abandonSignal?: AbortSignal;
  /** Minimum time between progress writes. @defaultValue 500 */
  progressIntervalMs?: number;
  /** How often a running job's record is checked for a cancel. @defaultValue 1000 */
  cancelPollMs?: number;
}

/** What a run returns to BullMQ (kept small: it is stored on the BullMQ job). */
export interface JobRunResult {
  status: 'completed' | 'canceled' | 'skipped';
  durationS?: number;
  segments?: number;
}

export type TranscriptionProcessor = (
  job: Job<TranscriptionJobData>,
  token?: string,
  signal?: AbortSignal,
) => Promise<JobRunResult>;

export function createJobProcessor(deps: JobProcessorDeps): TranscriptionProcessor {
  const { jobStore, logger } = deps;
  const progressIntervalMs = deps.progressIntervalMs ?? 500;
  const cancelPollMs = deps.cancelPollMs ?? 1000;

  return async function processTranscription(job, _token, bullSignal) {
    const parsed = TranscriptionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed transcription job data: ${parsed.error.message}`);
    const data = parsed.data;
    const log = logger.child({ jobId: data.jobId, tenant: data.tenant, attempt: job.attemptsMade + 1 });
    const startedAt = performance.now();
    const elapsedS = (): number => (performance.now() - startedAt) / 1000;

    const record = await jobStore.update(
      data.jobId,
      (r) => ({
        status: 'processing',
        startedAt: r.startedAt ?? new Date().toISOString(),
        attempts: Math.max(r.attempts, job.attemptsStarted),
        progress: 0,
        phase: 'fetching',
      }),
      ['queued', 'processing'],
    );
    if (!record) return finishWithoutRun(job, data.jobId, log);

    deps.metrics?.jobStarted();
    const finish = (outcome: JobOutcome, info: { audioS?: number; errorCode?: string } = {}): void =>
      deps.metrics?.jobFinished(outcome, { durationS: elapsedS(), ...info });

    const cancel = watchForCancel(jobStore, data.jobId, cancelPollMs, (err) => log.warn({ err }, 'cancel check failed'));
    const signals = [cancel.signal, ...(bullSignal ? [bullSignal] : []), ...(deps.abandonSignal ? [deps.abandonSignal] : [])];
    const signal = AbortSignal.any(signals);
    const progress = createProgressReporter(
      async ({ fraction, phase }) => {
        await Promise.all([
          jobStore.update(data.jobId, () => ({ progress: round3(fraction), phase }), ['processing']),
          job.updateProgress(Math.round(fraction * 100)),
        ]);
      },
      progressIntervalMs,
      (err) => log.warn({ err }, 'progress update failed'),
    );

    // The decoded duration replaces the container's declared one on the record and the queue
    // payload (the scaling signal reads it there), once, as soon as the engine knows it.
    let durationNoted = record.audio?.exact === true;
    const noteDuration = (audioS: number): void => {
      if (durationNoted) return;
      durationNoted = true;
      const audio = { durationS: round3(audioS), exact: true };
      void Promise.all([jobStore.update(data.jobId, () => ({ audio }), ['processing']), job.updateData({ ...data, audio })]).catch((err: unknown) =>
        log.warn({ err }, 'could not record the audio duration'),
      );
    };

    try {
      log.info({ source: record.source.kind }, 'job started');
      const bytes = await fetchSourceBytes(record.source, {
        store: deps.store,
        maxBytes: deps.sourceMaxBytes,
        urlTimeoutMs: deps.sourceTimeoutMs,
        signal,
        allowPrivateNetwork: deps.allowPrivateNetwork ?? false,
      });
      const { language, itn, banEmotionUnknown, vad } = record.options;
      const transcript = await deps.engine.transcribe(
        bytes,
        { language, itn, banEmotionUnknown, vad },
        {
          signal,
          onProgress: (p) => {
            if (p.audioS !== undefined) noteDuration(p.audioS);
            progress.report({ fraction: 0.95 * p.fraction, phase: p.phase === 'done' ? 'uploading' : p.phase });
          },
        },
      );
      await progress.stop();
      const keys = await uploadResults(deps.store, data.tenant, data.jobId, transcript);
      const alerts = evaluateAlerts(record.options.alerts, transcript);
      const completed = await jobStore.update(
        data.jobId,
        () => ({
          status: 'completed',
          finishedAt: new Date().toISOString(),
          progress: 1,
          phase: 'done',
          error: null,
          result: resultInfo(keys, transcript),
          timings: transcript.timings,
          alerts,
          warnings: transcript.warnings ?? [],
          audio: { durationS: round3(transcript.audio.durationS), exact: true },
        }),
        ['processing'],
      );
      if (!completed) {
        const current = await jobStore.get(data.jobId);
        if (current?.status === 'completed') {
          // Another run of this job (after a lost lock) completed it first, with the same result
          // keys we just rewrote: they are its results, so they stay.
          log.info('another run completed this job first; its results stay');
          finish('completed', { audioS: transcript.audio.durationS });
          return { status: 'completed', durationS: transcript.audio.durationS, segments: transcript.segments.length };
        }
        // Canceled (or deleted) while we were finishing: the cancel wins, the results go.
        await Promise.allSettled(Object.values(keys).map((key) => deps.store.delete(key)));
        log.info('job canceled before it could complete; results discarded');
        finish('canceled');
        return { status: 'canceled' };
      }
      await sendJobEvents(deps.webhooks, completed, completionEvents(completed, deps.publicUrl));
      log.info({ durationS: transcript.audio.durationS, segments: transcript.segments.length, alerts: alerts.length }, 'job completed');
      finish('completed', { audioS: transcript.audio.durationS });
      return { status: 'completed', durationS: transcript.audio.durationS, segments: transcript.segments.length };
    } catch (err) {
      await progress.stop();
      if (deps.abandonSignal?.aborted) return abandoned(log);
      if (cancel.signal.aborted) {
        log.info('job canceled while processing');
        finish('canceled');
        return { status: 'canceled' };
      }
      const error = toAppError(err);
      const outcome = await recordFailure(job, data.jobId, error, log);
      finish(outcome, { errorCode: error.code });
      if (outcome === 'retried') throw error;
      throw new UnrecoverableError(`${error.code}: ${error.message}`);
    } finally {
      cancel.stop();
    }
  };

  /** The record was not queued/processing: say why, and finish what a dead run may have left undone. */
  async function finishWithoutRun(job: Job<TranscriptionJobData>, jobId: string, log: Logger): Promise<JobRunResult> {
    const current = await jobStore.get(jobId);
    if (!current) {
      log.info('job record is gone (deleted or expired); nothing to do');
      return { status: 'skipped' };
    }
    switch (current.status) {
      case 'canceled':
        log.info('job was canceled before it started');
        return { status: 'canceled' };
      case 'completed':
        // A previous run completed the record but died before BullMQ knew: make sure its webhooks went out.
        await sendJobEvents(deps.webhooks, current, completionEvents(current, deps.publicUrl));
        log.info('job already completed by an earlier run');
        return { status: 'completed' };
      case 'failed': {
        const error = current.error ?? { code: 'INTERNAL', message: 'failed' };
        await sendJobEvents(deps.webhooks, current, [failureEvent(current, error, deps.publicUrl)]);
        throw new UnrecoverableError(`${error.code}: ${error.message}`);
      }
      default:
        // Unreachable: update() only refuses statuses outside queued/processing.
        throw new Error(`job ${jobId} is ${current.status}`);
    }
  }

  /** Retry (record back to queued) or fail for good (record failed + job.failed webhook). */
  async function recordFailure(job: Job<TranscriptionJobData>, jobId: string, error: AppError, log: Logger): Promise<JobOutcome> {
    const attempt = job.attemptsMade + 1;
    const maxAttempts = job.opts.attempts ?? 1;
    // Details of client-side failures help the client (AUDIO_CORRUPT: decodedS, declaredS); a
    // backend's (bucket names, socket errors) stay in the logs, as in the API's problem answers.
    const jobError = error.httpStatus < 500 ? error.toJSON() : { code: error.code, message: error.message };
    if (error.retryable && attempt < maxAttempts) {
      log.warn({ err: error, code: error.code, attempt, maxAttempts }, 'job run failed; BullMQ will retry');
      await jobStore.update(jobId, () => ({ status: 'queued', phase: 'retrying', progress: 0, error: jobError }), ['processing']);
      return 'retried';
    }
    log.error({ err: error, code: error.code, attempt, maxAttempts }, 'job failed');
    const failed = await jobStore.update(
      jobId,
      () => ({ status: 'failed', finishedAt: new Date().toISOString(), phase: 'failed', error: jobError }),
      ['processing', 'queued'],
    );
    if (failed) await sendJobEvents(deps.webhooks, failed, [failureEvent(failed, jobError, deps.publicUrl)]);
    return 'failed';
  }
}

/** Never settles: see JobProcessorDeps.abandonSignal. */
function abandoned(log: Logger): Promise<never> {
  log.warn('worker is exiting; job left to stalled-job recovery');
  return new Promise<never>(() => {});
}

/** Writes the transcript in every format to its fixed key; returns the keys by format. */
export async function uploadResults(
  store: BlobStore,
  tenant: string,
  jobId: string,
  transcript: Transcript,
): Promise<Partial<Record<TranscriptFormat, string>>> {
  const entries = await Promise.all(
    TRANSCRIPT_FORMATS.map(async (format) => {
      const { body, contentType } = formatTranscript(transcript, format);
      const key = resultKey(tenant, jobId, format);
      await store.put(key, Buffer.from(body, 'utf8'), { contentType });
      return [format, key] as const;
    }),
  );
  return Object.fromEntries(entries);
}

function resultInfo(keys: JobResultInfo['keys'], transcript: Transcript): JobResultInfo {
  return {
    keys,
    durationS: transcript.audio.durationS,
    language: transcript.language,
    segments: transcript.segments.length,
    synthetic: transcript.model.synthetic,
    summary: transcript.summary,
  };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
