import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { audioKey, jobPrefix, resultKey, tenantPrefix } from './keys.js';

describe('storage keys', () => {
  it('lays out a job under its prefix', () => {
    expect(tenantPrefix('acme')).toBe('tenants/acme/');
    expect(jobPrefix('acme', 'job_1.a')).toBe('tenants/acme/jobs/job_1.a/');
    expect(audioKey('acme', 'j1', 'wav')).toBe('tenants/acme/jobs/j1/audio/source.wav');
    expect(resultKey('acme', 'j1', 'json')).toBe('tenants/acme/jobs/j1/results/transcript.json');
    expect(audioKey('acme', 'j1', 'mp3').startsWith(jobPrefix('acme', 'j1'))).toBe(true);
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
