/**
 * Throttled progress writes. The engine reports progress synchronously and
 * often (per segment); each report here at most schedules one write, writes never
 * overlap, and between writes only the latest value is kept. A phase change is
 * written without waiting for the interval (clients see "inference" promptly).
 */
import type { JobPhase } from '@earshot/core/jobs/job-record';

export interface Progress {
  /** 0..1 */
  fraction: number;
  phase: JobPhase;
}

export interface ProgressReporter {
  report(progress: Progress): void;
  /** Stops reporting; waits for a write in flight (later reports are dropped). */
  stop(): Promise<void>;
}

export function createProgressReporter(
  write: (progress: Progress) => Promise<void>,
  intervalMs: number,
  onError: (err: unknown) => void,
): ProgressReporter {
  let latest: Progress | null = null;
  let lastPhase: string | null = null;
  let lastWriteAt = 0;
  let inFlight: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;

  const flush = (): void => {
    timer = null;
    if (stopped || inFlight || !latest) return;
    const next = latest;
    latest = null;
    lastWriteAt = Date.now();
    lastPhase = next.phase;
    inFlight = write(next)
      .catch(onError)
      .finally(() => {
        inFlight = null;
        if (latest) schedule();
      });
  };

  const schedule = (): void => {
    if (stopped || timer || inFlight) return;
    const dueInMs = latest && latest.phase !== lastPhase ? 0 : Math.max(0, lastWriteAt + intervalMs - Date.now());
    timer = setTimeout(flush, dueInMs);
    timer.unref();
  };

  return {
    report(progress) {
      if (stopped) return;
      latest = progress;
      schedule();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      await inFlight;
    },
  };
}
