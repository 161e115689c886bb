/**
 * Reading a child's pino output: which jobs it started or completed, and when (pino's `time`,
 * epoch ms, written by the child itself, so it does not depend on when the test polled).
 */
import type { Child } from './child-processes.js';

export interface LogEntry {
  msg?: string;
  time?: number;
  jobId?: string;
  [field: string]: unknown;
}

/** The child's JSON log lines (kept in memory), optionally only those whose `msg` is `msg`. */
export function logEntries(child: Child, msg?: string): LogEntry[] {
  const entries: LogEntry[] = [];
  for (const line of child.output) {
    if (!line.startsWith('{')) continue;
    try {
      const entry = JSON.parse(line) as LogEntry;
      if (msg === undefined || entry.msg === msg) entries.push(entry);
    } catch {
      // not a JSON line (a warning printed by Node, say)
    }
  }
  return entries;
}

/** Job ids of the child's log lines with message `msg` (e.g. 'job started'), in order. */
export function jobIdsLogged(child: Child, msg: string): string[] {
  return logEntries(child, msg).flatMap((e) => (typeof e.jobId === 'string' ? [e.jobId] : []));
}

/** The first line with message `msg` about `jobId`, if any. */
export function firstJobLog(child: Child, msg: string, jobId: string): LogEntry | undefined {
  return logEntries(child, msg).find((e) => e.jobId === jobId);
}

// 'job split into chunks': a fan-out run ends there; its chunks and merge are runs of their own.
const RUN_ENDS = new Set(['job completed', 'job failed', 'job run failed; BullMQ will retry', 'job canceled while processing', 'job split into chunks']);

/** Jobs whose latest run on this worker started ('job started') and has not ended in its log. */
export function jobsInFlight(worker: Child): string[] {
  const running = new Set<string>();
  for (const entry of logEntries(worker)) {
    if (typeof entry.jobId !== 'string' || entry.msg === undefined) continue;
    if (entry.msg === 'job started') running.add(entry.jobId);
    else if (RUN_ENDS.has(entry.msg)) running.delete(entry.jobId);
  }
  return [...running];
}
