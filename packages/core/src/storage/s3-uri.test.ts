import { describe, expect, it } from 'vitest';
import { parseS3Uri } from './s3-uri.js';

describe('parseS3Uri', () => {
  it('splits bucket and key, keeping the key literal', () => {
    expect(parseS3Uri('s3://my-bucket/a/b%20c.wav')).toEqual({ bucket: 'my-bucket', key: 'a/b%20c.wav' });
    expect(parseS3Uri('s3://b.example.com/x')).toEqual({ bucket: 'b.example.com', key: 'x' });
  });

  it('refuses other schemes, empty keys and invalid bucket names', () => {
    for (const bad of ['https://bucket/key', 's3://bucket', 's3://bucket/', 's3://Bucket/key', 's3://ab/key', 's3://a..b/key', 's3:///key']) {
      expect(() => parseS3Uri(bad), bad).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});
