/**
 * The worker's own temp directory (`$TMPDIR/earshot-worker-<pid>`): a job's downloaded audio and
 * its decoded PCM file live there and are deleted when the job ends. A worker killed mid-job
 * (SIGKILL, OOM) cannot delete them, so each worker, when it starts, removes the directories of
 * workers whose process no longer exists on this host, and its own when it stops.
 */
import { mkdir, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PREFIX = 'earshot-worker-';

export interface WorkerTempDir {
  path: string;
  /** Directories of dead workers removed at start. */
  swept: string[];
  /** Removes this worker's directory. */
  remove(): Promise<void>;
}

/** Creates this process's directory under `base` and sweeps those of dead processes. */
export async function createWorkerTempDir(base: string = tmpdir(), pid: number = process.pid): Promise<WorkerTempDir> {
  const swept: string[] = [];
  for (const name of await readdir(base).catch(() => [] as string[])) {
    if (!name.startsWith(PREFIX)) continue;
    const owner = Number(name.slice(PREFIX.length));
    if (!Number.isInteger(owner) || owner === pid || isAlive(owner)) continue;
    await rm(join(base, name), { recursive: true, force: true });
    swept.push(name);
  }
  const path = join(base, `${PREFIX}${pid}`);
  await mkdir(path, { recursive: true });
  return { path, swept, remove: () => rm(path, { recursive: true, force: true }) };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
