/**
 * A benchmark runner in a child process of its own, driven by request/response messages over
 * Node's IPC channel. Ours and sherpa-onnx's runtimes each get their own process: sherpa-onnx
 * bundles its own onnxruntime, which must not share a process with onnxruntime-node, and a
 * separate process keeps one side's heap and threads out of the other's timings.
 *
 * Protocol: the parent sends `{ id, op, args }`; the child answers `{ id, ok: true, result }` or
 * `{ id, ok: false, error }`. `bench/runners/*` implement the child side.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/setup/paths.js';

export interface RunnerProcess {
  readonly pid: number;
  call<T>(op: string, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

interface Reply {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

export type RunnerKind = 'ours' | 'sherpa';

const SCRIPTS: Record<RunnerKind, { script: string; execArgv: string[] }> = {
  // tsx with the `source` condition, as the other bench scripts run: the workspace packages' .ts sources.
  ours: { script: 'bench/runners/ours-runner.ts', execArgv: ['--import', 'tsx', '--conditions=source'] },
  sherpa: { script: 'bench/runners/sherpa-runner.cjs', execArgv: [] },
};

/** Starts a runner; `env` is added to this process's environment. */
export function startRunner(kind: RunnerKind, env: Record<string, string> = {}): RunnerProcess {
  const { script, execArgv } = SCRIPTS[kind];
  const child: ChildProcess = fork(join(REPO_ROOT, script), [], {
    cwd: REPO_ROOT,
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      for (const p of pending.values()) p.reject(new Error(`${kind} runner exited (${code ?? signal}) with a request pending`));
      pending.clear();
      resolve();
    }),
  );
  child.on('message', (message: Reply) => {
    const p = pending.get(message.id);
    if (!p) return;
    pending.delete(message.id);
    if (message.ok) p.resolve(message.result);
    else p.reject(new Error(`${kind} runner: ${message.error}`));
  });
  return {
    pid: child.pid!,
    call<T>(op: string, args: Record<string, unknown> = {}): Promise<T> {
      if (exited) return Promise.reject(new Error(`${kind} runner has exited`));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ id, op, args });
      });
    },
    async close() {
      if (!exited) {
        child.disconnect();
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exit;
        clearTimeout(timer);
      }
    },
  };
}
