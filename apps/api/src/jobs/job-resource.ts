/**
 * The job resource clients see: the stored JobRecord minus internals (tenant, storage keys,
 * idempotency key) and secrets (URL passwords and query values), plus absolute links built
 * from the configured public URL:
 *
 *   links.self                 {publicUrl}/v1/jobs/{id}
 *   links.result.{format}      {publicUrl}/v1/jobs/{id}/result?format={format}   (completed jobs)
 *   links.webhooks             {publicUrl}/v1/jobs/{id}/webhooks
 */
import type { JobOptions } from '@earshot/core/jobs/job-options';
import type { AlertMatch, JobError, JobRecord, JobResultInfo, JobSource, JobStatus } from '@earshot/core/jobs/job-record';
import type { TranscriptFormat } from '@earshot/core/results/formats/format-transcript';
import type { TranscriptSummary, TranscriptTimings } from '@earshot/core/results/transcript';
import type { TranscriptWarning } from '@earshot/core/results/warnings';
import { redactWebhookUrl } from '@earshot/core/webhooks/webhook-url';

export type PublicSource =
  | { kind: 'upload'; filename: string | null; contentType: string | null; sizeBytes: number | null }
  | { kind: 's3'; uri: string }
  | { kind: 'url'; url: string };

export interface JobResultSummary {
  durationS: number;
  language: string | null;
  segments: number;
  synthetic: boolean;
  summary: TranscriptSummary;
  /** A per-channel job's channels (`channels: "separate"`): each one's language and summary. */
  channels?: JobResultInfo['channels'];
}

export interface JobLinks {
  self: string;
  result?: Record<TranscriptFormat, string>;
  webhooks: string;
}

export interface JobResource {
  id: string;
  status: JobStatus;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** 0..1 */
  progress: number;
  phase: string | null;
  attempts: number;
  source: PublicSource;
  options: JobOptions;
  metadata: Record<string, unknown> | null;
  error: JobError | null;
  timings: TranscriptTimings | null;
  result: JobResultSummary | null;
  alerts: AlertMatch[];
  /** Warnings on a completed result (e.g. AUDIO_PARTIALLY_DECODED); empty when none. */
  warnings: TranscriptWarning[];
  /** The audio's duration: declared by its container (`exact: false`) or decoded (`exact: true`); null until known. */
  audio: { durationS: number; exact: boolean } | null;
  /** A long file split across workers (fan-out): its chunks and how many are transcribed; null when not split. */
  chunks: { total: number; done: number } | null;
  links: JobLinks;
}

export { baseUrlOf, jobUrl, resultUrl } from '@earshot/core/jobs/job-links';
import { jobUrl, resultUrls, webhooksUrl } from '@earshot/core/jobs/job-links';

/** A URL safe to show: password replaced and every query value replaced by `***` (presigned URLs carry signatures there). */
export function redactSourceUrl(url: string): string {
  if (!URL.canParse(url)) return '***';
  const parsed = new URL(url);
  if (parsed.password !== '') parsed.password = '***';
  const names = [...new Set(parsed.searchParams.keys())];
  parsed.search = '';
  for (const name of names) parsed.searchParams.append(name, '***');
  return parsed.toString();
}

export function toPublicSource(source: JobSource): PublicSource {
  switch (source.kind) {
    case 'storage':
      return {
        kind: 'upload',
        filename: source.filename ?? null,
        contentType: source.contentType ?? null,
        sizeBytes: source.sizeBytes ?? null,
      };
    case 's3':
      return { kind: 's3', uri: source.uri };
    case 'url':
      return { kind: 'url', url: redactSourceUrl(source.url) };
  }
}

function publicOptions(options: JobOptions): JobOptions {
  return options.webhook ? { ...options, webhook: { ...options.webhook, url: redactWebhookUrl(options.webhook.url) } } : options;
}

export function toJobResource(job: JobRecord, baseUrl: string): JobResource {
  const links: JobLinks = { self: jobUrl(baseUrl, job.id), webhooks: webhooksUrl(baseUrl, job.id) };
  if (job.status === 'completed' && job.result) links.result = resultUrls(baseUrl, job.id);
  const r = job.result;
  return {
    id: job.id,
    status: job.status,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    progress: job.progress,
    phase: job.phase,
    attempts: job.attempts,
    source: toPublicSource(job.source),
    options: publicOptions(job.options),
    metadata: job.metadata,
    error: job.error,
    timings: job.timings,
    result: r
      ? {
          durationS: r.durationS,
          language: r.language,
          segments: r.segments,
          synthetic: r.synthetic,
          summary: r.summary,
          ...(r.channels && { channels: r.channels }),
        }
      : null,
    alerts: job.alerts,
    audio: job.audio ?? null,
    chunks: job.chunks ?? null,
    warnings: job.warnings ?? [],
    links,
  };
}
