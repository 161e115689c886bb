/**
 * The worker processes one supervisor keeps on this host: start one (on a free GPU slot when the
 * host lists GPUs), know which are starting (model loading) and which are ready, and stop one
 * with SIGTERM so it drains. A process that exits by itself (recycled, crashed) simply leaves the
 * pool; the supervisor's next decision starts a replacement if the work still asks for one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Logger } from 'pino';

export type PoolWorkerState = 'starting' | 'ready' | 'draining';

export interface PoolWorker {
  readonly pid: number;
  /** GPU id given through CUDA_VISIBLE_DEVICES, or null on a CPU host. */
  readonly gpu: string | null;
  state: PoolWorkerState;
  readonly startedAt: number;
  readonly exited: Promise<number | null>;
}

export interface WorkerPoolOptions {
  /** Script of one worker process (apps/worker/dist/main.js). */
  workerScript: string;
  /** Environment of every worker (the supervisor's own, as a rule). */
  env: NodeJS.ProcessEnv;
  /** GPU ids (EARSHOT_GPUS), one worker per GPU; empty: CPU workers, no slot limit. */
  gpus: readonly string[];
  /** pino message a worker logs once its model is loaded. @defaultValue 'worker ready' */
  readyMessage?: string;
  /** Each line a worker prints (its pino JSON), e.g. to pass through to stdout. */
  onLine?: (pid: number, line: string) => void;
  logger: Logger;
}

export interface WorkerPool {
  /** Workers alive (starting, ready or draining). */
  workers(): PoolWorker[];
  /** Starting or ready: what the scaling policy counts. */
  live(): PoolWorker[];
  /** Starts a worker; null when every GPU slot is taken. */
  start(): PoolWorker | null;
  /** SIGTERM: the worker drains and exits. */
  stop(worker: PoolWorker): void;
  /** SIGTERM to all, then wait for every exit. */
  stopAll(): Promise<void>;
}

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const readyMessage = options.readyMessage ?? 'worker ready';
  const pool = new Map<number, PoolWorker & { child: ChildProcess }>();

  const freeGpu = (): string | null | undefined => {
    if (options.gpus.length === 0) return null;
    const used = new Set([...pool.values()].map((w) => w.gpu));
    return options.gpus.find((g) => !used.has(g));
  };

  return {
    workers: () => [...pool.values()],
    live: () => [...pool.values()].filter((w) => w.state !== 'draining'),
    start() {
      const gpu = freeGpu();
      if (gpu === undefined) return null;
      const env = { ...options.env, ...(gpu === null ? {} : { CUDA_VISIBLE_DEVICES: gpu, EARSHOT_CUDA_DEVICE: '0' }) };
      const child = spawn(process.execPath, [options.workerScript], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const pid = child.pid ?? -1;
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const worker = { pid, gpu, state: 'starting' as PoolWorkerState, startedAt: Date.now(), exited, child };
      pool.set(pid, worker);
      child.once('error', (err) => options.logger.error({ err, workerPid: pid }, 'could not start a worker process'));
      void exited.then((code) => {
        pool.delete(pid);
        options.logger.info({ workerPid: pid, gpu, code, state: worker.state }, 'worker process exited');
      });
      for (const stream of [child.stdout, child.stderr]) {
        if (!stream) continue;
        createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
          if (worker.state === 'starting' && line.includes(`"msg":"${readyMessage}"`)) worker.state = 'ready';
          options.onLine?.(pid, line);
        });
      }
      return worker;
    },
    stop(worker) {
      const entry = pool.get(worker.pid);
      if (!entry || entry.state === 'draining') return;
      entry.state = 'draining';
      entry.child.kill('SIGTERM');
    },
    async stopAll() {
      for (const w of pool.values()) {
        w.state = 'draining';
        w.child.kill('SIGTERM');
      }
      await Promise.all([...pool.values()].map((w) => w.exited));
    },
  };
}
