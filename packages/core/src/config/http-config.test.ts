import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { loadHttpConfig } from './http-config.js';

describe('loadHttpConfig', () => {
  it('has the documented defaults', () => {
    const c = loadHttpConfig({});
    expect(c).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      maxUploadBytes: 1024 ** 3,
      allowHttpSources: false,
      uploadUrlExpiresS: 3600,
      webhookWorker: true,
      logLevel: 'info',
      requestTimeoutMs: 3_600_000,
    });
    expect(c.apiKeys).toBeUndefined();
    expect(c.s3SourceBuckets).toBeUndefined();
  });

  it('parses key:tenant pairs (the key may contain colons) and booleans', () => {
    const c = loadHttpConfig({
      EARSHOT_API_KEYS: ' k1-0123456789abcdef:acme , a:b:c:0123456789abcdef:beta.2 ',
      EARSHOT_ALLOW_HTTP_SOURCES: 'true',
      EARSHOT_API_WEBHOOK_WORKER: 'false',
      EARSHOT_S3_SOURCE_BUCKETS: 'in-a, in-b',
    });
    expect(c.apiKeys).toEqual([
      { key: 'k1-0123456789abcdef', tenant: 'acme' },
      { key: 'a:b:c:0123456789abcdef', tenant: 'beta.2' },
    ]);
    expect(c.allowHttpSources).toBe(true);
    expect(c.webhookWorker).toBe(false);
    expect(c.s3SourceBuckets).toEqual(['in-a', 'in-b']);
  });

  it.each([
    ['short:t1', 'at least 16'],
    ['0123456789abcdef', 'key:tenant'],
    ['0123456789abcdef:bad/tenant', 'tenant must be'],
    ['0123456789abcdef:a,0123456789abcdef:b', 'duplicate key'],
  ])('rejects EARSHOT_API_KEYS=%s', (value, message) => {
    let error: unknown;
    try {
      loadHttpConfig({ EARSHOT_API_KEYS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('INVALID_OPTIONS');
    expect((error as AppError).message).toContain('EARSHOT_API_KEYS');
    expect((error as AppError).message).toContain(message);
  });
});
