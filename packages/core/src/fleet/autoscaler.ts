/**
 * The fleet as the scaling policy sees it, and the policy with its memory: what the metrics
 * exporter (the API's /metrics, `earshot_desired_workers`) and the host supervisor both use, so
 * they decide alike. `readFleet` gathers the inputs (backlog in audio seconds from the queue,
 * worker reports from the registry); `createAutoscaler` keeps the policy's state between calls.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { AutoscaleConfig } from '../config/autoscale-config.js';
import { decideWorkers, INITIAL_SCALING_STATE, type ScalingDecision, type ScalingState } from '../scaling/decide-workers.js';
import { readBacklog, type Backlog, type BacklogOptions } from './backlog.js';
import { readWorkerReports, type WorkerReport } from './worker-registry.js';

export interface FleetSnapshot {
  atMs: number;
  backlog: Backlog;
  /** Fresh reports of this queue's workers. */
  workers: WorkerReport[];
  /** Mean measured throughput of the workers that have one; null when none has. */
  measuredThroughput: number | null;
  /** Audio seconds the fleet finished per wall second recently (sum of the workers' processed rates). */
  processedAudioSPerS: number;
}

export interface FleetSource {
  queue: Queue;
  redis: Redis;
  /** Earshot's Redis key prefix (the worker registry lives under it). */
  keyPrefix: string;
  backlog?: BacklogOptions;
}

export async function readFleet(source: FleetSource, nowMs: number): Promise<FleetSnapshot> {
  const [backlog, workers] = await Promise.all([
    readBacklog(source.queue, nowMs, source.backlog),
    readWorkerReports(source.redis, source.keyPrefix, nowMs, source.queue.name),
  ]);
  const measured = workers.map((w) => w.throughput).filter((t): t is number => t !== null && t > 0);
  const measuredThroughput = measured.length > 0 ? measured.reduce((a, b) => a + b, 0) / measured.length : null;
  const processedAudioSPerS = workers.reduce((sum, w) => sum + w.processedAudioSPerS, 0);
  return { atMs: nowMs, backlog, workers, measuredThroughput, processedAudioSPerS };
}

export interface FleetCount {
  /** Workers asked for now, ready or starting (not those shutting down). */
  current: number;
  starting: number;
}

/** The worker count the registry shows: reporting workers that are not draining. */
export function registeredFleet(snapshot: FleetSnapshot): FleetCount {
  const live = snapshot.workers.filter((w) => w.state !== 'draining');
  return { current: live.length, starting: live.filter((w) => w.state === 'starting').length };
}

export interface Autoscaler {
  /** The policy's answer for this snapshot; `fleet` defaults to what the registry shows. */
  decide(snapshot: FleetSnapshot, fleet?: FleetCount): ScalingDecision;
}

export function createAutoscaler(config: AutoscaleConfig): Autoscaler {
  let state: ScalingState = INITIAL_SCALING_STATE;
  return {
    decide(snapshot, fleet = registeredFleet(snapshot)) {
      const { backlog } = snapshot;
      const decision = decideWorkers(
        {
          nowS: snapshot.atMs / 1000,
          backlogAudioS: backlog.audioS,
          jobs: { waitingAudioS: backlog.waitingAudioS, runningAudioS: backlog.runningAudioS },
          waitingJobs: backlog.waitingJobs,
          activeJobs: backlog.activeJobs,
          currentWorkers: fleet.current,
          startingWorkers: fleet.starting,
          measuredThroughput: snapshot.measuredThroughput,
          // Keeps a scale-down from cutting below the inflow, which a drained backlog cannot show.
          processedAudioSPerS: snapshot.processedAudioSPerS,
        },
        config,
        state,
      );
      state = decision.state;
      return decision;
    },
  };
}
