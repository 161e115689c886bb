import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerTempDir } from './worker-temp-dir.js';

let base: string;

beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'earshot-temp-sweep-'));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe('createWorkerTempDir', () => {
  it("sweeps dead workers' directories, keeps live ones', and removes its own on demand", async () => {
    // A pid that surely has exited: a child that ran and was reaped.
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await mkdir(join(base, `earshot-worker-${dead}`, 'leftover'), { recursive: true });
    await mkdir(join(base, `earshot-worker-${process.ppid}`)); // alive (the test runner's parent)
    await mkdir(join(base, 'unrelated'));
    const dir = await createWorkerTempDir(base);
    expect(dir.swept).toEqual([`earshot-worker-${dead}`]);
    expect((await readdir(base)).sort()).toEqual([`earshot-worker-${process.pid}`, `earshot-worker-${process.ppid}`, 'unrelated'].sort());
    await dir.remove();
    expect(await readdir(base)).not.toContain(`earshot-worker-${process.pid}`);
  });
});
