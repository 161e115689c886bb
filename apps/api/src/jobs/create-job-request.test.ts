import { describe, expect, it } from 'vitest';
import { AppError } from '@earshot/core/errors/app-error';
import { createJobJsonSchema, multipartOptionsInput, parseMultipartOptions } from './create-job-request.js';
import { redactSourceUrl } from './job-resource.js';

describe('multipart options', () => {
  it('merges the options part with per-option fields, reading JSON values', () => {
    const fields = new Map([
      ['options', '{"language":"zh","vad":{"threshold":0.6}}'],
      ['itn', 'false'],
      ['priority', '7'],
      ['webhook.url', 'https://hooks.example.com/x'],
      ['metadata', '{"id":"42"}'],
    ]);
    expect(multipartOptionsInput(fields)).toEqual({
      language: 'zh',
      vad: { threshold: 0.6 },
      itn: false,
      priority: 7,
      webhook: { url: 'https://hooks.example.com/x' },
      metadata: { id: '42' },
    });
    const parsed = parseMultipartOptions(fields);
    expect(parsed.metadata).toEqual({ id: '42' });
    expect(parsed.options).toMatchObject({ language: 'zh', itn: false, priority: 7, alerts: [] });
  });

  it('refuses field names that could reach an object prototype', () => {
    for (const name of ['__proto__.polluted', 'constructor.prototype.x', 'a..b']) {
      expect(() => multipartOptionsInput(new Map([[name, '1']]))).toThrow(AppError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('rejects unknown options and malformed JSON parts', () => {
    expect(() => parseMultipartOptions(new Map([['langauge', 'en']]))).toThrow(/langauge/);
    expect(() => parseMultipartOptions(new Map([['options', '[1]']]))).toThrow(/JSON object/);
    expect(() => parseMultipartOptions(new Map([['metadata', '{']]))).toThrow(/not valid JSON/);
  });
});

describe('JSON job requests', () => {
  const strict = createJobJsonSchema({ allowHttp: false });
  const lax = createJobJsonSchema({ allowHttp: true });

  it('accepts exactly one audio reference', () => {
    expect(strict.safeParse({ audio: { url: 'https://example.com/a.wav' } }).success).toBe(true);
    expect(strict.safeParse({ audio: { s3Uri: 's3://bucket-1/a/b.wav' } }).success).toBe(true);
    expect(strict.safeParse({ audio: { uploadId: '0f8fad5b-d9cb-469f-a165-70867728950e' } }).success).toBe(true);
    expect(strict.safeParse({ audio: {} }).success).toBe(false);
    expect(strict.safeParse({ audio: { url: 'https://e.com/a', s3Uri: 's3://bucket-1/a' } }).success).toBe(false);
    expect(strict.safeParse({ audio: { uploadId: '../../etc/passwd' } }).success).toBe(false);
  });

  it('allows plain http only when configured', () => {
    expect(strict.safeParse({ audio: { url: 'http://example.com/a.wav' } }).success).toBe(false);
    expect(lax.safeParse({ audio: { url: 'http://example.com/a.wav' } }).success).toBe(true);
    expect(lax.safeParse({ audio: { url: 'file:///etc/passwd' } }).success).toBe(false);
  });
});

describe('redactSourceUrl', () => {
  it('hides passwords and query values, keeping parameter names', () => {
    expect(redactSourceUrl('https://u:secret@h.example/a.wav?X-Amz-Signature=abc&x=1')).toBe(
      'https://u:***@h.example/a.wav?X-Amz-Signature=***&x=***',
    );
    expect(redactSourceUrl('https://h.example/a.wav')).toBe('https://h.example/a.wav');
  });
});
