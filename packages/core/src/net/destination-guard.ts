import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { AppError } from '../errors/app-error.js';

/**
 * Server-side request forgery guard for URLs clients hand us (audio sources,
 * webhook receivers): refuses destinations that resolve to loopback, private,
 * link-local (cloud metadata at 169.254.169.254), carrier-grade NAT, multicast
 * or reserved addresses. Node's own `net.BlockList` holds the ranges.
 *
 * Limits: the name is resolved here and again by fetch, so a DNS answer that
 * changes in between (rebinding) is not caught; deployments that need that
 * should also send outbound traffic through an egress proxy.
 */
const BLOCKED = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  BLOCKED.addSubnet(net, prefix, 'ipv6');
}

/** True for addresses a client-supplied URL must not reach (IPv4-mapped IPv6 is checked as IPv4). */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped) return BLOCKED.check(mapped, 'ipv4');
  const family = isIP(address);
  if (family === 0) return true; // not an address: refuse rather than guess
  return BLOCKED.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * Resolves the URL's host and throws AppError('VALIDATION_FAILED', not retryable) when any
 * address it resolves to is private. `what` names the URL's role in the message.
 */
export async function assertPublicDestination(url: URL, what: string): Promise<void> {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  } catch (err) {
    throw new AppError('SOURCE_FETCH_FAILED', `${what}: cannot resolve ${host} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      cause: err,
      retryable: true,
    });
  }
  const blocked = addresses.filter(isPrivateAddress);
  if (blocked.length > 0) {
    throw new AppError(
      'VALIDATION_FAILED',
      `${what}: ${host} resolves to a private or reserved address (${blocked.join(', ')}); set EARSHOT_ALLOW_PRIVATE_NETWORK=true to allow it`,
      { retryable: false, details: { host, addresses: blocked } },
    );
  }
}
