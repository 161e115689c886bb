import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { assertPublicDestination, isPrivateAddress } from './destination-guard.js';

describe('isPrivateAddress', () => {
  it('refuses loopback, private, link-local, CGNAT, multicast and reserved ranges', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', '::ffff:127.0.0.1', '::ffff:10.0.0.1', 'not-an-ip']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
  });

  it('allows public addresses', () => {
    for (const a of ['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2001:4860:4860::8888', '::ffff:8.8.8.8']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});

describe('assertPublicDestination', () => {
  it('refuses a name that resolves to loopback, with a stable code', async () => {
    const err = await assertPublicDestination(new URL('http://localhost:9/x'), 'audio URL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('VALIDATION_FAILED');
    expect((err as AppError).retryable).toBe(false);
    expect((err as AppError).message).toMatch(/EARSHOT_ALLOW_PRIVATE_NETWORK/);
  });

  it('refuses literal private addresses, IPv6 included', async () => {
    await expect(assertPublicDestination(new URL('https://169.254.169.254/latest/meta-data'), 'x')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(assertPublicDestination(new URL('https://[::1]:8443/'), 'x')).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
  });

  it('accepts a literal public address without a DNS lookup', async () => {
    await expect(assertPublicDestination(new URL('https://8.8.8.8/a.wav'), 'x')).resolves.toBeUndefined();
  });
});
