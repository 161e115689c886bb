/**
 * The work-based autoscaling policy: how many transcription workers the backlog asks for,
 * measured in audio seconds rather than jobs, so a two-hour call weighs 1,440 times a
 * five-second clip. A pure function: no I/O, no clock (`nowS` is an input), no hidden state
 * (what it remembers between calls is returned in `state` and passed back by the caller).
 *
 * The rules, in the order they apply:
 * 1. Idle: nothing waiting or running for `idleS` seconds → `minWorkers` (0 by default).
 *    Before that, a worker that is already up stays up for the next job.
 * 2. Floors: at least `minWorkers`, and at least one worker while anything waits or runs.
 * 3. Up, at once: when the waiting work is more than the fleet has spare within the drain
 *    horizon, add the workers that cover the rest, each counted only after its cold start.
 *    A burst the current workers drain before new ones would be ready adds nobody; work
 *    already running stays on its worker and asks for nobody; one job never asks for more
 *    than one new worker (a long file is transcribed by one worker unless fanned out).
 * 4. Down, slowly: only when clearly over-provisioned (fewer workers would drain the backlog
 *    in half the target and still keep up with the recent inflow), only after that has held
 *    for `cooldownS` (and `cooldownS` after the last change), and then only to the most
 *    workers needed during that time. A noisy backlog therefore does not flap.
 * 5. Bounds: never above `maxWorkers`; no more new workers than waiting jobs.
 *
 * Measured in `npm run sim:autoscale` (bench/sim-autoscale.ts): under steady load the wait
 * until a job starts settles near `targetDrainS`; a longer target costs fewer GPU-hours.
 */
import type { AutoscaleConfig } from '../config/autoscale-config.js';

/** What the queue and the fleet look like now. Times are seconds on one clock (any epoch). */
export interface ScalingInput {
  nowS: number;
  /** Audio seconds still to transcribe: waiting and prioritized jobs, plus the part of running jobs not yet done. */
  backlogAudioS: number;
  /**
   * Audio seconds left per job (or chunk), waiting and running apart, if the caller has them
   * (their sums make up `backlogAudioS`). With them the policy knows that a job runs on one
   * worker (a two-hour file counts for at most one worker's work in the time considered) and
   * that running work stays on its worker (new workers only take waiting jobs). Without them
   * the whole backlog is taken as waiting and divisible, which is right with fan-out.
   */
  jobs?: { waitingAudioS: readonly number[]; runningAudioS: readonly number[] };
  /** Jobs (or fan-out chunks) waiting or prioritized, not started. */
  waitingJobs: number;
  /** Jobs (or chunks) running now. */
  activeJobs: number;
  /**
   * Workers now, ready or starting (not those shutting down): the Deployment's replicas or the
   * workers that report. Workers the last answer asked for but that do not show yet count as
   * starting, so a lagging fleet is not asked for twice.
   */
  currentWorkers: number;
  /** How many of `currentWorkers` are still starting (they count only after a full cold start). @defaultValue 0 */
  startingWorkers?: number;
  /** Measured audio seconds per wall second of one worker; absent, null or ≤ 0 → the configured prior. */
  measuredThroughput?: number | null;
  /**
   * Audio seconds the whole fleet transcribed per wall second recently (for example
   * `sum(rate(earshot_worker_audio_seconds_total[5m]))`). Optional; it keeps a scale-down
   * from going below the inflow, which a backlog alone cannot see when the fleet keeps up.
   */
  processedAudioSPerS?: number | null;
  /** Last time a job arrived, started or finished, if the caller knows it (the state also remembers work it saw). */
  lastActivityS?: number | null;
}

/** What the policy remembers between calls. Start with none (or `INITIAL_SCALING_STATE`); pass back `decision.state`. */
export interface ScalingState {
  /**
   * The last answer; null = none yet. Holding repeats it, whatever the fleet shows meanwhile:
   * KEDA, the HPA's rate limits and pod start-up lag behind, and an answer that fell back to the
   * fleet's size each time would never be followed.
   */
  desired: number | null;
  /** When the decision last changed the worker count; null = never. */
  lastChangeS: number | null;
  /** Last call that saw work waiting or running. */
  lastBusyS: number | null;
  /** Since when fewer workers would do (continuously); null = not over-provisioned now. */
  overProvisionedSinceS: number | null;
  /** The most workers needed since `overProvisionedSinceS`: where a scale-down goes. */
  overProvisionedPeak: number;
}

export const INITIAL_SCALING_STATE: ScalingState = Object.freeze({
  desired: null,
  lastChangeS: null,
  lastBusyS: null,
  overProvisionedSinceS: null,
  overProvisionedPeak: 0,
});

export interface ScalingDecision {
  /** Workers wanted now. */
  desired: number;
  direction: 'up' | 'down' | 'hold';
  /** One line for logs: the decision and the inputs that led to it. */
  reason: string;
  /** Workers the backlog alone needs to be drained in `targetDrainS`, ignoring cold start, bounds and hysteresis. */
  backlogWorkers: number;
  /** The per-worker throughput used, audio seconds per wall second, and where it came from. */
  throughputPerWorker: number;
  throughputSource: 'measured' | 'prior';
  /** Pass to the next call. */
  state: ScalingState;
}

/** The subset of AutoscaleConfig the policy reads. */
export type ScalingPolicyConfig = Pick<
  AutoscaleConfig,
  'targetDrainS' | 'idleS' | 'minWorkers' | 'maxWorkers' | 'throughputPrior' | 'coldStartS' | 'cooldownS'
>;

/**
 * Scale down only to a fleet that would still drain the backlog in this fraction of the
 * target. The gap between this and the scale-up rule (the whole target) is the hysteresis band.
 */
export const DOWN_DRAIN_FRACTION = 0.5;

/**
 * Scale down only to a fleet that the recent inflow would keep at most this busy. Without it a
 * fleet that keeps up shows almost no backlog, is cut, falls behind, and grows again.
 */
export const DOWN_MAX_UTILISATION = 0.9;

/**
 * The horizon in which the backlog should be gone, and the part of it a new worker works.
 * A new worker helps only after its cold start, so it is credited `targetDrainS − coldStartS`.
 * When the cold start would eat more than half of the target (a target that new workers cannot
 * meet), the horizon is stretched so that they are credited half the target: otherwise a short
 * target would ask for an unbounded fleet.
 */
export function drainHorizon(config: Pick<ScalingPolicyConfig, 'targetDrainS' | 'coldStartS'>): { horizonS: number; newWorkerS: number } {
  const newWorkerS = Math.max(config.targetDrainS - config.coldStartS, config.targetDrainS / 2);
  return { horizonS: config.coldStartS + newWorkerS, newWorkerS };
}

export function decideWorkers(input: ScalingInput, config: ScalingPolicyConfig, state: ScalingState = INITIAL_SCALING_STATE): ScalingDecision {
  const { nowS, backlogAudioS: backlogS, waitingJobs, activeJobs } = input;
  const current = input.currentWorkers;
  // The last answer; workers asked for but not seen yet (pods being scheduled) count as starting.
  const asked = state.desired ?? current;
  const fleet = Math.max(current, asked);
  const starting = Math.min(input.startingWorkers ?? 0, current) + (fleet - current);
  const measured = input.measuredThroughput ?? 0;
  const throughput = measured > 0 ? measured : config.throughputPrior;
  const throughputSource = measured > 0 ? 'measured' : 'prior';
  const jobs = waitingJobs + activeJobs;
  const busy = jobs > 0 || backlogS > 0;
  const lastBusyS = busy ? nowS : state.lastBusyS;
  // What workers can share within `windowS`: each job at most one worker's worth.
  const clipped = (audioS: readonly number[], windowS: number): number => {
    let sum = 0;
    for (const s of audioS) sum += Math.min(s, throughput * windowS);
    return sum;
  };
  const shareableS = (windowS: number): number =>
    input.jobs === undefined ? backlogS : clipped(input.jobs.waitingAudioS, windowS) + clipped(input.jobs.runningAudioS, windowS);
  const backlogWorkers = Math.ceil(shareableS(config.targetDrainS) / (throughput * config.targetDrainS));
  const { horizonS, newWorkerS } = drainHorizon(config);

  const facts =
    `backlog ${fmt(backlogS)} audio-s (${waitingJobs} waiting, ${activeJobs} running), ` +
    `${current} workers${starting > 0 ? ` (${starting} starting)` : ''}${asked !== current ? ` of ${asked} asked for` : ''}, ` +
    `${fmt(throughput)} audio-s/s per worker (${throughputSource})`;
  const decide = (desired: number, why: string, next: Partial<ScalingState> = {}): ScalingDecision => {
    const direction = desired > asked ? 'up' : desired < asked ? 'down' : 'hold';
    const verb = direction === 'hold' ? `hold ${asked}` : `${direction} ${asked}→${desired}`;
    return {
      desired,
      direction,
      reason: `${verb}: ${why}; ${facts}`,
      backlogWorkers,
      throughputPerWorker: throughput,
      throughputSource,
      state: {
        desired,
        lastChangeS: direction === 'hold' ? state.lastChangeS : nowS,
        lastBusyS,
        overProvisionedSinceS: null,
        overProvisionedPeak: 0,
        ...next,
      },
    };
  };
  const clamp = (n: number) => Math.min(config.maxWorkers, Math.max(config.minWorkers, n));

  // 1. Idle long enough: down to the minimum at once (the idle time was the wait).
  const lastActivityS = Math.max(input.lastActivityS ?? -Infinity, lastBusyS ?? -Infinity);
  const idleForS = busy ? 0 : nowS - lastActivityS;
  if (!busy && idleForS >= config.idleS) {
    const why = Number.isFinite(idleForS) ? `idle for ${fmt(idleForS)} s (limit ${fmt(config.idleS)} s)` : 'no work seen';
    return decide(config.minWorkers, why);
  }

  // 2. Bounds that apply at once.
  const floor = clamp(busy ? 1 : 0);
  if (asked > config.maxWorkers) return decide(config.maxWorkers, `maximum ${config.maxWorkers}`);

  // 3. Up: new workers take waiting work that the fleet's spare capacity within the horizon
  // does not cover, and count only after their cold start.
  const capacityS = throughput * ((fleet - starting) * horizonS + starting * newWorkerS);
  const runningS = input.jobs === undefined ? 0 : clipped(input.jobs.runningAudioS, horizonS);
  // A new worker works `newWorkerS` of the horizon and a job runs on one worker, so no waiting
  // job asks for more than one new worker: a lone long file adds one, not several.
  const waitingS = input.jobs === undefined ? backlogS : clipped(input.jobs.waitingAudioS, newWorkerS);
  const spareS = Math.max(0, capacityS - runningS);
  if (waitingS > spareS) {
    const added = Math.ceil((waitingS - spareS) / (throughput * newWorkerS));
    // A new worker needs a waiting job: more would sit idle (a long file without fan-out).
    const target = Math.min(config.maxWorkers, Math.max(asked, floor, Math.min(fleet + added, fleet + waitingJobs)));
    if (target > asked) {
      const cap = target === config.maxWorkers ? `maximum ${config.maxWorkers}` : `${waitingJobs} waiting jobs`;
      const why =
        `${fmt(waitingS)} audio-s to start exceeds the ${fmt(spareS)} the fleet has spare in ${fmt(horizonS)} s ` +
        `(target ${fmt(config.targetDrainS)} s, cold start ${fmt(config.coldStartS)} s)` +
        (target < fleet + added ? `; capped by ${cap}` : '');
      return decide(target, why);
    }
  }
  if (asked < floor) return decide(floor, busy ? 'work waiting or running' : `minimum ${config.minWorkers}`);

  // 4. Down: to what drains the backlog in half the target and keeps up with the inflow.
  const downS = config.targetDrainS * DOWN_DRAIN_FRACTION;
  const drainWorkers = Math.min(Math.ceil(shareableS(downS) / (throughput * downS)), jobs);
  const processed = input.processedAudioSPerS ?? 0;
  const inflowWorkers = processed > 0 ? Math.ceil(processed / (throughput * DOWN_MAX_UTILISATION)) : 0;
  const keepWarm = asked > 0 ? 1 : 0; // not idle for long enough yet
  const enough = clamp(Math.max(drainWorkers, inflowWorkers, floor, keepWarm));
  const inflowNote = processed > 0 ? `, inflow ${fmt(processed)} audio-s/s needs ${inflowWorkers}` : '';
  if (enough >= asked) return decide(asked, `${asked} workers fit the backlog${inflowNote}`);

  const sinceS = state.overProvisionedSinceS ?? nowS;
  const peak = Math.max(state.overProvisionedSinceS === null ? 0 : state.overProvisionedPeak, enough);
  const overForS = nowS - sinceS;
  const sinceChangeS = state.lastChangeS === null ? Infinity : nowS - state.lastChangeS;
  const why = `${enough} would do (backlog in ${fmt(downS)} s${inflowNote}), most needed for ${fmt(overForS)} s: ${peak}`;
  if (overForS >= config.cooldownS && sinceChangeS >= config.cooldownS && peak < asked) {
    return decide(peak, `${why} (cooldown ${fmt(config.cooldownS)} s)`);
  }
  return decide(asked, `${why}; waiting out the cooldown (${fmt(config.cooldownS)} s)`, {
    overProvisionedSinceS: sinceS,
    overProvisionedPeak: peak,
  });
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n.toFixed(1);
}
