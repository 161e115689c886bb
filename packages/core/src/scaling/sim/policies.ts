/**
 * The four fleets the simulation compares, as controllers of the event loop. Every policy is
 * imported from `scaling/`, never copied, so the simulation measures the code that ships.
 *
 * - `earshot`: `decideWorkers` (work-based), applied as it decides at every KEDA poll: it holds
 *   its own cooldown and idle time. `--hpa infra` puts it under infra/worker-gpu.yaml's HPA
 *   behaviour (rate limits of 2 pods per minute up, 1 per 5 minutes down) to show their cost.
 * - `job-count`: the job-count KEDA query (`jobCountPolicy`, threshold = jobs per pod = the
 *   worker's concurrency, as in infra/) under the ScaledObject behaviour it shipped with.
 * - `static-peak`: a fixed fleet sized for the busiest 15 minutes of the trace.
 * - `oracle`: `oracleWorkers`, a worker per runnable unit with no cold start: the lower bound.
 */
import { AutoscaleConfigSchema, type AutoscaleConfig } from '../../config/autoscale-config.js';
import { decideWorkers, type ScalingState } from '../decide-workers.js';
import { jobCountPolicy } from '../job-count-policy.js';
import { DIRECT_BEHAVIOR, INFRA_GPU_BEHAVIOR, JOB_COUNT_GPU_BEHAVIOR, KedaHpa, type KedaBehavior } from './keda-hpa.js';
import type { Controller, FleetView, SimParams } from './simulate.js';
import type { Arrival } from './traces.js';

export const POLICIES = ['earshot', 'static-peak', 'job-count', 'oracle'] as const;
export type PolicyName = (typeof POLICIES)[number];

export interface PolicySetup {
  /** The policy's settings; unset fields take the EARSHOT_AUTOSCALE_* defaults. */
  autoscale: Partial<AutoscaleConfig>;
  /** Bounds of every dynamic fleet (earshot, job-count). */
  minWorkers: number;
  maxWorkers: number;
  /** job-count's threshold: jobs per pod, which infra/ sets to EARSHOT_WORKER_CONCURRENCY (the simulation's slots). */
  jobsPerWorker: number;
  /**
   * ScaledObject behaviour: `default` = earshot's answer applied as it is, job-count under the
   * behaviour it shipped with; `infra` = both under infra/worker-gpu.yaml's current behaviour;
   * `direct` = both applied as they are.
   */
  hpa: 'default' | 'infra' | 'direct';
}

export const DEFAULT_POLICY_SETUP: PolicySetup = { autoscale: {}, minWorkers: 0, maxWorkers: 24, jobsPerWorker: 1, hpa: 'default' };

/** The earshot policy's settings in a run: the env defaults, the run's bounds and cold start, then `setup.autoscale`. */
export function earshotConfig(setup: PolicySetup, params: SimParams): AutoscaleConfig {
  return AutoscaleConfigSchema.parse({
    minWorkers: setup.minWorkers,
    maxWorkers: setup.maxWorkers,
    coldStartS: params.coldStartS,
    ...setup.autoscale,
  });
}

/** The smallest fleet whose capacity covers the audio arriving in the busiest 15 minutes. */
export function staticPeakWorkers(arrivals: readonly Arrival[], throughput: number, windowS = 900): number {
  let best = 0;
  let sum = 0;
  let tail = 0;
  for (const a of arrivals) {
    sum += a.audioS;
    while (arrivals[tail]!.atS <= a.atS - windowS) sum -= arrivals[tail++]!.audioS;
    best = Math.max(best, sum);
  }
  return Math.max(1, Math.ceil(best / (windowS * throughput)));
}

export function makeController(policy: PolicyName, setup: PolicySetup, params: SimParams, arrivals: readonly Arrival[]): Controller {
  const bounds = { minReplicas: setup.minWorkers, maxReplicas: setup.maxWorkers };
  const behavior = (own: KedaBehavior): KedaBehavior =>
    setup.hpa === 'infra' ? INFRA_GPU_BEHAVIOR : setup.hpa === 'direct' ? DIRECT_BEHAVIOR : own;
  switch (policy) {
    case 'static-peak':
      return { kind: 'fixed', workers: staticPeakWorkers(arrivals, params.throughput) };
    case 'oracle':
      return { kind: 'instant' };
    case 'job-count': {
      const hpa = new KedaHpa(behavior(JOB_COUNT_GPU_BEHAVIOR), bounds);
      const config = { jobsPerWorker: setup.jobsPerWorker, minWorkers: setup.minWorkers, maxWorkers: setup.maxWorkers };
      return {
        kind: 'polled',
        next: (v: FleetView) => {
          const counts = { waitingJobs: v.waitingJobs, activeJobs: v.activeJobs };
          return hpa.next(v.nowS, v.currentWorkers, jobCountPolicy(counts, config), v.waitingJobs + v.activeJobs > 0);
        },
      };
    }
    case 'earshot': {
      const hpa = new KedaHpa(behavior(DIRECT_BEHAVIOR), bounds);
      const config = earshotConfig(setup, params);
      let state: ScalingState | undefined;
      return {
        kind: 'polled',
        next: (v: FleetView) => {
          const decision = decideWorkers(v, config, state);
          state = decision.state;
          return hpa.next(v.nowS, v.currentWorkers, decision.desired, decision.desired > 0);
        },
      };
    }
  }
}
