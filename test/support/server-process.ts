/**
 * A server a fault test owns as a child process (redis-server, a private radosgw gateway): run in
 * the foreground so the test's real signals hit it, ready once it prints a given line or once a
 * probe says it answers, and started again with the same arguments after the test killed it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { sleep } from './wait-for.js';

export interface ServerProcess {
  /** True while a process of ours runs. */
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Sends `signal` without waiting (SIGSTOP, SIGCONT); a no-op when none runs. */
  signal(signal: NodeJS.Signals): void;
  /** Starts it again with the same arguments; resolves once it is ready. */
  restart(): Promise<void>;
  /** Kills it for good (test cleanup); safe to call in any state. */
  stop(): Promise<void>;
  /** The last lines it printed (stdout and stderr). */
  tail(lines?: number): string;
}

/** When a started process counts as ready: a line of its output contains `line`, or `probe()` (polled) is true. */
export type Readiness = { line: string } | { probe: () => Promise<boolean>; what: string };

export interface ServerProcessOptions {
  command: string;
  args: readonly string[];
  ready: Readiness;
  startTimeoutMs: number;
  /** How often readiness is checked. @defaultValue 50 */
  pollMs?: number;
}

/** Starts `command args` and resolves once it is ready; rejects if it exits first or is not ready in time. */
export async function startServerProcess(options: ServerProcessOptions): Promise<ServerProcess> {
  const { command, ready } = options;
  const output: string[] = [];
  let current: { process: ChildProcess; exited: Promise<void> } | null = null;
  const tail = (lines = 20): string => output.slice(-lines).join('\n');

  async function launch(): Promise<void> {
    const child = spawn(command, options.args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // 'error' without 'exit' is what a spawn that failed (no such command) gives.
    const exited = new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.once('error', (err) => {
        output.push(`${command}: ${err.message}`);
        resolve();
      });
    });
    current = { process: child, exited };
    void exited.then(() => {
      if (current?.process === child) current = null;
    });
    let sawReadyLine = false;
    for (const stream of [child.stdout, child.stderr]) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (chunk: string) => {
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines.filter((l) => l !== '')) {
          output.push(line);
          if ('line' in ready && line.includes(ready.line)) sawReadyLine = true;
        }
        if (output.length > 500) output.splice(0, 250);
      });
    }
    const isReady = 'line' in ready ? async () => sawReadyLine : ready.probe;
    const what = 'line' in ready ? `no "${ready.line}" line` : ready.what;
    const deadline = Date.now() + options.startTimeoutMs;
    while (!(await isReady())) {
      if (current?.process !== child) throw new Error(`${command} exited before it was ready:\n${tail()}`);
      if (Date.now() > deadline) {
        await kill(); // of no use to the test, and after a first start it has no handle to stop it
        throw new Error(`${command} was not ready in ${options.startTimeoutMs} ms (${what}):\n${tail()}`);
      }
      await sleep(options.pollMs ?? 50);
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
    get running() {
      return current !== null;
    },
    kill,
    signal: (signal) => void current?.process.kill(signal),
    restart: async () => {
      if (current) throw new Error(`${command} is still running`);
      await launch();
    },
    stop: () => kill('SIGKILL'),
    tail,
  };
}
