import { TRANSCRIPT_FORMATS } from '@earshot/core/results/formats/format-transcript';

/**
 * Links to a job's resources as clients reach them through the API
 * (`EARSHOT_PUBLIC_URL`), for webhook payloads:
 * `{ self: …/v1/jobs/:id, result: …/result?format=json, json, rich, txt, srt, vtt: …/result?format=… }`.
 */
export function jobLinks(publicUrl: string, jobId: string, withResults: boolean): Record<string, string> {
  const self = `${publicUrl.replace(/\/+$/, '')}/v1/jobs/${encodeURIComponent(jobId)}`;
  const links: Record<string, string> = { self };
  if (!withResults) return links;
  links.result = `${self}/result?format=json`;
  for (const format of TRANSCRIPT_FORMATS) links[format] = `${self}/result?format=${format}`;
  links.webhooks = `${self}/webhooks`;
  return links;
}
