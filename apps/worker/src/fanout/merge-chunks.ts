/**
 * The BullMQ processor for `merge` jobs: the parent of a split job's chunks, run by BullMQ once
 * every chunk completed. It assembles one transcript from the chunk results with the builder a
 * whole-file run uses (results/build-transcript.ts) and finishes the job through the same path
 * (finish-job.ts: result formats, alerts, record completed, webhooks); then it deletes the chunk
 * objects.
 *
 * The transcript has exactly the shape of a whole-file one. Its segments are the chunks' segments
 * in time order (a per-channel job's channels interleaved, as a whole-file run gives them),
 * renumbered; `audio`, the decode warnings and a per-channel job's channels come from the splitter
 * (the manifest);
 * timings: `decodeMs` and `vadMs` are the splitter's, `featuresMs`, `inferenceMs` and `decodingMs`
 * add up the chunks' work, and `totalMs` is wall time from the start of the splitting run to this
 * merge (the turnaround, which fan-out shortens), so `realTimeFactor` is the fleet's.
 *
 * A merge whose job is no longer `processing` (canceled while chunks ran) only deletes the chunk
 * objects. Failures follow job-failure.ts (retried on its own attempts, then the job fails).
 */
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import { toAppError } from '@earshot/core/errors/app-error';
import { MergeJobDataSchema, type MergeJobData } from '@earshot/core/queue/transcription-queue';
import { buildTranscript } from '@earshot/core/results/build-transcript';
import type { Transcript } from '@earshot/core/results/transcript';
import { completeJob } from '../finish-job.js';
import { failureToThrow, recordFailure, replayFinishedRecord } from '../job-failure.js';
import { abandoned, round3, type JobRunDeps, type JobRunResult } from '../job-run.js';
import type { JobOutcome } from '../metrics.js';
import { discardChunkObjects, readChunkResult, readManifest, type ChunkManifest, type ChunkResult } from './chunk-objects.js';

export type MergeProcessor = (job: Job<MergeJobData>, token?: string, signal?: AbortSignal) => Promise<JobRunResult>;

export function createMergeProcessor(deps: JobRunDeps): MergeProcessor {
  const { jobStore, store, logger } = deps;

  return async function processMerge(job) {
    const parsed = MergeJobDataSchema.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`malformed merge job data: ${parsed.error.message}`);
    const { jobId, tenant, chunks } = parsed.data;
    const log = logger.child({ jobId, tenant, chunks, attempt: job.attemptsMade + 1 });
    const startedAt = performance.now();

    const record = await jobStore.get(jobId);
    if (!record || record.status !== 'processing') {
      await discardChunkObjects(store, tenant, jobId, log);
      if (record?.status === 'canceled') {
        log.info('job was canceled while its chunks ran; chunk objects deleted');
        return { status: 'canceled' };
      }
      return replayFinishedRecord(deps, record, log);
    }

    deps.metrics?.jobStarted();
    const finish = (outcome: JobOutcome, info: { audioS?: number; errorCode?: string } = {}): void =>
      deps.metrics?.jobFinished(outcome, { durationS: (performance.now() - startedAt) / 1000, ...info });
    try {
      await jobStore.update(jobId, (r) => ({ phase: 'uploading', progress: Math.max(r.progress, 0.95), chunks: { total: chunks, done: chunks } }), ['processing']);
      const manifest = await readManifest(store, tenant, jobId);
      const results = await Promise.all(Array.from({ length: chunks }, (_, index) => readChunkResult(store, tenant, jobId, index)));
      const transcript = mergeChunkResults(manifest, results, log);
      const result = await completeJob(
        deps,
        { jobId, tenant, alertRules: record.options.alerts, transcript, extra: { chunks: { total: chunks, done: chunks } } },
        log,
      );
      await discardChunkObjects(store, tenant, jobId, log);
      // The audio was counted by the chunk runs (their shares of the file).
      finish(result.status === 'completed' ? 'completed' : 'canceled');
      return result;
    } catch (err) {
      if (deps.abandonSignal?.aborted) return abandoned(log);
      const error = toAppError(err);
      const outcome = await recordFailure(deps, { jobId, error, attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1, requeueRecord: false }, log);
      finish(outcome, { errorCode: error.code });
      if (outcome === 'failed') await discardChunkObjects(store, tenant, jobId, log);
      throw failureToThrow(outcome, error);
    }
  };
}

/** One transcript from the chunk results in chunk order; see the module comment for the timings. */
export function mergeChunkResults(manifest: ChunkManifest, results: readonly ChunkResult[], log?: Logger, nowMs: number = Date.now()): Transcript {
  const first = results[0];
  if (!first) throw new Error('no chunk results to merge');
  if (results.some((r) => r.model.file !== first.model.file || r.model.name !== first.model.name)) {
    log?.warn({ models: [...new Set(results.map((r) => r.model.file))] }, 'chunks of one job ran on different models');
  }
  const segments = results
    .flatMap((r) => r.segments)
    .sort((a, b) => a.startS - b.startS || (a.channel ?? 0) - (b.channel ?? 0))
    .map((segment, index) => ({ ...segment, index }));
  const work = (key: 'featuresMs' | 'inferenceMs' | 'decodingMs'): number => round1(results.reduce((sum, r) => sum + r.timings[key], 0));
  const durationS = round3(manifest.audio.durationS);
  const totalMs = round1(Math.max(0, nowMs - manifest.startedAtMs));
  const transcript = buildTranscript({
    audio: { durationS, format: manifest.audio.format, sampleRate: manifest.audio.sampleRate, channels: manifest.audio.channels },
    segments,
    timings: {
      decodeMs: manifest.decodeMs,
      vadMs: manifest.vadMs,
      featuresMs: work('featuresMs'),
      inferenceMs: work('inferenceMs'),
      decodingMs: work('decodingMs'),
      totalMs,
      realTimeFactor: manifest.audio.durationS > 0 ? Number((totalMs / 1000 / manifest.audio.durationS).toFixed(4)) : 0,
    },
    model: first.model,
    options: first.options,
    ...(manifest.channels && { channels: manifest.channels }),
  });
  if (manifest.warnings.length > 0) transcript.warnings = manifest.warnings;
  return transcript;
}


const round1 = (x: number): number => Math.round(x * 10) / 10;
