/**
 * One BullMQ Worker serves the whole transcription queue; the job name says which processor runs
 * (transcription-queue.ts lists the names): `transcribe` (process-job.ts), `chunk`
 * (fanout/process-chunk.ts), `merge` (fanout/merge-chunks.ts). A name this worker does not know
 * fails the job at once: a newer deployment's job is not guessed at.
 */
import { UnrecoverableError, type Job } from 'bullmq';
import { TRANSCRIPTION_JOB_NAMES, type TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import type { Processor } from './hand-back.js';
import type { JobRunResult } from './job-run.js';

export type JobProcessors = Record<keyof typeof TRANSCRIPTION_JOB_NAMES, Processor<never, JobRunResult>>;

export function dispatchByName(processors: JobProcessors): Processor<TranscriptionJobData, JobRunResult> {
  return async (job, token, signal) => {
    const processor = processorFor(processors, job.name);
    if (!processor) throw new UnrecoverableError(`unknown transcription job name "${job.name}"`);
    return processor(job as Job<never>, token, signal);
  };
}

function processorFor(processors: JobProcessors, name: string): JobProcessors[keyof JobProcessors] | undefined {
  switch (name) {
    case TRANSCRIPTION_JOB_NAMES.transcribe:
      return processors.transcribe;
    case TRANSCRIPTION_JOB_NAMES.chunk:
      return processors.chunk;
    case TRANSCRIPTION_JOB_NAMES.merge:
      return processors.merge;
    default:
      return undefined;
  }
}
