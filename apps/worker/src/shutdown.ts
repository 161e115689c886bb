/**
 * Draining the BullMQ worker at shutdown (the release stack and signal handling live in
 * packages/core/src/runtime, shared with the API and the webhook process).
 */
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
