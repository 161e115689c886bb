import { describe, expect, it } from 'vitest';
import { BlobStoreConfigSchema, createBlobStore } from './create-blob-store.js';
import { FsBlobStore } from './fs-blob-store.js';
import { S3BlobStore } from './s3-blob-store.js';

describe('createBlobStore', () => {
  it('builds the store the config names', () => {
    expect(createBlobStore({ kind: 'fs', root: '/tmp/earshot-unused' })).toBeInstanceOf(FsBlobStore);
    const s3 = createBlobStore({ kind: 's3', bucket: 'media', endpoint: 'http://127.0.0.1:9000', prefix: 'prod/' });
    expect(s3).toBeInstanceOf(S3BlobStore);
    expect(s3.description).toBe('s3://media/prod/ at http://127.0.0.1:9000');
    (s3 as S3BlobStore).destroy();
  });

  it('applies defaults and accepts env-style booleans', () => {
    const parsed = BlobStoreConfigSchema.parse({ kind: 's3', bucket: 'media', forcePathStyle: 'false', partSizeMiB: '16' });
    expect(parsed).toEqual({ kind: 's3', bucket: 'media', region: 'us-east-1', forcePathStyle: false, prefix: '', partSizeMiB: 16 });
  });

  it('refuses half credentials, unknown kinds and bad prefixes with INVALID_OPTIONS / VALIDATION_FAILED', () => {
    expect(() => createBlobStore({ kind: 's3', bucket: 'media', accessKeyId: 'AK' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => createBlobStore({ kind: 'gcs' } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTIONS' }));
    expect(() => createBlobStore({ kind: 's3', bucket: 'media', prefix: '../' })).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
  });
});
