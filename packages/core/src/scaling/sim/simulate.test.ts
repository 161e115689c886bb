import { describe, expect, it } from 'vitest';
import { INFRA_GPU_BEHAVIOR, JOB_COUNT_GPU_BEHAVIOR, KedaHpa } from './keda-hpa.js';
import { DEFAULT_POLICY_SETUP, POLICIES, staticPeakWorkers } from './policies.js';
import { runSimulations, type RunOptions } from './report.js';
import { DEFAULT_SIM_PARAMS, simulate } from './simulate.js';
import { createRng } from './prng.js';
import { diurnalTrace, drawJobLengthS } from './traces.js';

// Short, small traces so the whole file runs in about a second.
const options: RunOptions = {
  seed: 3,
  traces: ['steady', 'diurnal', 'bursty'],
  params: { ...DEFAULT_SIM_PARAMS, slots: 1 },
  setup: { ...DEFAULT_POLICY_SETUP, jobsPerWorker: 1, maxWorkers: 12 },
  traceScale: 0.25,
  traceDurationS: 2 * 3600,
};

describe('autoscaling simulation', () => {
  const runs = [
    ...runSimulations(options),
    ...runSimulations({ ...options, params: { ...options.params, slots: 8, fanOut: true }, setup: { ...options.setup, jobsPerWorker: 8 } }).map((r) => ({
      ...r,
      variant: 'fan-out, 8 slots',
    })),
  ];

  it('is deterministic: the same seed gives the same rows', () => {
    const again = runSimulations(options).map((r) => r.row);
    expect(again).toEqual(runs.slice(0, again.length).map((r) => r.row));
    expect(runSimulations({ ...options, seed: 4 }).map((r) => r.row)).not.toEqual(again);
  });

  it('finishes every file under every policy', () => {
    for (const { result } of runs) {
      expect(result.files).toBeGreaterThan(0);
      expect(result.completedFiles).toBe(result.files);
      expect(Number.isNaN(result.doneWaitsS.reduce((a, b) => a + b, 0))).toBe(false);
    }
  });

  it('charges a static fleet its size × the whole period', () => {
    for (const { trace, policy, result } of runs.filter((r) => r.policy === 'static-peak')) {
      const fleet = staticPeakWorkers(trace.arrivals, options.params.throughput);
      expect(result.peakWorkers, `${trace.name}/${policy}`).toBe(fleet);
      expect(result.workerSeconds).toBeCloseTo(fleet * result.endS, 6);
      expect(result.scaleEvents).toBe(0);
    }
  });

  it('has the oracle at the bound: audio ÷ throughput, no wait, and no policy below it', () => {
    for (const { trace, policy, result } of runs.filter((r) => r.policy === 'oracle')) {
      const audioS = trace.arrivals.reduce((s, a) => s + a.audioS, 0);
      expect(result.workerSeconds, trace.name).toBeCloseTo(audioS / options.params.throughput, 3);
      expect(Math.max(...result.startWaitsS)).toBe(0);
      const sameTrace = runs.filter((r) => r.trace === trace && r.policy !== policy);
      expect(sameTrace).toHaveLength(POLICIES.length - 1);
      for (const other of sameTrace) expect(other.result.workerSeconds, `${trace.name}/${other.policy}`).toBeGreaterThanOrEqual(result.workerSeconds);
    }
  });

  it('lets a worker start only after its cold start, and pays for it', () => {
    const arrivals = [{ atS: 10, audioS: 500 }];
    const r = simulate(arrivals, 100, { kind: 'polled', next: (v) => (v.waitingJobs + v.activeJobs > 0 ? 1 : 0) }, { ...DEFAULT_SIM_PARAMS, slots: 1 });
    // Polls at 0, 30: the worker is asked for at 30, ready at 90, done at 100; gone at the poll at 120.
    expect(r.startWaitsS[0]).toBe(80);
    expect(r.doneWaitsS[0]).toBe(90);
    expect(r.workerSeconds).toBe(r.endS - 30);
  });

  it('hands work back when a drained worker runs out of time', () => {
    const arrivals = [{ atS: 0, audioS: 50 * 400 }];
    let calls = 0;
    const r = simulate(arrivals, 10, { kind: 'polled', next: () => (calls++ < 5 ? 1 : calls < 20 ? 0 : 1) }, { ...DEFAULT_SIM_PARAMS, slots: 1 });
    expect(r.lostAudioS).toBeGreaterThan(0);
    expect(r.completedFiles).toBe(1);
  });
});

describe('traces', () => {
  it('draws heavy-tailed lengths: about 70 % under 2 minutes, 1 % over an hour', () => {
    const rng = createRng(11);
    const xs = Array.from({ length: 50_000 }, () => drawJobLengthS(rng));
    expect(xs.filter((x) => x < 120).length / xs.length).toBeCloseTo(0.7, 1);
    expect(xs.filter((x) => x > 3600).length / xs.length).toBeGreaterThan(0.007);
    expect(xs.filter((x) => x > 3600).length / xs.length).toBeLessThan(0.013);
  });

  it('has a diurnal peak about 10× its trough', () => {
    const { arrivals } = diurnalTrace({ seed: 5 });
    const audioIn = (fromH: number, toH: number) => arrivals.filter((a) => a.atS >= fromH * 3600 && a.atS < toH * 3600).reduce((s, a) => s + a.audioS, 0);
    const ratio = audioIn(13, 15) / audioIn(1, 3);
    expect(ratio).toBeGreaterThan(6);
    expect(ratio).toBeLessThan(14);
  });
});

describe('KedaHpa (infra/worker-gpu.yaml behaviours)', () => {
  it('adds at most 2 pods per 60 s and removes 1 per 300 s after a 600 s window', () => {
    const hpa = new KedaHpa(JOB_COUNT_GPU_BEHAVIOR, { minReplicas: 0, maxReplicas: 20 });
    let n = 0;
    const trail: number[] = [];
    for (let t = 0; t <= 1800; t += 30) {
      n = hpa.next(t, n, t < 300 ? 10 : 1, true);
      trail.push(n);
    }
    expect(trail.slice(0, 4)).toEqual([2, 2, 4, 4]); // activation to 1, +1 in the first minute, then 2 a minute
    expect(Math.max(...trail)).toBe(10);
    const at = (t: number) => trail[t / 30]!;
    expect(at(870)).toBe(10); // the window still holds the last 10 (recommended until 270 s)
    expect(at(900)).toBe(9);
    expect(at(1170)).toBe(9);
    expect(at(1200)).toBe(8);
  });

  it.each([
    ['job-count', JOB_COUNT_GPU_BEHAVIOR, 900],
    ['earshot_desired_workers', INFRA_GPU_BEHAVIOR, 60],
  ] as const)('goes to zero only after cooldownPeriod without activity (%s: %d s)', (_name, behavior, cooldownS) => {
    const hpa = new KedaHpa(behavior, { minReplicas: 0, maxReplicas: 20 });
    expect(hpa.next(0, 0, 1, true)).toBe(1);
    expect(hpa.next(cooldownS - 30, 1, 0, false)).toBe(1);
    expect(hpa.next(cooldownS, 1, 0, false)).toBe(0);
  });
});
