import { AppError } from '../errors/app-error.js';

/**
 * Where Earshot puts things in a BlobStore. Every object of a job lives under its job prefix, so
 * deleting a job is one `deletePrefix(jobPrefix(tenant, jobId))`:
 *
 *   tenants/{tenant}/jobs/{jobId}/audio/source.{ext}
 *   tenants/{tenant}/jobs/{jobId}/results/transcript.{format}
 *   tenants/{tenant}/jobs/{jobId}/chunks/…            (a fanned-out job's working objects)
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

/**
 * `…/chunks/`: the working objects of a job split across workers (fan-out): the split manifest,
 * each chunk's audio and each chunk's result. They live only while the job runs; deleting this
 * prefix removes them all.
 */
export function chunksPrefix(tenant: string, jobId: string): string {
  return `${jobPrefix(tenant, jobId)}chunks/`;
}

/** `…/chunks/manifest.json`: what the splitter found (audio facts, every chunk's spans); written after the chunks' audio. */
export function chunkManifestKey(tenant: string, jobId: string): string {
  return `${chunksPrefix(tenant, jobId)}manifest.json`;
}

/** `…/chunks/{index}.f32`: one chunk's 16 kHz mono audio, float32 little-endian. */
export function chunkAudioKey(tenant: string, jobId: string, index: number): string {
  return `${chunksPrefix(tenant, jobId)}${checkIndex(index)}.f32`;
}

/** `…/chunks/{index}.result.json`: one chunk's transcribed segments (absolute times). */
export function chunkResultKey(tenant: string, jobId: string, index: number): string {
  return `${chunksPrefix(tenant, jobId)}${checkIndex(index)}.result.json`;
}

function checkIndex(index: number): number {
  if (!Number.isSafeInteger(index) || index < 0) {
    throw new AppError('VALIDATION_FAILED', `invalid chunk index for a storage key: ${index}`, { details: { index } });
  }
  return index;
}
