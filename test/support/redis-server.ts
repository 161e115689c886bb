/**
 * A private redis-server for tests that kill Redis: started by the test on its own port (never the
 * shared 6379), in the foreground as a child process so a real SIGKILL hits it, and restarted with
 * the same arguments. With `appendOnly` (AOF, fsync on every write) its data survives a kill -9,
 * as a production Redis with persistence would.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './free-port.js';

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** True while a redis-server process of ours runs. */
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts redis-server again with the same arguments; resolves once it accepts connections. */
  restart(): Promise<void>;
  /** Kills it for good (test cleanup). */
  stop(): Promise<void>;
  /** The last lines redis-server printed. */
  tail(lines?: number): string;
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
  const output: string[] = [];
  let current: { process: ChildProcess; exited: Promise<void> } | null = null;

  function launch(): Promise<void> {
    const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    current = { process: child, exited };
    void exited.then(() => {
      if (current?.process === child) current = null;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`redis-server did not start in time:\n${output.slice(-20).join('\n')}`)), options.startTimeoutMs ?? 10_000);
      const onData = (chunk: Buffer): void => {
        for (const line of chunk.toString('utf8').split('\n')) {
          if (line === '') continue;
          output.push(line);
          if (line.includes('Ready to accept connections')) {
            clearTimeout(timer);
            resolve();
          }
        }
        if (output.length > 500) output.splice(0, 250);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited before it was ready:\n${output.slice(-20).join('\n')}`));
      });
    });
  }

  async function kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const running = current;
    if (!running) return;
    running.process.kill(signal);
    await running.exited;
  }

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return current !== null;
    },
    kill,
    restart: async () => {
      if (current) throw new Error('redis-server is still running');
      await launch();
    },
    stop: () => kill('SIGKILL'),
    tail: (lines = 20) => output.slice(-lines).join('\n'),
  };
}
