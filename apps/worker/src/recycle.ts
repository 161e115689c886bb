/**
 * Worker recycling: after EARSHOT_WORKER_MAX_JOBS job runs, or once resident memory passes
 * EARSHOT_WORKER_MAX_RSS_MB, the worker stops taking jobs, drains the ones it has (the same
 * graceful path as SIGTERM) and exits 0, so its supervisor (`npm run workers`, a Deployment, a
 * compose restart policy) starts a fresh process. Speech servers running one ONNX session for
 * days are known to grow in memory; a fresh process gives it back.
 */
export interface RecycleLimits {
  /** 0: no limit. */
  maxJobs: number;
  /** 0: no limit. */
  maxRssMb: number;
}

export interface RecycleCheck {
  /** Counts a finished run; returns why the worker should recycle now, or null. */
  afterRun(): string | null;
  /** The memory check alone (also run on a timer between jobs). */
  check(): string | null;
}

export function createRecycleCheck(limits: RecycleLimits, rssBytes: () => number = () => process.memoryUsage.rss()): RecycleCheck {
  let runs = 0;
  const check = (): string | null => {
    if (limits.maxJobs > 0 && runs >= limits.maxJobs) return `ran ${runs} jobs (EARSHOT_WORKER_MAX_JOBS=${limits.maxJobs})`;
    const rssMb = rssBytes() / 1024 ** 2;
    if (limits.maxRssMb > 0 && rssMb > limits.maxRssMb) return `resident memory ${Math.round(rssMb)} MiB is above EARSHOT_WORKER_MAX_RSS_MB=${limits.maxRssMb}`;
    return null;
  };
  return {
    afterRun() {
      runs++;
      return check();
    },
    check,
  };
}
