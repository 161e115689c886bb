/**
 * A private radosgw gateway for tests that take S3 away: a second `radosgw` process on the local
 * test Ceph cluster (scripts/s3-server.sh), on its own port, serving the same buckets and users.
 * The test kills, freezes (SIGSTOP) and restarts this process with real signals while the shared
 * gateway on 7480, which other test files use, is never touched; stopping the whole cluster would
 * throw its in-memory data away.
 *
 * Why not just signal the shared gateway: other test files may be using it at the same moment.
 * Why the two cache options: radosgw gateways keep each other's metadata caches coherent through
 * watch/notify on control objects, so a frozen or killed second gateway makes every bucket
 * create/delete on the shared one wait for the notify timeout (measured: 25–30 s each).
 * `rgw_num_control_oids=0` makes ours watch a control object nobody notifies, and
 * `rgw_cache_enabled=false` means it has no cache that could go stale. No garbage-collection or
 * lifecycle threads either: a gateway killed while holding one of their cluster-wide locks would
 * block that work on the shared gateway until the lock times out.
 */
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEnv } from '@earshot/core/config/env';
import { s3Answers } from '../setup/s3.js';
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/** `restart()` resolves once it answers HTTP. */
export interface RadosgwGateway extends ServerProcess {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** SIGSTOP: the port still accepts TCP connections (kernel backlog), nothing answers. */
  freeze(): void;
  /** SIGCONT */
  thaw(): void;
}

/** The Ceph config file of the local test cluster, read from the running gateway's command line. */
export function localCephConfig(): string | null {
  const cephDir = processEnv().CEPH_DIR || join(tmpdir(), 'earshot-ceph'); // as scripts/s3-server.sh
  const pidFile = join(cephDir, 'run', 'client.rgw.a.pid');
  if (!existsSync(pidFile)) return null;
  const pid = readFileSync(pidFile, 'utf8').trim();
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return null; // not running
  }
  if (!argv[0]?.endsWith('radosgw')) return null;
  const c = argv.indexOf('-c');
  const conf = c >= 0 ? argv[c + 1] : join(cephDir, 'ceph.conf');
  return conf && existsSync(conf) ? conf : null;
}

export interface RadosgwGatewayOptions {
  /** Ceph config of the cluster (localCephConfig()). */
  cephConfig: string;
  /** Directory for this gateway's log, pid file and admin socket. */
  dir: string;
  /** Ceph client name suffix (`client.rgw.<name>`). */
  name: string;
  /** @defaultValue 30000 */
  startTimeoutMs?: number;
}

export async function startRadosgwGateway(options: RadosgwGatewayOptions): Promise<RadosgwGateway> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const args = [
    '-c', options.cephConfig,
    '-n', `client.rgw.${options.name}`,
    '-f',
    `--rgw-frontends=beast endpoint=127.0.0.1:${port}`,
    '--rgw-cache-enabled=false',
    '--rgw-num-control-oids=0',
    '--rgw-enable-gc-threads=false',
    '--rgw-enable-lc-threads=false',
    `--rgw-data=${options.dir}`,
    `--log-file=${join(options.dir, 'radosgw.log')}`,
    `--pid-file=${join(options.dir, 'radosgw.pid')}`,
    `--admin-socket=${join(options.dir, 'radosgw.asok')}`,
  ];
  const server = await startServerProcess({
    command: 'radosgw',
    args,
    ready: { probe: () => s3Answers(endpoint, 1000), what: `no answer on ${endpoint}` },
    startTimeoutMs: options.startTimeoutMs ?? 30_000,
  });
  return Object.assign(server, {
    endpoint,
    freeze: () => server.signal('SIGSTOP'),
    thaw: () => server.signal('SIGCONT'),
  });
}
