import { AppError } from '../errors/app-error.js';

/**
 * Where Earshot puts things in a BlobStore. Every object of a job lives under its job prefix, so
 * deleting a job is one `deletePrefix(jobPrefix(tenant, jobId))`:
 *
 *   tenants/{tenant}/jobs/{jobId}/audio/source.{ext}
 *   tenants/{tenant}/jobs/{jobId}/results/transcript.{format}
 *
 * These keys are relative to the store. The deployment-wide prefix (several deployments or test
 * runs sharing one bucket) is applied by the store itself (`prefix` of the S3 store config; the
 * fs store's root directory plays that role), so no caller can forget it.
 */

/** Tenant and job ids: 1..128 chars of `[A-Za-z0-9._-]`, starting with a letter or digit. */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** File extensions and result formats: 1..16 lowercase letters or digits. */
const SUFFIX_PATTERN = /^[a-z0-9]{1,16}$/;

function check(value: string, pattern: RegExp, what: string): string {
  if (!pattern.test(value)) {
    throw new AppError('VALIDATION_FAILED', `invalid ${what} for a storage key: ${JSON.stringify(value)}`, {
      details: { [what]: value },
    });
  }
  return value;
}

/** `tenants/{tenant}/` */
export function tenantPrefix(tenant: string): string {
  return `tenants/${check(tenant, ID_PATTERN, 'tenant')}/`;
}

/** `tenants/{tenant}/jobs/{jobId}/` (ends with `/`, so job `a` never matches job `ab`). */
export function jobPrefix(tenant: string, jobId: string): string {
  return `${tenantPrefix(tenant)}jobs/${check(jobId, ID_PATTERN, 'jobId')}/`;
}

/** `…/audio/source.{ext}`: the uploaded audio as received. `ext` without the dot, e.g. `wav`. */
export function audioKey(tenant: string, jobId: string, ext: string): string {
  return `${jobPrefix(tenant, jobId)}audio/source.${check(ext, SUFFIX_PATTERN, 'ext')}`;
}

/** `…/results/transcript.{format}`: one object per rendered format (`json`, `srt`, `vtt`, `txt`). */
export function resultKey(tenant: string, jobId: string, format: string): string {
  return `${jobPrefix(tenant, jobId)}results/transcript.${check(format, SUFFIX_PATTERN, 'format')}`;
}
