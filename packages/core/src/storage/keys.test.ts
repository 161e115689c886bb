import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { audioKey, chunkAudioKey, chunkManifestKey, chunkResultKey, chunksPrefix, jobPrefix, resultKey, tenantPrefix } from './keys.js';

describe('storage keys', () => {
  it('lays out a job under its prefix', () => {
    expect(tenantPrefix('acme')).toBe('tenants/acme/');
    expect(jobPrefix('acme', 'job_1.a')).toBe('tenants/acme/jobs/job_1.a/');
    expect(audioKey('acme', 'j1', 'wav')).toBe('tenants/acme/jobs/j1/audio/source.wav');
    expect(resultKey('acme', 'j1', 'json')).toBe('tenants/acme/jobs/j1/results/transcript.json');
    expect(audioKey('acme', 'j1', 'mp3').startsWith(jobPrefix('acme', 'j1'))).toBe(true);
  });

  it('keeps a fanned-out job\'s chunks under one prefix of the job', () => {
    expect(chunksPrefix('acme', 'j1')).toBe('tenants/acme/jobs/j1/chunks/');
    expect(chunkAudioKey('acme', 'j1', 3)).toBe('tenants/acme/jobs/j1/chunks/3.f32');
    expect(chunkResultKey('acme', 'j1', 0)).toBe('tenants/acme/jobs/j1/chunks/0.result.json');
    expect(chunkManifestKey('acme', 'j1')).toBe('tenants/acme/jobs/j1/chunks/manifest.json');
    for (const bad of [-1, 1.5, Number.NaN]) expect(() => chunkAudioKey('acme', 'j1', bad)).toThrow(AppError);
  });

  it('refuses ids and suffixes that could change the layout', () => {
    for (const bad of ['', '..', '.hidden', 'a/b', 'a b', 'x'.repeat(129)]) {
      expect(() => jobPrefix('acme', bad)).toThrow(AppError);
      expect(() => tenantPrefix(bad)).toThrow(AppError);
    }
    expect(() => audioKey('acme', 'j1', '.wav')).toThrow(AppError);
    expect(() => resultKey('acme', 'j1', 'JSON')).toThrow(AppError);
  });
});
