import { describe, expect, it } from 'vitest';
import { canonicalJson, requestHash } from './idempotency.js';

describe('canonicalJson', () => {
  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson([undefined, 'x', null])).toBe('[null,"x",null]');
  });

  it('gives the same hash for reordered bodies and another for a changed value', () => {
    const a = requestHash({ audio: { url: 'https://x/a.wav' }, options: { language: 'en', itn: true } });
    const b = requestHash({ options: { itn: true, language: 'en' }, audio: { url: 'https://x/a.wav' } });
    const c = requestHash({ options: { itn: false, language: 'en' }, audio: { url: 'https://x/a.wav' } });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
  });
});
