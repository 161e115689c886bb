/**
 * Orderly shutdown. Every resource the worker opens pushes a releaser onto one
 * stack as soon as it exists; shutdown (a signal, or a failed start) runs them in
 * reverse order, so the BullMQ worker (pushed last) stops first and Redis (pushed
 * first) closes last. A releaser that throws is logged and the rest still run.
 * Releasing twice is a programming error and throws.
 */
import type { Logger } from 'pino';

export type Releaser = () => Promise<unknown> | unknown;

export interface ReleaseStack {
  push(name: string, release: Releaser): void;
  /** Runs every releaser, newest first. */
  release(): Promise<void>;
}

export function createReleaseStack(logger: Logger): ReleaseStack {
  const stack: { name: string; release: Releaser }[] = [];
  let released = false;
  return {
    push(name, release) {
      if (released) throw new Error(`cannot add releaser "${name}": already released`);
      stack.push({ name, release });
    },
    async release() {
      if (released) throw new Error('release stack released twice');
      released = true;
      for (let entry = stack.pop(); entry; entry = stack.pop()) {
        const started = performance.now();
        try {
          await entry.release();
          logger.debug({ resource: entry.name, ms: Math.round(performance.now() - started) }, 'released');
        } catch (err) {
          logger.error({ err, resource: entry.name }, 'release failed');
        }
      }
    },
  };
}

export interface Drainable {
  /** Stops taking jobs and resolves once the active ones have finished (BullMQ `Worker.close()`). */
  close(): Promise<void>;
}

/**
 * Stops `worker` taking jobs and waits up to `timeoutMs` for its active jobs.
 *
 * After the timeout we stop waiting and await `onTimeout`: the worker aborts its
 * `abandonSignal` (runs stop writing and never settle) and hands the jobs back to
 * the queue (hand-back.ts), where another worker starts them again from the start
 * (process-job.ts tolerates the re-run). Should the hand-back fail (Redis away),
 * nothing is lost either: the locks are no longer renewed and, once one expires,
 * the stalled-job check of any other worker moves its job back to `wait`. A
 * Kubernetes terminationGracePeriodSeconds longer than the timeout lets the drain finish.
 */
export async function drainWorker(
  worker: Drainable,
  timeoutMs: number,
  onTimeout: () => void | Promise<void>,
): Promise<'drained' | 'timed-out'> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), timeoutMs);
  });
  try {
    const outcome = await Promise.race([worker.close().then(() => 'drained' as const), timedOut]);
    if (outcome === 'timed-out') await onTimeout();
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}

export interface SignalHandlingOptions {
  logger: Logger;
  /** Runs once, on the first signal; the process exits with `exitCode` when it resolves. */
  shutdown: (signal: NodeJS.Signals) => Promise<void>;
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
}

/**
 * SIGTERM/SIGINT start the shutdown once; a second signal while it runs exits at
 * once (Ctrl-C twice), leaving active jobs to stalled-job recovery.
 * Returns a function that removes the handlers.
 */
export function handleShutdownSignals(options: SignalHandlingOptions): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      options.logger.warn({ signal }, 'second signal: exiting now; active jobs are left to stalled-job recovery');
      process.exit(130);
    }
    shuttingDown = true;
    options.logger.info({ signal }, 'shutting down: no new jobs, waiting for active ones');
    options
      .shutdown(signal)
      .then(() => process.exit(process.exitCode ?? 0))
      .catch((err: unknown) => {
        options.logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
