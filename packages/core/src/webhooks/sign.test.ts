import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { assertWebhookSecret, createWebhookSigner, generateWebhookSecret } from './sign.js';

describe('webhook signing', () => {
  const body = JSON.stringify({ type: 'job.completed', data: { note: 'héllo ✓' } });

  it('produces headers the Standard Webhooks verifier accepts, for each rotated secret', () => {
    const [a, b] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = createWebhookSigner([a, b]).sign('msg_abc', new Date(), body);
    expect(headers['webhook-id']).toBe('msg_abc');
    expect(headers['webhook-signature'].split(' ').map((s) => s.slice(0, 3))).toEqual(['v1,', 'v1,']);
    expect(new Webhook(a).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(new Webhook(b).verify(body, { ...headers })).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, { ...headers })).toThrow(WebhookVerificationError);
  });

  it('puts the attempt time in Unix seconds into the header and the signature', () => {
    const secret = generateWebhookSecret();
    const signer = createWebhookSigner([secret]);
    const first = signer.sign('msg_abc', new Date(1_700_000_000_900), body);
    const later = signer.sign('msg_abc', new Date(1_700_000_001_000), body);
    expect(first['webhook-timestamp']).toBe('1700000000');
    expect(later['webhook-timestamp']).toBe('1700000001');
    expect(later['webhook-signature']).not.toBe(first['webhook-signature']);
  });

  it('generates whsec_ secrets and rejects malformed ones', () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(() => assertWebhookSecret(secret)).not.toThrow();
    expect(() => assertWebhookSecret(secret.slice(6))).toThrow(/whsec_/);
    expect(() => assertWebhookSecret(`whsec_${Buffer.alloc(8).toString('base64')}`)).toThrow(/24\.\.512/);
    expect(() => createWebhookSigner([])).toThrow(/at least one/);
  });
});
