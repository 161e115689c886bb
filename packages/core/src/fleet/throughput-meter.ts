/**
 * A worker's throughput: audio seconds finished per wall second *while busy*, over a sliding
 * window. Counting only busy time measures capacity (what one more worker adds), not load: an
 * idle worker keeps its last measurement instead of drifting to zero, and a worker running four
 * jobs at once is credited with all four. Pure bookkeeping; `now` (ms) is always passed in.
 */
export interface ThroughputMeter {
  jobStarted(nowMs: number): void;
  /** A run ended; `audioS` is the audio it finished (0 for a failed or canceled run). */
  jobFinished(nowMs: number, audioS: number): void;
  /** Audio seconds per busy wall second over the window, or null before anything finished in it. */
  throughput(nowMs: number): number | null;
  /** Audio seconds finished per wall second (busy or not) over the window: the load this worker carried. */
  processedRate(nowMs: number): number;
}

export interface ThroughputMeterOptions {
  /** @defaultValue 600 (10 minutes) */
  windowS?: number;
}

export function createThroughputMeter(options: ThroughputMeterOptions = {}): ThroughputMeter {
  const windowMs = (options.windowS ?? 600) * 1000;
  let active = 0;
  let firstStartAt: number | null = null;
  let busySince: number | null = null;
  /** Closed busy periods [start, end] and finished audio, oldest first. */
  const busy: [number, number][] = [];
  const finished: { at: number; audioS: number }[] = [];

  const prune = (now: number): void => {
    const from = now - windowMs;
    while (busy.length > 0 && busy[0]![1] < from) busy.shift();
    while (finished.length > 0 && finished[0]!.at < from) finished.shift();
  };

  return {
    jobStarted(now) {
      firstStartAt ??= now;
      if (active === 0) busySince = now;
      active++;
    },
    jobFinished(now, audioS) {
      if (active === 0) return;
      active--;
      if (audioS > 0) finished.push({ at: now, audioS });
      if (active === 0 && busySince !== null) {
        busy.push([busySince, now]);
        busySince = null;
      }
      prune(now);
    },
    throughput(now) {
      prune(now);
      if (finished.length === 0) return null;
      const from = now - windowMs;
      let busyMs = 0;
      for (const [start, end] of busy) busyMs += end - Math.max(start, from);
      if (busySince !== null) busyMs += now - Math.max(busySince, from);
      const audioS = finished.reduce((sum, f) => sum + f.audioS, 0);
      return busyMs > 0 ? audioS / (busyMs / 1000) : null;
    },
    processedRate(now) {
      prune(now);
      if (firstStartAt === null) return 0;
      const spanMs = Math.min(windowMs, now - firstStartAt);
      const audioS = finished.reduce((sum, f) => sum + f.audioS, 0);
      return spanMs > 0 ? audioS / (spanMs / 1000) : 0;
    },
  };
}
