import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '@earshot/core/errors/app-error';
import { parseOrThrow } from '../middleware/problem.js';
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

  it('takes the tag options of transcript 1.1 and refuses a language hint outside `languages`', () => {
    const ok = parseMultipartOptions(
      new Map([
        ['options', '{"languages":["zh","en"],"dropNoSpeech":true,"timelineMinConfidence":0.5,"alerts":[{"emotion":"ANGRY","minSeconds":5,"minConfidence":0.6}]}'],
      ]),
    );
    expect(ok.options).toMatchObject({ languages: ['zh', 'en'], dropNoSpeech: true, timelineMinConfidence: 0.5, alerts: [{ minConfidence: 0.6 }] });
    expect(() => parseMultipartOptions(new Map([['options', '{"language":"en","languages":["zh"]}']]))).toThrow(/language "en" is not one of languages/);
    expect(() => parseMultipartOptions(new Map([['options', '{"languages":["zh","zh"]}']]))).toThrow(/repeat/);
    expect(() => parseMultipartOptions(new Map([['options', '{"languages":["de"]}']]))).toThrow(/languages/);
    expect(() => parseMultipartOptions(new Map([['options', '{"languages":[]}']]))).toThrow(/languages/);
    const json = createJobJsonSchema({ allowHttp: false });
    expect(json.safeParse({ audio: { url: 'https://a.example/x.wav' }, language: 'ko', languages: ['zh'] }).success).toBe(false);
    expect(json.safeParse({ audio: { url: 'https://a.example/x.wav' }, language: 'zh', languages: ['zh', 'en'] }).success).toBe(true);
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

describe('unknown option keys', () => {
  const schema = createJobJsonSchema({ allowHttp: false });
  const audio = { url: 'https://example.com/a.wav' };

  /** Paths of the objects in a JSON schema that accept keys nobody declared. */
  function openObjects(node: unknown, path: string, out: string[]): string[] {
    if (typeof node !== 'object' || node === null) return out;
    const n = node as Record<string, unknown>;
    if (n.type === 'object' && n.properties !== undefined && n.additionalProperties !== false) out.push(path || '(root)');
    for (const [key, child] of Object.entries(n)) {
      if (key === 'properties' && typeof child === 'object' && child !== null) {
        for (const [prop, sub] of Object.entries(child)) openObjects(sub, path ? `${path}.${prop}` : prop, out);
      } else if (typeof child === 'object') {
        openObjects(child, path, out);
      }
    }
    return out;
  }

  it('are refused at every depth: no declared object of the request accepts undeclared keys', () => {
    // metadata is the client's own free-form object (a record, not a declared shape).
    const json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
    expect(openObjects(json, '', [])).toEqual([]);
  });

  it('name the path of the typo', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ audio, langauge: 'en' }, ''],
      [{ audio: { ...audio, uri: 'x' } }, 'audio'],
      [{ audio, vad: { treshold: 0.9 } }, 'vad'],
      [{ audio, webhook: { url: 'https://h.example/x', secret: 'x' } }, 'webhook'],
      [{ audio, alerts: [{ emotion: 'ANGRY', minSecs: 5 }] }, 'alerts.0'],
    ];
    for (const [body, path] of cases) {
      let error: unknown;
      try {
        parseOrThrow(schema, body, 'job request');
      } catch (err) {
        error = err;
      }
      expect(error, JSON.stringify(body)).toBeInstanceOf(AppError);
      const issues = (error as AppError).details?.errors as { path: string; message: string }[];
      expect(issues.some((i) => i.path.startsWith(path) && /unrecognized key|invalid input/i.test(i.message)), JSON.stringify(issues)).toBe(true);
    }
    const multipart = () => parseMultipartOptions(new Map([['vad', '{"treshold":0.9}']]));
    expect(multipart).toThrow(/treshold/);
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
