import { describe, expect, it } from 'vitest';
import { cleanFilename } from './hashing-limiter.js';

describe('cleanFilename', () => {
  it('keeps the base name without control characters', () => {
    expect(cleanFilename('../../etc/pass\u0000wd.wav')).toBe('passwd.wav');
    expect(cleanFilename('C:\\calls\\a.wav')).toBe('a.wav');
    expect(cleanFilename(' \u0007 ')).toBeNull();
  });

  it('replaces lone surrogates (encodeURIComponent throws on them) and keeps pairs', () => {
    expect(cleanFilename('a\uD800b.wav')).toBe('a\uFFFDb.wav');
    expect(cleanFilename('\uDC00.wav')).toBe('\uFFFD.wav');
    expect(cleanFilename('\uD83C\uDFB5.wav')).toBe('\uD83C\uDFB5.wav');
    const cut = cleanFilename(`${'x'.repeat(254)}\uD83C\uDFB5`);
    expect(cut).toBe('x'.repeat(254));
    expect(() => encodeURIComponent(cut ?? '')).not.toThrow();
  });
});
