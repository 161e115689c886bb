/**
 * A private redis-server for tests that kill Redis: started by the test on its own port (never the
 * shared 6379), in the foreground as a child process so a real SIGKILL hits it, and restarted with
 * the same arguments. With `appendOnly` (AOF, fsync on every write) its data survives a kill -9,
 * as a production Redis with persistence would.
 */
import { freePort } from './free-port.js';
import { startServerProcess, type ServerProcess } from './server-process.js';

/** `restart()` resolves once it accepts connections. */
export interface RedisServer extends ServerProcess {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
}

export interface RedisServerOptions {
  /** Working dir (AOF files). */
  dir: string;
  /** @defaultValue a free port */
  port?: number;
  /** AOF with `appendfsync always`. @defaultValue true */
  appendOnly?: boolean;
  /** @defaultValue 10000 */
  startTimeoutMs?: number;
}

export async function startRedisServer(options: RedisServerOptions): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const persistence = (options.appendOnly ?? true) ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = [
    '--port', String(port),
    '--bind', '127.0.0.1',
    '--save', '',
    ...persistence,
    '--dir', options.dir,
    '--maxmemory-policy', 'noeviction', // what BullMQ wants
    '--daemonize', 'no',
    '--logfile', '',
  ];
  const server = await startServerProcess({
    command: 'redis-server',
    args,
    ready: { line: 'Ready to accept connections' },
    startTimeoutMs: options.startTimeoutMs ?? 10_000,
  });
  return Object.assign(server, { port, url: `redis://127.0.0.1:${port}` });
}
