import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { UploadRegistry } from './upload-registry.js';

// Real Redis: the registry's records are JSON there, and every read parses them.
const redis = new Redis({ host: '127.0.0.1', port: 6379, maxRetriesPerRequest: null });
const keyPrefix = `earshot-test:uploads-${randomUUID().slice(0, 8)}:`;
const uploads = new UploadRegistry(redis, keyPrefix);

afterAll(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length) await redis.del(...keys);
  await redis.quit();
});

describe('UploadRegistry.get', () => {
  it('reads back the record it created, and null for an unknown id', async () => {
    const { record, token } = await uploads.create({ tenant: 'acme', filename: 'a.wav', contentType: 'audio/wav', sizeBytes: 10, expiresS: 600 });
    expect(await uploads.get(record.id)).toEqual(record);
    expect(uploads.tokenMatches(record, token)).toBe(true);
    expect(await uploads.get(randomUUID())).toBeNull();
  });

  it('refuses a stored record that is not JSON or not an upload record, with a clear error', async () => {
    const { record } = await uploads.create({ tenant: 'acme', filename: null, contentType: null, sizeBytes: null, expiresS: 600 });
    const key = `${keyPrefix}upload:${record.id}`;
    await redis.set(key, '{not json');
    await expect(uploads.get(record.id)).rejects.toMatchObject({ code: 'INTERNAL', retryable: false, message: `upload record ${record.id} is not JSON` });
    await redis.set(key, JSON.stringify({ ...record, tenant: 42, sizeBytes: -1 }));
    const err = await uploads.get(record.id).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'INTERNAL', retryable: false });
    expect((err as Error).message).toMatch(/does not match its schema \(tenant: .*; sizeBytes: /);
    await expect(uploads.getForTenant(record.id, 'acme')).rejects.toMatchObject({ code: 'INTERNAL' });
  });
});
