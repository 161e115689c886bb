import { describe, expect, it } from 'vitest';
import { parseWebhookUrl, redactWebhookUrl } from './webhook-url.js';

describe('parseWebhookUrl', () => {
  it('accepts http and https', () => {
    expect(parseWebhookUrl('https://hooks.example.test/a?b=1').hostname).toBe('hooks.example.test');
    expect(parseWebhookUrl('http://127.0.0.1:8080/x').port).toBe('8080');
  });

  it('rejects other schemes, relative urls and very long urls with VALIDATION_FAILED', () => {
    for (const url of ['ftp://x.test/', 'javascript:alert(1)', 'file:///etc/passwd', '/relative', `https://x.test/${'a'.repeat(2100)}`]) {
      expect(() => parseWebhookUrl(url)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
    }
  });
});

describe('redactWebhookUrl', () => {
  it('hides a password and leaves other urls alone', () => {
    expect(redactWebhookUrl('https://user:s3cret@x.test/hook')).toBe('https://user:***@x.test/hook');
    expect(redactWebhookUrl('https://x.test/hook?a=1')).toBe('https://x.test/hook?a=1');
  });
});
