/**
 * The work waiting in a transcription queue, in audio seconds: what the scaling signal measures
 * instead of a job count. Read from the BullMQ jobs themselves (their payload carries the audio
 * duration once known, `TranscriptionJobData.audio`), so any process with Redis can compute it.
 * A job whose duration is not known yet (a URL source before a worker decoded it) counts as
 * `unknownAudioS`. Cost: one pass over the waiting and active jobs per call (BullMQ pages of
 * `pageSize`), fine for the thousands of jobs one queue holds; the exporter calls it once per scrape.
 */
import type { Job, Queue } from 'bullmq';
import { TranscriptionJobDataSchema } from '../queue/transcription-queue.js';

export interface Backlog {
  /** Audio seconds not yet transcribed: waiting + prioritized jobs, plus the undone part of active ones. */
  audioS: number;
  /** Per job, waiting and running apart (the scaling policy's `jobs` input). */
  waitingAudioS: number[];
  runningAudioS: number[];
  waitingJobs: number;
  activeJobs: number;
  /** Jobs counted at `unknownAudioS` because their duration is not known yet. */
  unknownJobs: number;
  /** Age of the oldest waiting job in seconds; null when none waits. */
  oldestWaitingS: number | null;
}

export interface BacklogOptions {
  /** Audio seconds assumed for a job whose duration is unknown. @defaultValue 60 */
  unknownAudioS?: number;
  /** @defaultValue 1000 */
  pageSize?: number;
}

export async function readBacklog(queue: Queue, nowMs: number, options: BacklogOptions = {}): Promise<Backlog> {
  const unknownAudioS = options.unknownAudioS ?? 60;
  const pageSize = options.pageSize ?? 1000;
  const backlog: Backlog = { audioS: 0, waitingAudioS: [], runningAudioS: [], waitingJobs: 0, activeJobs: 0, unknownJobs: 0, oldestWaitingS: null };

  const durationOf = (job: Job): number => {
    const parsed = TranscriptionJobDataSchema.safeParse(job.data);
    const known = parsed.success ? parsed.data.audio?.durationS : undefined;
    if (known === undefined) backlog.unknownJobs++;
    return known ?? unknownAudioS;
  };

  for await (const job of pages(queue, ['wait', 'prioritized'], pageSize)) {
    const seconds = durationOf(job);
    backlog.waitingAudioS.push(seconds);
    backlog.waitingJobs++;
    const ageS = Math.max(0, (nowMs - job.timestamp) / 1000);
    if (backlog.oldestWaitingS === null || ageS > backlog.oldestWaitingS) backlog.oldestWaitingS = ageS;
  }
  for await (const job of pages(queue, ['active'], pageSize)) {
    const progress = typeof job.progress === 'number' ? Math.min(Math.max(job.progress, 0), 100) : 0;
    backlog.runningAudioS.push(durationOf(job) * (1 - progress / 100));
    backlog.activeJobs++;
  }
  backlog.audioS = [...backlog.waitingAudioS, ...backlog.runningAudioS].reduce((a, b) => a + b, 0);
  return backlog;
}

async function* pages(queue: Queue, states: ('wait' | 'prioritized' | 'active')[], pageSize: number): AsyncGenerator<Job> {
  for (let start = 0; ; start += pageSize) {
    const jobs = await queue.getJobs(states, start, start + pageSize - 1, true);
    for (const job of jobs) if (job) yield job;
    if (jobs.length < pageSize) return;
  }
}
