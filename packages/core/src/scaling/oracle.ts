/**
 * The lower bound the simulation measures policies against: a worker appears the instant a job
 * (or fan-out chunk) can run and goes the instant it has nothing to do, with no cold start. Such a
 * fleet is never idle, so its worker-seconds are the audio seconds divided by the throughput,
 * the least any fleet can pay, and no job waits. It is not a policy one can deploy: it needs
 * workers that start in zero time, and it changes the fleet at every job.
 */
export function oracleWorkers(counts: { waitingJobs: number; activeJobs: number }, maxWorkers = Infinity): number {
  return Math.min(maxWorkers, counts.waitingJobs + counts.activeJobs);
}
