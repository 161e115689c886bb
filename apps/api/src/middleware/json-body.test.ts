import { describe, expect, it } from 'vitest';
import { AppError } from '@earshot/core/errors/app-error';
import { assertJsonFieldsDepth, nestedDeeperThan } from './json-body.js';

const nested = (depth: number): unknown => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);

describe('nestedDeeperThan', () => {
  it('counts arrays and objects, not scalars', () => {
    expect(nestedDeeperThan(1, 0)).toBe(false);
    expect(nestedDeeperThan(null, 0)).toBe(false);
    expect(nestedDeeperThan([], 0)).toBe(true);
    expect(nestedDeeperThan({ a: [1, { b: 2 }] }, 3)).toBe(false);
    expect(nestedDeeperThan({ a: [1, { b: [] }] }, 3)).toBe(true);
  });

  it('finds the deep branch among shallow ones and copes with any depth', () => {
    expect(nestedDeeperThan(nested(64), 64)).toBe(false);
    expect(nestedDeeperThan(nested(65), 64)).toBe(true);
    expect(nestedDeeperThan([1, 2, { a: 'x' }, nested(200)], 64)).toBe(true);
    expect(nestedDeeperThan(nested(100_000), 64)).toBe(true);
  });
});

describe('assertJsonFieldsDepth', () => {
  it('passes plain text, shallow JSON and text that only looks like JSON', () => {
    expect(() => assertJsonFieldsDepth(new Map([['language', 'en'], ['vad', '{"threshold":0.5}'], ['note', `[${'['.repeat(100)}`]]))).not.toThrow();
  });

  it('rejects a field nested too deeply with VALIDATION_FAILED naming it', () => {
    let error: unknown;
    try {
      assertJsonFieldsDepth(new Map([['language', 'en'], ['metadata', `${'{"a":'.repeat(9000)}1${'}'.repeat(9000)}`]]));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ code: 'VALIDATION_FAILED', details: { errors: [{ path: 'metadata' }] } });
  });
});
