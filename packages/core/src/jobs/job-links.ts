import { TRANSCRIPT_FORMATS, type TranscriptFormat } from '../results/formats/format-transcript.js';

/**
 * The public URLs of a job, as clients reach them through the API (`EARSHOT_PUBLIC_URL`): the one
 * owner of their shape, used by the API's job resources and by the worker's webhook payloads.
 */

/** `publicUrl` without a trailing slash. */
export function baseUrlOf(publicUrl: string): string {
  return publicUrl.replace(/\/+$/, '');
}

/** `…/v1/jobs/:id` */
export function jobUrl(publicUrl: string, jobId: string): string {
  return `${baseUrlOf(publicUrl)}/v1/jobs/${encodeURIComponent(jobId)}`;
}

/** `…/v1/jobs/:id/result?format=…` */
export function resultUrl(publicUrl: string, jobId: string, format: TranscriptFormat): string {
  return `${jobUrl(publicUrl, jobId)}/result?format=${format}`;
}

/** `…/v1/jobs/:id/webhooks` */
export function webhooksUrl(publicUrl: string, jobId: string): string {
  return `${jobUrl(publicUrl, jobId)}/webhooks`;
}

/** The result URL of every format. */
export function resultUrls(publicUrl: string, jobId: string): Record<TranscriptFormat, string> {
  return Object.fromEntries(TRANSCRIPT_FORMATS.map((f) => [f, resultUrl(publicUrl, jobId, f)])) as Record<TranscriptFormat, string>;
}
