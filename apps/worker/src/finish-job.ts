/**
 * The end of a successful job, shared by the single-worker path (process-job.ts) and the merge of
 * a split job (fanout/merge-chunks.ts): transcript → every result format at its fixed key →
 * alerts → record completed (compare-and-set from `processing`, so a cancel that landed meanwhile
 * wins and the results go) → job.completed (and job.alert) webhooks.
 */
import type { Logger } from 'pino';
import { evaluateAlerts } from '@earshot/core/jobs/alerts';
import type { JobOptions } from '@earshot/core/jobs/job-options';
import type { JobRecord, JobResultInfo } from '@earshot/core/jobs/job-record';
import { TRANSCRIPT_FORMATS, formatTranscript, type TranscriptFormat } from '@earshot/core/results/formats/format-transcript';
import type { Transcript } from '@earshot/core/results/transcript';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { resultKey } from '@earshot/core/storage/keys';
import { completionEvents, sendJobEvents } from './job-webhooks.js';
import { round3, type JobRunDeps, type JobRunResult } from './job-run.js';

export interface CompleteJobInput {
  jobId: string;
  tenant: string;
  alertRules: JobOptions['alerts'];
  transcript: Transcript;
  /** More fields for the completed record (a split job's final chunk count). */
  extra?: Partial<JobRecord>;
}

/** Completes the job with `transcript`; `canceled` when the record left `processing` meanwhile. */
export async function completeJob(
  deps: Pick<JobRunDeps, 'store' | 'jobStore' | 'webhooks' | 'publicUrl'>,
  input: CompleteJobInput,
  log: Logger,
): Promise<JobRunResult> {
  const { jobId, tenant, transcript } = input;
  const keys = await uploadResults(deps.store, tenant, jobId, transcript);
  const alerts = evaluateAlerts(input.alertRules, transcript);
  const completed = await deps.jobStore.update(
    jobId,
    () => ({
      ...input.extra,
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
    // Canceled (or deleted) while we were finishing: the cancel wins, the results go.
    await Promise.allSettled(Object.values(keys).map((key) => deps.store.delete(key)));
    log.info('job canceled before it could complete; results discarded');
    return { status: 'canceled' };
  }
  await sendJobEvents(deps.webhooks, completed, completionEvents(completed, deps.publicUrl));
  log.info({ durationS: transcript.audio.durationS, segments: transcript.segments.length, alerts: alerts.length }, 'job completed');
  return { status: 'completed', durationS: transcript.audio.durationS, segments: transcript.segments.length };
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
    ...(transcript.channels && {
      channels: transcript.channels.map(({ channel, name, silent, language, summary }) => ({ channel, name, silent, language, summary })),
    }),
  };
}
