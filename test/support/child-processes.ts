/**
 * Earshot's apps as child processes for integration tests: start one (`node apps/…/dist/main.js`
 * with a given environment), wait for the pino line that says it is ready, keep the tail of its
 * output for failure messages (and the whole of it in a log file), stop it with a real signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../setup/paths.js';

/** The pino `msg` each app logs once it is ready: `readyMessage` of `start`. */
export const API_READY = 'earshot api listening';
export const WORKER_READY = 'worker ready';
export const DELIVERER_READY = 'webhook delivery worker started';

export interface Child {
  name: string;
  process: ChildProcess;
  /** The last lines of stdout and stderr, interleaved. */
  output: string[];
  exited: Promise<number | null>;
}

export interface ChildGroup {
  readonly children: readonly Child[];
  /** Where each child's full log is written. */
  readonly logDir: string;
  /** Starts `node <script>` and resolves once a line's pino `msg` is `readyMessage`. */
  start(name: string, script: string, env: Record<string, string>, readyMessage: string, timeoutMs?: number): Promise<Child>;
  /** Sends `signal` (SIGKILL after `killAfterMs`) and waits for the exit. */
  stop(child: Child, signal?: NodeJS.Signals, killAfterMs?: number): Promise<void>;
  stopAll(): Promise<void>;
  /** The tail of every child's output, for an assertion message. */
  tails(lines?: number): string;
}

/** `run` names the log files (`<run>-<name>-<pid>.log` under `$TMPDIR/<logDirName>`). */
export function createChildGroup(run: string, logDirName: string): ChildGroup {
  const children: Child[] = [];
  const logDir = join(tmpdir(), logDirName);

  function start(name: string, script: string, env: Record<string, string>, readyMessage: string, timeoutMs = 60_000): Promise<Child> {
    const child = spawn(process.execPath, [join(REPO_ROOT, script)], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    mkdirSync(logDir, { recursive: true });
    const log = createWriteStream(join(logDir, `${run}-${name}-${child.pid}.log`));
    const output: string[] = [];
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        log.end();
        resolve(code);
      }),
    );
    const entry: Child = { name, process: child, output, exited };
    children.push(entry);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start in ${timeoutMs} ms:\n${output.slice(-40).join('\n')}`)), timeoutMs);
      const onLine = (line: string): void => {
        log.write(`${line}\n`);
        output.push(line);
        if (output.length > 2000) output.splice(0, 1000);
        if (line.includes(`"msg":"${readyMessage}"`)) {
          clearTimeout(timer);
          resolve(entry);
        }
      };
      for (const stream of [child.stdout, child.stderr]) {
        let buffered = '';
        stream?.setEncoding('utf8');
        stream?.on('data', (chunk: string) => {
          buffered += chunk;
          const lines = buffered.split('\n');
          buffered = lines.pop() ?? '';
          lines.forEach(onLine);
        });
      }
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited with ${code} before it was ready:\n${output.slice(-40).join('\n')}`));
      });
    });
  }

  async function stop(child: Child, signal: NodeJS.Signals = 'SIGTERM', killAfterMs = 15_000): Promise<void> {
    if (child.process.exitCode !== null || child.process.signalCode !== null) return;
    child.process.kill(signal);
    const timer = setTimeout(() => child.process.kill('SIGKILL'), killAfterMs);
    await child.exited;
    clearTimeout(timer);
  }

  return {
    children,
    logDir,
    start,
    stop,
    stopAll: async () => {
      await Promise.all(children.map((c) => stop(c)));
    },
    tails: (lines = 30) => children.map((c) => `--- ${c.name} (full log in ${logDir})\n${c.output.slice(-lines).join('\n')}`).join('\n'),
  };
}
