import { jobUrl, resultUrl, resultUrls, webhooksUrl } from '@earshot/core/jobs/job-links';

/**
 * Links of a webhook payload (URL shapes from core's jobs/job-links.ts):
 * `{ self, result: …/result?format=json, json, rich, txt, srt, vtt: …/result?format=…, webhooks }`.
 */
export function jobLinks(publicUrl: string, jobId: string, withResults: boolean): Record<string, string> {
  const links: Record<string, string> = { self: jobUrl(publicUrl, jobId) };
  if (!withResults) return links;
  return { ...links, result: resultUrl(publicUrl, jobId, 'json'), ...resultUrls(publicUrl, jobId), webhooks: webhooksUrl(publicUrl, jobId) };
}
