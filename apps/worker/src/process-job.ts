/**
 * The BullMQ processor for `transcribe` jobs: record → audio → engine → results in every format →
 * record completed → webhooks. With fan-out on, a long file is split instead
 * (fanout/split-job.ts) and its `merge` job completes it (fanout/merge-chunks.ts) through the same
 * finish path (finish-job.ts).
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
 * cancel that lands while the job runs wins. A job already split (its merge job
 * exists) is left to its chunks.
 *
 * Errors decide what BullMQ does next (job-failure.ts): a non-retryable AppError (bad audio, 4xx
 * source) fails the job at once (`UnrecoverableError`); a retryable one puts the record back to
 * `queued` and rethrows so BullMQ backs off, until the last attempt, which fails the job.
 * `job.failed` is sent once, on the final failure.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { toAppError } from '@earshot/core/errors/app-error';
import type { Engine, TranscribeHooks } from '@earshot/core/engine/engine';
import { engineRequestOf } from '@earshot/core/jobs/job-options';
import { TranscriptionJobDataSchema, type TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import { watchForCancel } from './cancel-watch.js';
import { discardChunkObjects } from './fanout/chunk-objects.js';
import { commitSplit, transcribeOrSplit, type FanoutSettings, type SplitEngine } from './fanout/split-job.js';
import { completeJob } from './finish-job.js';
import { failureToThrow, recordFailure, replayFinishedRecord } from './job-failure.js';
import { abandoned, round3, segmentPublisher, type JobRunDeps, type JobRunResult } from './job-run.js';
import type { JobOutcome } from './metrics.js';
import { createProgressReporter } from './progress-reporter.js';
import { fetchSourceToFile, type SourceFile } from './source-fetch.js';

export type { JobRunResult } from './job-run.js';

export interface JobProcessorDeps extends JobRunDeps {
  /**
   * The process's one engine; concurrent runs share its model batches. Only `transcribeFile` is
   * used while fan-out is off; the splitter uses the step-by-step entry points.
   */
  engine: Pick<Engine, 'transcribeFile'> & Partial<SplitEngine>;
  /** Largest audio source accepted (bytes). */
  sourceMaxBytes: number;
  /** Where a job's audio is downloaded to (deleted when the job ends). @defaultValue the OS temp directory */
  tempDir?: string;
  /** Whole-download timeout for URL sources. */
  sourceTimeoutMs: number;
  /** Let URL sources reach loopback/private addresses (EARSHOT_ALLOW_PRIVATE_NETWORK). @defaultValue false */
  allowPrivateNetwork?: boolean;
  /** Fan-out of long files; absent, or `minS` 0: every file is transcribed whole here. */
  fanout?: FanoutSettings;
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
  const fanout = deps.fanout && deps.fanout.minS > 0 ? deps.fanout : undefined;
  const splitEngine = fanout ? requireSplitEngine(deps.engine) : undefined;

  return async function processTranscription(job, _token, bullSignal) {
    const parsed = TranscriptionJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed transcription job data: ${parsed.error.message}`);
    const data = parsed.data;
    const log = logger.child({ jobId: data.jobId, tenant: data.tenant, attempt: job.attemptsMade + 1 });
    const startedAt = performance.now();
    const elapsedS = (): number => (performance.now() - startedAt) / 1000;

    if (fanout && (await fanout.isSplit(data.jobId))) {
      log.info('job already split by an earlier run; its chunks carry on');
      return { status: 'split' };
    }

    const record = await jobStore.update(
      data.jobId,
      (r) => ({
        status: 'processing',
        startedAt: r.startedAt ?? new Date().toISOString(),
        attempts: Math.max(r.attempts, job.attemptsStarted),
        progress: 0,
        phase: 'fetching',
        // A split that never got its flow queued (an earlier run died or failed first) starts over.
        chunks: null,
      }),
      ['queued', 'processing'],
    );
    if (!record) return replayFinishedRecord(deps, await jobStore.get(data.jobId), log);

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

    let source: SourceFile | null = null;
    try {
      log.info({ source: record.source.kind }, 'job started');
      // The source goes to a temp file the engine decodes in pieces (deleted in `finally`).
      source = await fetchSourceToFile(record.source, {
        ...(deps.tempDir !== undefined && { tempDir: deps.tempDir }),
        store: deps.store,
        maxBytes: deps.sourceMaxBytes,
        urlTimeoutMs: deps.sourceTimeoutMs,
        signal,
        allowPrivateNetwork: deps.allowPrivateNetwork ?? false,
      });
      const request = engineRequestOf(record.options);
      const onSegment = segmentPublisher(deps, data.jobId, log);
      const hooks: TranscribeHooks = {
        signal,
        ...(onSegment ? { onSegment } : {}),
        onProgress: (p) => {
          if (p.audioS !== undefined) noteDuration(p.audioS);
          progress.report({ fraction: 0.95 * p.fraction, phase: p.phase === 'done' ? 'uploading' : p.phase });
        },
      };
      const outcome =
        fanout && splitEngine
          ? await transcribeOrSplit({ engine: splitEngine, store: deps.store, fanout, record, path: source.path, request, hooks, log })
          : { kind: 'transcript' as const, transcript: await deps.engine.transcribeFile(source.path, request, hooks) };
      await source.release();
      await progress.stop();

      if (outcome.kind === 'split') {
        const committed = await commitSplit({ jobStore, store: deps.store, fanout: fanout!, record, job, shares: outcome.shares });
        if (!committed) {
          log.info('job canceled while it was split; chunks discarded');
          finish('canceled');
          return { status: 'canceled' };
        }
        log.info({ chunks: outcome.shares.length }, 'job chunks queued');
        finish('completed');
        return { status: 'split', chunks: outcome.shares.length, durationS: outcome.durationS };
      }

      const { transcript } = outcome;
      const result = await completeJob(deps, { jobId: data.jobId, tenant: data.tenant, alertRules: record.options.alerts, transcript }, log);
      if (result.status === 'completed') finish('completed', { audioS: transcript.audio.durationS });
      else finish('canceled');
      return result;
    } catch (err) {
      await progress.stop();
      if (deps.abandonSignal?.aborted) return abandoned(log);
      // Chunks of a split that did not get queued are of no use to anyone (a retry splits again).
      if (fanout) await discardChunkObjects(deps.store, data.tenant, data.jobId, log);
      if (cancel.signal.aborted) {
        log.info('job canceled while processing');
        finish('canceled');
        return { status: 'canceled' };
      }
      const error = toAppError(err);
      const attempt = job.attemptsMade + 1;
      const outcome = await recordFailure(deps, { jobId: data.jobId, error, attempt, maxAttempts: job.opts.attempts ?? 1, requeueRecord: true }, log);
      finish(outcome, { errorCode: error.code });
      throw failureToThrow(outcome, error);
    } finally {
      cancel.stop();
      await source?.release();
    }
  };
}

function requireSplitEngine(engine: JobProcessorDeps['engine']): SplitEngine {
  const steps = [engine.open, engine.speechSpans, engine.transcribeAudio, engine.transcribeSpans, engine.transcribeFile];
  if (steps.some((step) => typeof step !== 'function')) {
    throw new Error('fan-out needs an engine with open, speechSpans, transcribeAudio, transcribeSpans and transcribeFile');
  }
  return engine as SplitEngine;
}
