/**
 * Part 4, the service's own cost per job with the tiny model: API → Redis → worker → storage →
 * webhook, real processes (bench/lib/service-stack.ts). A job's overhead is (its job.completed
 * webhook received − its submission sent) − the engine's own time (the transcript's
 * `timings.totalMs`): upload, queueing, fetching the audio from the store, storing the result and
 * delivering the webhook. First N jobs one after another (each submitted once the previous one's
 * webhook arrived), then N submitted at once; p50/p99 of the overhead and jobs per second of each.
 */
import { readFile } from 'node:fs/promises';
import { callAudio } from '../fixtures/call-audio.js';
import { tinyModel } from '../lib/models.js';
import type { PartOptions, PartResult } from '../lib/report.js';
import { createServiceStack, type ServiceStack } from '../lib/service-stack.js';
import { median, percentile } from '../lib/stats.js';
import { waitFor } from '../../test/support/wait-for.js';

const TARGET_P50_MS = 20;

interface JobTiming {
  id: string;
  sentAt: number;
  webhookAt: number;
  engineMs: number;
  overheadMs: number;
  /** Where the time went, from the job resource's timestamps (ms; the same clock: one machine). */
  phases: { submitToCreatedMs: number; createdToStartedMs: number; startedToFinishedMs: number; finishedToWebhookMs: number };
}

/** Waits for the job.completed webhook of `id` and reads the engine time from its transcript. */
async function settle(stack: ServiceStack, id: string, sentAt: number): Promise<JobTiming> {
  const hook = await waitFor(
    `job.completed webhook of ${id}`,
    () => stack.receiver.deliveries.find((d) => d.payload.data.jobId === id && d.verified && (d.payload.type === 'job.completed' || d.payload.type === 'job.failed')),
    { timeoutMs: 120_000, intervalMs: 2, context: () => stack.group.tails(20) },
  );
  if (hook.payload.type !== 'job.completed') throw new Error(`job ${id} failed: ${JSON.stringify(hook.payload.data)}`);
  const result = await stack.api.call(`/v1/jobs/${id}/result?format=json`);
  if (result.status !== 200) throw new Error(`GET result of ${id}: ${result.status}`);
  const engineMs = (result.body as { timings: { totalMs: number } }).timings.totalMs;
  const job = (await stack.api.call(`/v1/jobs/${id}`)).body as { createdAt: string; startedAt: string; finishedAt: string };
  const [created, started, finished] = [job.createdAt, job.startedAt, job.finishedAt].map((s) => Date.parse(s)) as [number, number, number];
  return {
    id,
    sentAt,
    webhookAt: hook.receivedAt,
    engineMs,
    overheadMs: hook.receivedAt - sentAt - engineMs,
    phases: {
      submitToCreatedMs: created - sentAt,
      createdToStartedMs: started - created,
      startedToFinishedMs: finished - started,
      finishedToWebhookMs: hook.receivedAt - finished,
    },
  };
}

function summary(jobs: JobTiming[]): { p50Ms: number; p99Ms: number; jobsPerS: number; engineMsP50: number; phasesP50: Record<string, number> } {
  const first = Math.min(...jobs.map((j) => j.sentAt));
  const last = Math.max(...jobs.map((j) => j.webhookAt));
  const phaseNames = Object.keys(jobs[0]!.phases) as (keyof JobTiming['phases'])[];
  return {
    p50Ms: median(jobs.map((j) => j.overheadMs)),
    p99Ms: percentile(jobs.map((j) => j.overheadMs), 99),
    jobsPerS: jobs.length / ((last - first) / 1000),
    engineMsP50: median(jobs.map((j) => j.engineMs)),
    phasesP50: Object.fromEntries(phaseNames.map((n) => [n, median(jobs.map((j) => j.phases[n]))])),
  };
}

export async function service(options: PartOptions): Promise<PartResult> {
  const jobs = options.quick ? 10 : 50; // the jobs are the runs (--runs does not apply)
  const clip = await callAudio({ durationS: 5, seed: 7 });
  const bytes = await readFile(clip.path);
  const modelDir = await tinyModel(false);
  const stack = await createServiceStack('bench-service');
  try {
    options.log(`service: API + worker (tiny model, fs store), ${jobs} sequential then ${jobs} concurrent jobs of ${clip.durationS} s`);
    await Promise.all([stack.startApi(), stack.startWorker({ EARSHOT_MODEL_DIR: modelDir })]);
    // Warm-up: the first job pays connection set-up and first-run allocations.
    for (let i = 0; i < 2; i++) {
      const { id, sentAt } = await stack.submit(bytes, 'warm.wav');
      await settle(stack, id, sentAt);
    }
    const sequential: JobTiming[] = [];
    for (let i = 0; i < jobs; i++) {
      const { id, sentAt } = await stack.submit(bytes, `seq-${i}.wav`);
      sequential.push(await settle(stack, id, sentAt));
    }
    const submitted = await Promise.all(Array.from({ length: jobs }, (_, i) => stack.submit(bytes, `par-${i}.wav`)));
    const concurrent = await Promise.all(submitted.map(({ id, sentAt }) => settle(stack, id, sentAt)));
    const seq = summary(sequential);
    const par = summary(concurrent);
    return {
      part: 'service',
      title: 'service: overhead per job (API → Redis → worker → storage → webhook), tiny model',
      conditions: {
        model: 'tiny (generated)',
        job: `${clip.durationS} s WAV (${bytes.length} bytes), multipart upload, webhook to a local receiver`,
        jobs,
        storage: 'fs',
        redis: 'local, own key prefix and queue',
        worker: 'defaults (concurrency, threads) of this build',
        engineMsP50: { sequential: seq.engineMsP50, concurrent: par.engineMsP50 },
        // p50 of each phase, one job at a time (engine time is inside startedToFinished).
        phasesP50: seq.phasesP50,
      },
      figures: [
        { name: 'one at a time: overhead p50', value: seq.p50Ms, unit: 'ms', target: { op: '<', value: TARGET_P50_MS }, how: `${jobs} jobs` },
        { name: 'one at a time: overhead p99', value: seq.p99Ms, unit: 'ms', how: `${jobs} jobs` },
        { name: 'one at a time: jobs per second', value: seq.jobsPerS, unit: '/s' },
        { name: `${jobs} at once: overhead p50 (queueing included)`, value: par.p50Ms, unit: 'ms' },
        { name: `${jobs} at once: overhead p99 (queueing included)`, value: par.p99Ms, unit: 'ms' },
        { name: `${jobs} at once: jobs per second`, value: par.jobsPerS, unit: '/s' },
      ],
      notes: [
        'overhead = webhook received − submission sent − transcript timings.totalMs; with jobs at once it includes the wait in the queue',
        ...(options.quick ? [`quick: ${jobs} jobs each way`] : []),
      ],
      runs: { sequential, concurrent },
    };
  } finally {
    await stack.close();
  }
}
