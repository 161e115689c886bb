import { describe, expect, it } from 'vitest';
import { createRecycleCheck } from './recycle.js';

describe('createRecycleCheck', () => {
  it('asks to recycle after maxJobs runs, not before', () => {
    const check = createRecycleCheck({ maxJobs: 3, maxRssMb: 0 }, () => 0);
    expect([check.afterRun(), check.afterRun()]).toEqual([null, null]);
    expect(check.afterRun()).toMatch(/ran 3 jobs/);
  });

  it('asks to recycle when resident memory passes maxRssMb', () => {
    let rss = 100 * 1024 ** 2;
    const check = createRecycleCheck({ maxJobs: 0, maxRssMb: 512 }, () => rss);
    expect(check.check()).toBeNull();
    rss = 600 * 1024 ** 2;
    expect(check.check()).toMatch(/600 MiB is above EARSHOT_WORKER_MAX_RSS_MB=512/);
  });

  it('never asks with both limits at 0', () => {
    const check = createRecycleCheck({ maxJobs: 0, maxRssMb: 0 }, () => 64 * 1024 ** 3);
    for (let i = 0; i < 1000; i++) expect(check.afterRun()).toBeNull();
  });
});
