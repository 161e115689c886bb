import { describe, expect, it } from 'vitest';
import { loadAutoscaleConfig } from '../config/autoscale-config.js';
import { decideWorkers, drainHorizon, type ScalingInput, type ScalingState } from './decide-workers.js';
import { jobCountPolicy } from './job-count-policy.js';
import { createRng } from './sim/prng.js';

// Defaults (drain 60 s, cold start 60 s, cooldown 300 s, idle 300 s, prior 50 audio-s/s), max 20.
const config = loadAutoscaleConfig({ EARSHOT_AUTOSCALE_MAX_WORKERS: '20' });

function input(over: Partial<ScalingInput>): ScalingInput {
  return { nowS: 10_000, backlogAudioS: 0, waitingJobs: 0, activeJobs: 0, currentWorkers: 0, ...over };
}

/** `count` waiting files of `audioS` each, with the per-job list. */
function waitingFiles(count: number, audioS: number): Partial<ScalingInput> {
  return {
    backlogAudioS: count * audioS,
    waitingJobs: count,
    jobs: { waitingAudioS: Array.from({ length: count }, () => audioS), runningAudioS: [] },
  };
}

describe('drainHorizon', () => {
  it.each([
    // targetDrainS, coldStartS → horizon, what a new worker works of it
    [300, 60, 300, 240],
    [60, 60, 90, 30], // a new worker could not help within 60 s: credited half the target
    [60, 0, 60, 60],
    [100, 20, 100, 80],
  ])('target %d s, cold start %d s → horizon %d s, new worker %d s', (targetDrainS, coldStartS, horizonS, newWorkerS) => {
    expect(drainHorizon({ targetDrainS, coldStartS })).toEqual({ horizonS, newWorkerS });
  });
});

describe('decideWorkers: work, not job count', () => {
  it.each([
    // Same total audio, asked for by few long jobs (fanned out into chunks) or many short ones.
    ['a 2-hour file as 24 chunks of 300 s', waitingFiles(24, 300), '1,440 five-second files', waitingFiles(1440, 5), {}, 5],
    ['a 5,000 s file as 17 chunks', waitingFiles(17, 5000 / 17), '1,000 five-second files', waitingFiles(1000, 5), {}, 4],
    ['ten 2-hour files', waitingFiles(10, 7200), '14,400 five-second files', waitingFiles(14_400, 5), { targetDrainS: 600 }, 3],
  ])('%s and %s ask for the same workers', (_a, long, _b, short, over, expected) => {
    const c = { ...config, ...over };
    const a = decideWorkers(input(long), c);
    const b = decideWorkers(input(short), c);
    expect(a.desired).toBe(expected);
    expect(b.desired).toBe(expected);
    // Today's job-count query tells them apart by the job count alone.
    const jc = (i: Partial<ScalingInput>) => jobCountPolicy({ waitingJobs: i.waitingJobs!, activeJobs: 0 }, { jobsPerWorker: 1, minWorkers: 0, maxWorkers: 100_000 });
    expect(jc(short) / jc(long)).toBeGreaterThanOrEqual(58);
  });

  it('gives a long file that is not split one worker: it cannot use more', () => {
    const d = decideWorkers(input(waitingFiles(1, 7200)), config);
    expect(d.desired).toBe(1);
    expect(d.reason).toContain('1500 audio-s to start'); // what one new worker does of it within the horizon
    // The same audio as divisible work (no per-job list, as with fan-out) asks for more.
    expect(decideWorkers(input({ backlogAudioS: 7200, waitingJobs: 24 }), config).desired).toBe(5);
  });
});

describe('decideWorkers: scaling up', () => {
  it.each([
    // name, input, desired
    ['a drop of 1,000 files on an empty fleet goes to the maximum at once', { ...waitingFiles(1000, 250) }, 20],
    ['a drop of 1,000 files on 5 workers too', { ...waitingFiles(1000, 250), currentWorkers: 5 }, 20],
    ['a burst that 4 warm workers drain before new ones are ready adds nobody', { ...waitingFiles(30, 200), currentWorkers: 4 }, 4],
    ['a burst beyond their spare capacity adds what covers the rest', { ...waitingFiles(40, 300), currentWorkers: 2 }, 4],
    ['starting workers count, for the part of the horizon after their cold start', { ...waitingFiles(40, 300), currentWorkers: 4, startingWorkers: 2 }, 4],
    ['running work stays on its worker: new workers are for waiting work', { backlogAudioS: 40_000, activeJobs: 8, currentWorkers: 2, jobs: { waitingAudioS: [], runningAudioS: Array(8).fill(5000) } }, 2],
  ] as [string, Partial<ScalingInput>, number][])('%s', (_name, over, desired) => {
    const d = decideWorkers(input(over), config);
    expect(d.desired).toBe(desired);
    if (desired > (over.currentWorkers ?? 0)) expect(d.direction).toBe('up');
  });

  it.each([
    ['something running with an empty backlog', { activeJobs: 1 }],
    ['a job waiting whose length is not known yet', { waitingJobs: 1 }],
  ])('keeps at least one worker while %s', (_name, over) => {
    const d = decideWorkers(input(over), config);
    expect(d.desired).toBe(1);
    expect(d.reason).toContain('work waiting or running');
  });

  it.each([
    // measured audio-s/s per worker (null: none yet) → workers for 6,000 audio-s waiting
    [null, 'prior', 4],
    [100, 'measured', 2],
    [25, 'measured', 8],
    [0, 'prior', 4],
  ] as const)('measured throughput %s replaces the prior (%s)', (measuredThroughput, source, desired) => {
    const d = decideWorkers(input({ backlogAudioS: 6000, waitingJobs: 20, measuredThroughput }), config);
    expect(d.throughputSource).toBe(source);
    expect(d.desired).toBe(desired);
    expect(d.reason).toContain(`(${source})`);
  });

  it('says why, with the inputs', () => {
    const d = decideWorkers(input({ ...waitingFiles(40, 300), currentWorkers: 2 }), config);
    expect(d.reason).toMatch(/^up 2→4: /);
    expect(d.reason).toContain('backlog 12000 audio-s (40 waiting, 0 running)');
    expect(d.reason).toContain('50 audio-s/s per worker (prior)');
    expect(d.reason).toContain('cold start 60 s');
  });
});

describe('decideWorkers: scaling down', () => {
  /** Calls the policy every `stepS` from `fromS` with the inputs `at(t)` and the fleet following its decisions. */
  function run(fromS: number, toS: number, stepS: number, start: { workers: number; state?: ScalingState }, at: (tS: number) => Partial<ScalingInput>) {
    let workers = start.workers;
    let state = start.state;
    const trail: { tS: number; desired: number; reason: string }[] = [];
    for (let t = fromS; t <= toS; t += stepS) {
      const d = decideWorkers(input({ nowS: t, currentWorkers: workers, ...at(t) }), config, state);
      state = d.state;
      workers = d.desired;
      trail.push({ tS: t, desired: d.desired, reason: d.reason });
    }
    return trail;
  }

  it('waits out the cooldown, then goes to the most needed during it', () => {
    // 10 workers; the backlog needs 3 to be drained in half the target (30 s), for one poll 4.
    const trail = run(0, 660, 30, { workers: 10 }, (t) => waitingFiles(t === 120 ? 8 : 6, 750));
    const before = trail.filter((s) => s.tS < 300);
    expect(before.every((s) => s.desired === 10)).toBe(true);
    expect(before.at(-1)!.reason).toContain('waiting out the cooldown');
    expect(trail.find((s) => s.tS === 300)!.desired).toBe(4);
    // Another step down needs another cooldown after the change.
    expect(trail.filter((s) => s.tS > 300 && s.tS < 630).every((s) => s.desired === 4)).toBe(true);
    expect(trail.find((s) => s.tS === 630)!.desired).toBe(3);
  });

  it('does not flap on a noisy backlog', () => {
    // Four hours of polls every 30 s; the backlog jumps between 1 and 10 workers' worth of work.
    const rng = createRng(7);
    const backlogs: number[] = [];
    const trail = run(0, 4 * 3600, 30, { workers: 5 }, () => {
      const backlogAudioS = 2000 + rng.next() * 28_000;
      backlogs.push(backlogAudioS);
      return { backlogAudioS, waitingJobs: 30, activeJobs: 5 };
    });
    const changes = (xs: number[]) => xs.filter((x, i) => i > 0 && x !== xs[i - 1]).length;
    const naive = backlogs.map((b) => Math.ceil(b / (50 * 60)));
    expect(changes(naive)).toBeGreaterThan(300);
    expect(changes(trail.map((s) => s.desired))).toBeLessThanOrEqual(3);
  });

  it('does not go below what the recent inflow needs', () => {
    const trail = run(0, 1200, 30, { workers: 12 }, () => ({ backlogAudioS: 500, activeJobs: 5, processedAudioSPerS: 400 }));
    expect(trail.at(-1)!.desired).toBe(9); // 400 / (50 × 0.9) → 9
    expect(trail.at(-1)!.reason).toContain('inflow 400 audio-s/s needs 9');
  });

  it('goes down to the maximum at once when the fleet is above it', () => {
    expect(decideWorkers(input({ currentWorkers: 25, activeJobs: 100, backlogAudioS: 1e6 }), config).desired).toBe(20);
  });
});

describe('decideWorkers: idle', () => {
  it.each([
    // seconds since the last work, minWorkers → desired (from 1 worker)
    [0, 0, 1],
    [120, 0, 1],
    [299, 0, 1],
    [300, 0, 0],
    [3600, 0, 0],
    [3600, 1, 1],
  ])('%d s after the last work with minimum %d → %d', (idleS, minWorkers, desired) => {
    const c = { ...config, minWorkers };
    const busy = decideWorkers(input({ nowS: 1000, currentWorkers: 1, activeJobs: 1, backlogAudioS: 10 }), c);
    const d = decideWorkers(input({ nowS: 1000 + idleS, currentWorkers: 1 }), c, busy.state);
    expect(d.desired).toBe(desired);
    if (desired === 0) expect(d.reason).toContain(`idle for ${idleS} s`);
  });

  it('also counts activity the caller saw between calls', () => {
    const d = decideWorkers(input({ nowS: 1000, currentWorkers: 1, lastActivityS: 900 }), config);
    expect(d.desired).toBe(1);
    expect(decideWorkers(input({ nowS: 1200, currentWorkers: 1, lastActivityS: 900 }), config, d.state).desired).toBe(0);
  });

  it('does not start a worker for nothing', () => {
    expect(decideWorkers(input({ currentWorkers: 0, lastActivityS: 9_990 }), config).desired).toBe(0);
  });
});

describe('decideWorkers: a fleet that lags behind its answers', () => {
  it('keeps asking for a scale-down the fleet has not made yet', () => {
    // The HPA removes at most one pod per 5 minutes: the fleet stays at 10 while the answer is 3.
    let state: ScalingState | undefined;
    const answers: number[] = [];
    for (let t = 0; t <= 900; t += 30) {
      const d = decideWorkers(input({ nowS: t, currentWorkers: t < 600 ? 10 : 9, ...waitingFiles(6, 750) }), config, state);
      state = d.state;
      answers.push(d.desired);
    }
    expect(answers.slice(0, 10).every((n) => n === 10)).toBe(true);
    expect(answers.slice(10).every((n) => n === 3)).toBe(true); // not back to 10 at the next poll
  });

  it('counts workers it asked for but does not see yet as starting, so it does not ask twice', () => {
    const first = decideWorkers(input({ nowS: 0, ...waitingFiles(40, 300), currentWorkers: 2 }), config);
    expect(first.desired).toBe(4);
    const again = decideWorkers(input({ nowS: 15, ...waitingFiles(40, 300), currentWorkers: 2 }), config, first.state);
    expect(again.desired).toBe(4);
    expect(again.direction).toBe('hold');
    expect(again.reason).toContain('2 workers (2 starting) of 4 asked for');
  });
});
