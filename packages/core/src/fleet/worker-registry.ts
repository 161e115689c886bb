/**
 * Where workers say how they are doing, so one exporter (the API's /metrics) can report the whole
 * fleet and feed the scaling policy: a Redis hash `<keyPrefix>workers`, one field per worker
 * holding its latest report. Workers publish every few seconds and remove their field when they
 * stop; a report older than `freshMs` is from a worker that died, and is ignored (and dropped
 * once it is very old).
 */
import type { Redis } from 'ioredis';
import { z } from 'zod';

export const WorkerReportSchema = z.object({
  /** `<hostname>-<pid>`, the `worker` label of the metrics. */
  worker: z.string().min(1),
  queue: z.string(),
  state: z.enum(['starting', 'running', 'draining']),
  /** Audio seconds per busy wall second (fleet/throughput-meter.ts); null before a job finished. */
  throughput: z.number().nonnegative().nullable(),
  /** Audio seconds finished per wall second over the last 10 minutes, idle time included (the load it carried). */
  processedAudioSPerS: z.number().nonnegative().default(0),
  /** Process start to model loaded and ready; null while starting. */
  startupS: z.number().nonnegative().nullable(),
  /** Jobs running now. */
  activeJobs: z.number().int().nonnegative(),
  /** The model this worker serves (`GET /v1/models`); null while it loads. */
  model: z.object({ id: z.string().min(1), synthetic: z.boolean() }).nullable().default(null),
  /** When the report was made (ms since the epoch). */
  at: z.number(),
});
export type WorkerReport = z.infer<typeof WorkerReportSchema>;
/** What a worker publishes (fields with defaults may be left out). */
export type WorkerReportInput = z.input<typeof WorkerReportSchema>;

/** Reports older than this are from a worker that is gone. */
export const WORKER_REPORT_FRESH_MS = 30_000;
/** Reports older than this are deleted by the reader. */
const WORKER_REPORT_FORGET_MS = 10 * 60_000;

export function workerRegistryKey(keyPrefix: string): string {
  return `${keyPrefix}workers`;
}

export async function publishWorkerReport(redis: Redis, keyPrefix: string, report: WorkerReportInput): Promise<void> {
  await redis.hset(workerRegistryKey(keyPrefix), report.worker, JSON.stringify(WorkerReportSchema.parse(report)));
}

export async function removeWorkerReport(redis: Redis, keyPrefix: string, worker: string): Promise<void> {
  await redis.hdel(workerRegistryKey(keyPrefix), worker);
}

/** The fresh reports (of `queue` when given); stale ones are skipped, very old ones deleted. */
export async function readWorkerReports(redis: Redis, keyPrefix: string, nowMs: number, queue?: string): Promise<WorkerReport[]> {
  const key = workerRegistryKey(keyPrefix);
  const all = await redis.hgetall(key);
  const fresh: WorkerReport[] = [];
  const forget: string[] = [];
  for (const [field, text] of Object.entries(all)) {
    let parsed: WorkerReport | null = null;
    try {
      const result = WorkerReportSchema.safeParse(JSON.parse(text));
      if (result.success) parsed = result.data;
    } catch {
      parsed = null;
    }
    if (!parsed || nowMs - parsed.at > WORKER_REPORT_FORGET_MS) {
      forget.push(field);
      continue;
    }
    if (nowMs - parsed.at > WORKER_REPORT_FRESH_MS) continue;
    if (queue === undefined || parsed.queue === queue) fresh.push(parsed);
  }
  if (forget.length > 0) await redis.hdel(key, ...forget);
  return fresh.sort((a, b) => a.worker.localeCompare(b.worker));
}
