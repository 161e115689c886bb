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
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processEnv } from '@earshot/core/config/env';
import { freePort } from './free-port.js';
import { sleep } from './wait-for.js';

export interface RadosgwGateway {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL) and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again with the same arguments; resolves once it answers HTTP. */
  restart(): Promise<void>;
  /** SIGSTOP: the port still accepts TCP connections (kernel backlog), nothing answers. */
  freeze(): void;
  /** SIGCONT */
  thaw(): void;
  /** Kills it for good (test cleanup); safe to call in any state. */
  stop(): Promise<void>;
  tail(lines?: number): string;
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

async function answers(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(1000) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
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
  const output: string[] = [];
  let current: { process: ChildProcess; exited: Promise<void> } | null = null;

  async function launch(): Promise<void> {
    const child = spawn('radosgw', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    current = { process: child, exited };
    void exited.then(() => {
      if (current?.process === child) current = null;
    });
    for (const stream of [child.stdout, child.stderr]) {
      stream?.on('data', (chunk: Buffer) => {
        output.push(...chunk.toString('utf8').split('\n').filter((l) => l !== ''));
        if (output.length > 500) output.splice(0, 250);
      });
    }
    const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
    while (!(await answers(endpoint))) {
      if (current?.process !== child) throw new Error(`radosgw exited while starting:\n${output.slice(-20).join('\n')}`);
      if (Date.now() > deadline) throw new Error(`radosgw did not answer on ${endpoint}:\n${output.slice(-20).join('\n')}`);
      await sleep(50);
    }
  }

  async function kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const running = current;
    if (!running) return;
    running.process.kill(signal);
    await running.exited;
  }

  await launch();
  return {
    endpoint,
    get running() {
      return current !== null;
    },
    kill,
    restart: async () => {
      if (current) throw new Error('radosgw is still running');
      await launch();
    },
    freeze: () => void current?.process.kill('SIGSTOP'),
    thaw: () => void current?.process.kill('SIGCONT'),
    stop: () => kill('SIGKILL'),
    tail: (lines = 20) => output.slice(-lines).join('\n'),
  };
}
