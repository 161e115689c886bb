/**
 * The BullMQ processor for `chunk` jobs: one piece of a split file (split-job.ts). It reads the
 * chunk's audio and spans from the blob store, transcribes exactly those spans
 * (Engine.transcribeSpans: the pipeline of a whole-file run, so segments and tokens are the same),
 * stores the segments with times in the file, and counts the job's finished chunks onto the record.
 *
 * - The record must be `processing`: a chunk of a canceled, failed or deleted job ends at once,
 *   deleting its own objects (cancel stops the chunks not yet started). A running chunk polls for
 *   a cancel like a whole job does.
 * - A chunk is retried alone (its BullMQ attempts); the record stays `processing` meanwhile. A chunk
 *   that finally fails fails the job with its own error (record failed, job.failed) and deletes every
 *   chunk object; BullMQ fails the merge (`failParentOnFailure`), which never runs.
 * - A chunk that finds its job over after writing its result deletes its own objects: the job's
 *   cleanup (at its failure or cancel) may have run before that write.
 * - Re-runs overwrite the same result object; the done count is the number of stored results, so a
 *   re-run chunk counts once.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Engine } from '@earshot/core/engine/engine';
import { AppError, toAppError } from '@earshot/core/errors/app-error';
import { engineRequestOf } from '@earshot/core/jobs/job-options';
import { ChunkJobDataSchema, type ChunkJobData } from '@earshot/core/queue/transcription-queue';
import { watchForCancel } from '../cancel-watch.js';
import { failureToThrow, recordFailure } from '../job-failure.js';
import { abandoned, round3, segmentPublisher, type JobRunDeps, type JobRunResult } from '../job-run.js';
import type { JobOutcome } from '../metrics.js';
import { createProgressReporter } from '../progress-reporter.js';
import { countChunkResults, deleteChunk, discardChunkObjects, readChunkAudio, readManifest, writeChunkResult } from './chunk-objects.js';

export interface ChunkProcessorDeps extends JobRunDeps {
  engine: Pick<Engine, 'transcribeSpans'>;
}

export type ChunkProcessor = (job: Job<ChunkJobData>, token?: string, signal?: AbortSignal) => Promise<JobRunResult>;

/**
 * Record progress while chunks run: the share of chunks done, scaled as a whole run's engine
 * progress is (the last 5 % are the merge's upload).
 */
export const chunkProgress = (done: number, total: number): number => round3((0.95 * done) / total);

export function createChunkProcessor(deps: ChunkProcessorDeps): ChunkProcessor {
  const { jobStore, store, logger } = deps;
  const cancelPollMs = deps.cancelPollMs ?? 1000;
  const progressIntervalMs = deps.progressIntervalMs ?? 500;

  return async function processChunk(job, _token, bullSignal) {
    const parsed = ChunkJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed chunk job data: ${parsed.error.message}`);
    const { jobId, tenant, chunk } = parsed.data;
    const log = logger.child({ jobId, tenant, chunk: chunk.index, chunks: chunk.total, attempt: job.attemptsMade + 1 });
    const startedAt = performance.now();

    const record = await jobStore.get(jobId);
    if (!record || record.status !== 'processing') {
      log.info({ status: record?.status ?? 'gone' }, 'chunk skipped: its job is not processing');
      await deleteChunk(store, tenant, jobId, chunk.index);
      return { status: record?.status === 'canceled' ? 'canceled' : 'skipped' };
    }

    deps.metrics?.jobStarted();
    const finish = (outcome: JobOutcome, info: { audioS?: number; errorCode?: string } = {}): void =>
      deps.metrics?.jobFinished(outcome, { durationS: (performance.now() - startedAt) / 1000, ...info });
    const cancel = watchForCancel(jobStore, jobId, cancelPollMs, (err) => log.warn({ err }, 'cancel check failed'));
    const signal = AbortSignal.any([cancel.signal, ...(bullSignal ? [bullSignal] : []), ...(deps.abandonSignal ? [deps.abandonSignal] : [])]);
    // BullMQ progress only (the backlog reads what is left of running jobs there); the record counts chunks.
    const progress = createProgressReporter(
      ({ fraction }) => job.updateProgress(Math.round(fraction * 100)),
      progressIntervalMs,
      (err) => log.warn({ err }, 'progress update failed'),
    );

    try {
      log.info('chunk started');
      const manifest = await readManifest(store, tenant, jobId);
      const entry = manifest.chunks[chunk.index];
      if (!entry || manifest.chunks.length !== chunk.total) {
        throw new AppError('INTERNAL', `chunk ${chunk.index}/${chunk.total} of job ${jobId} is not in its manifest (${manifest.chunks.length} chunks)`, {
          retryable: false,
        });
      }
      const samples = await readChunkAudio(store, tenant, jobId, chunk.index, entry.samples);
      const audio = { samples, sampleRate: 16_000 as const, durationS: samples.length / 16_000, source: manifest.audio };
      const onSegment = segmentPublisher(deps, jobId, log, chunk.index);
      const transcript = await deps.engine.transcribeSpans(
        audio,
        entry.spans,
        engineRequestOf(record.options),
        { signal, onProgress: (p) => progress.report({ fraction: p.fraction, phase: 'inference' }), ...(onSegment ? { onSegment } : {}) },
        { offsetS: entry.offsetS, ...(entry.channel !== undefined && { channel: entry.channel }) },
      );
      await progress.stop();
      const { segments, timings, model, options } = transcript;
      await writeChunkResult(store, tenant, jobId, { index: chunk.index, segments, timings, model, options });

      const done = await countChunkResults(store, tenant, jobId);
      const updated = await jobStore.update(
        jobId,
        (r) => {
          const doneNow = Math.min(chunk.total, Math.max(r.chunks?.done ?? 0, done));
          return { chunks: { total: chunk.total, done: doneNow }, progress: Math.max(r.progress, chunkProgress(doneNow, chunk.total)), phase: 'inference' };
        },
        ['processing'],
      );
      if (!updated) {
        await deleteChunk(store, tenant, jobId, chunk.index);
        log.info('chunk done, but its job is no longer processing; chunk discarded');
        finish('canceled');
        return { status: 'canceled' };
      }
      log.info({ segments: segments.length, audioS: round3(audio.durationS), done: updated.chunks?.done }, 'chunk transcribed');
      finish('completed', { audioS: entry.shareS });
      return { status: 'completed', segments: segments.length, durationS: entry.shareS };
    } catch (err) {
      await progress.stop();
      if (deps.abandonSignal?.aborted) return abandoned(log);
      if (cancel.signal.aborted) {
        await deleteChunk(store, tenant, jobId, chunk.index).catch((e: unknown) => log.warn({ err: e }, 'could not delete the chunk objects'));
        log.info('chunk canceled while processing');
        finish('canceled');
        return { status: 'canceled' };
      }
      const error = toAppError(err);
      const outcome = await recordFailure(
        deps,
        { jobId, error, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1, requeueRecord: false },
        log,
      );
      finish(outcome, { errorCode: error.code });
      if (outcome === 'failed') await discardChunkObjects(store, tenant, jobId, log);
      throw failureToThrow(outcome, error);
    } finally {
      cancel.stop();
    }
  };
}
