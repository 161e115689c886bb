/**
 * Part 6, memory on long files: peak resident set (VmHWM) of the CLI (`node apps/cli/dist/main.js
 * transcribe FILE -f json`, under `/usr/bin/time -v`) and of a worker process (a fresh one per file,
 * its /proc status read once the job's webhook arrived) for a 1-hour and a 2-hour call-like file,
 * tiny tagged model, each with the defaults of this build (the worker's fan-out included).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from '../../test/setup/paths.js';
import { buildApps } from '../../test/support/run-isolation.js';
import { waitFor } from '../../test/support/wait-for.js';
import { callAudio, type CallAudio } from '../fixtures/call-audio.js';
import { tinyModel } from '../lib/models.js';
import { peakRssMb } from '../lib/proc-status.js';
import type { Figure, PartOptions, PartResult } from '../lib/report.js';
import { createServiceStack, type ServiceStack } from '../lib/service-stack.js';

const TARGET_LONG_MB = 800;
const TARGET_GROWTH = 1.1;
const GNU_TIME = '/usr/bin/time';

interface Peak {
  peakMb: number;
  wallS: number;
}

/** Peak RSS of one CLI run: GNU time's figure, or VmHWM polled every 20 ms without it. */
async function cliPeak(file: string, modelDir: string): Promise<Peak> {
  const args = [join(REPO_ROOT, 'apps/cli/dist/main.js'), 'transcribe', file, '-m', modelDir, '-f', 'json'];
  const t = performance.now();
  if (existsSync(GNU_TIME)) {
    const { stderr } = await promisify(execFile)(GNU_TIME, ['-v', process.execPath, ...args], { maxBuffer: 1 << 30 });
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1];
    if (!kb) throw new Error(`no peak RSS in GNU time's output:\n${stderr.slice(-2000)}`);
    return { peakMb: Number(kb) / 1024, wallS: (performance.now() - t) / 1000 };
  }
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let peakMb = 0;
  const timer = setInterval(() => (peakMb = Math.max(peakMb, peakRssMb(child.pid!) ?? 0)), 20);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(timer);
  if (code !== 0) throw new Error(`the CLI exited with ${code}`);
  return { peakMb, wallS: (performance.now() - t) / 1000 };
}

/** Peak RSS of a fresh worker that transcribed `file` (submitted through the API). */
async function workerPeak(stack: ServiceStack, file: CallAudio, modelDir: string): Promise<Peak> {
  const worker = await stack.startWorker({ EARSHOT_MODEL_DIR: modelDir }, `memory-${file.durationS}s`);
  try {
    const bytes = await readFile(file.path);
    const t = performance.now();
    const { id } = await stack.submit(bytes, `call-${file.durationS}s.wav`);
    const hook = await waitFor(
      `the webhook of job ${id}`,
      () => stack.receiver.deliveries.find((d) => d.payload.data.jobId === id && (d.payload.type === 'job.completed' || d.payload.type === 'job.failed')),
      { timeoutMs: 3_600_000, intervalMs: 100, context: () => stack.group.tails(20) },
    );
    if (hook.payload.type !== 'job.completed') throw new Error(`job ${id} failed: ${JSON.stringify(hook.payload.data)}`);
    const wallS = (performance.now() - t) / 1000;
    const peakMb = peakRssMb(worker.process.pid!);
    if (peakMb === null) throw new Error('cannot read the worker’s /proc status');
    return { peakMb, wallS };
  } finally {
    await stack.group.stop(worker);
  }
}

export async function memory(options: PartOptions): Promise<PartResult> {
  const [shortS, longS] = options.quick ? [300, 600] : [3600, 7200];
  const modelDir = await tinyModel(true);
  const files = [await callAudio({ durationS: shortS, seed: 1 }), await callAudio({ durationS: longS, seed: 1 })] as const;
  await buildApps(['packages/core', 'apps/cli']);
  const stack = await createServiceStack('bench-memory');
  const peaks: Record<'cli' | 'worker', Peak[]> = { cli: [], worker: [] };
  try {
    await stack.startApi();
    for (const file of files) {
      options.log(`memory: ${file.durationS} s call, CLI then worker`);
      peaks.cli.push(await cliPeak(file.path, modelDir));
      peaks.worker.push(await workerPeak(stack, file, modelDir));
    }
  } finally {
    await stack.close();
  }
  const figures: Figure[] = [];
  const name = (s: number): string => (s >= 3600 ? `${s / 3600} h` : `${s / 60} min`);
  for (const who of ['worker', 'cli'] as const) {
    const [short, long] = peaks[who] as [Peak, Peak];
    figures.push(
      { name: `${who}: peak RSS, ${name(shortS)} call`, value: short.peakMb, unit: 'MB' },
      { name: `${who}: peak RSS, ${name(longS)} call`, value: long.peakMb, unit: 'MB', ...(options.quick ? {} : { target: { op: '<', value: TARGET_LONG_MB } }) },
      {
        name: `${who}: peak RSS ${name(longS)} / ${name(shortS)}`,
        value: long.peakMb / short.peakMb,
        unit: '×',
        target: { op: '<=', value: TARGET_GROWTH },
      },
    );
  }
  return {
    part: 'memory',
    title: 'memory: worker and CLI peak RSS on long call-like files, tiny tagged model',
    conditions: {
      model: 'tiny-tagged (generated)',
      files: files.map((f) => ({ durationS: f.durationS, speechS: Number(f.speechS.toFixed(0)), bytes: f.durationS * 32000 + 44 })),
      cli: `node apps/cli/dist/main.js transcribe FILE -m <tiny-tagged> -f json${existsSync(GNU_TIME) ? ' under /usr/bin/time -v' : ' (VmHWM polled)'}`,
      worker: 'a fresh worker per file, defaults of this build (fan-out, concurrency, threads); VmHWM after the job',
      wallS: { cli: peaks.cli.map((p) => p.wallS), worker: peaks.worker.map((p) => p.wallS) },
    },
    figures,
    notes: options.quick ? [`quick: ${name(shortS)} and ${name(longS)} calls instead of 1 h and 2 h (the 800 MB target is for 2 h)`] : [],
    runs: peaks,
  };
}
