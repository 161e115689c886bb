import { describe, expect, it } from 'vitest';
import { validateKey, validateListLimit, validateMetadata, validatePrefix, validatePresign, validateRange } from './blob-validation.js';

const failure = expect.objectContaining({ code: 'VALIDATION_FAILED' });

describe('blob argument validation', () => {
  it('accepts ordinary keys and refuses traversal, absolute paths, NUL and empty segments', () => {
    expect(validateKey('tenants/t1/jobs/j1/audio/source.wav')).toBe('tenants/t1/jobs/j1/audio/source.wav');
    expect(validateKey('dots..inside/are.fine')).toBe('dots..inside/are.fine');
    for (const bad of ['', '..', '../x', 'a/..', 'a/./b', '/x', 'a//b', 'a/', 'a\0b', 'a\\b', 'x'.repeat(1025)]) {
      expect(() => validateKey(bad), JSON.stringify(bad)).toThrow(failure);
    }
  });

  it('allows the empty prefix and a trailing slash on prefixes only', () => {
    expect(validatePrefix('')).toBe('');
    expect(validatePrefix('tenants/t1/')).toBe('tenants/t1/');
    expect(() => validatePrefix('../')).toThrow(failure);
    expect(() => validatePrefix('/tenants')).toThrow(failure);
  });

  it('checks metadata, ranges, page sizes and presign lifetimes', () => {
    expect(validateMetadata({ 'job-id': 'j 1' })).toEqual({ 'job-id': 'j 1' });
    expect(() => validateMetadata({ JobId: 'x' })).toThrow(failure);
    expect(() => validateMetadata({ k: 'ü' })).toThrow(failure);
    expect(() => validateMetadata({ k: 'x'.repeat(3000) })).toThrow(failure);
    expect(validateRange({ start: 0, end: 0 })).toEqual({ start: 0, end: 0 });
    expect(() => validateRange({ start: -1 })).toThrow(failure);
    expect(() => validateRange({ start: 5, end: 4 })).toThrow(failure);
    expect(validateListLimit(undefined)).toBe(1000);
    expect(() => validateListLimit(1001)).toThrow(failure);
    expect(() => validateListLimit(0)).toThrow(failure);
    expect(() => validatePresign({ expiresS: 0 })).toThrow(failure);
    expect(() => validatePresign({ expiresS: 8 * 24 * 3600 })).toThrow(failure);
  });
});
