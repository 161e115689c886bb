import { readFileSync } from 'node:fs';

/** Peak resident set (VmHWM in /proc/<pid>/status) of a live process in MiB; null when it cannot be read (gone, not Linux). */
export function peakRssMb(pid: number): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}
