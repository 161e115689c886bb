/**
 * Today's KEDA trigger as a function, for comparison: `infra/keda-scaledobject.yaml` and
 * `infra/worker-gpu.yaml` count waiting + prioritized + active jobs and ask for one pod per
 * `threshold` jobs (AverageValue), so desired = ceil(jobs / jobsPerWorker). A two-hour call and
 * a five-second clip weigh the same. KEDA's activation (0 ↔ 1 after `cooldownPeriod`) and the
 * HPA's stabilisation windows act on top of this number; the simulation models them apart.
 */
export interface JobCounts {
  waitingJobs: number;
  /** Jobs with a priority (BullMQ keeps them apart from `wait`). @defaultValue 0 */
  prioritizedJobs?: number;
  activeJobs: number;
}

export interface JobCountPolicyConfig {
  /** The trigger's `threshold`: EARSHOT_WORKER_CONCURRENCY of the scaled workers (4 CPU, 8 GPU in infra/). */
  jobsPerWorker: number;
  minWorkers: number;
  maxWorkers: number;
}

export function jobCountPolicy(counts: JobCounts, config: JobCountPolicyConfig): number {
  const jobs = counts.waitingJobs + (counts.prioritizedJobs ?? 0) + counts.activeJobs;
  const desired = Math.ceil(jobs / config.jobsPerWorker);
  return Math.min(config.maxWorkers, Math.max(config.minWorkers, desired));
}
