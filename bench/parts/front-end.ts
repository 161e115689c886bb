/**
 * Part 3, the front end alone: decode (`engine.decode`), VAD (`engine.speechSpans`) and the
 * model's features on every span, without the model, on a 10-minute call. The figure is audio
 * seconds per CPU second of the whole process (process.cpuUsage: every thread, so a pool counts
 * in full), i.e. real-time factor per core; wall-clock throughput is reported beside it. Run with
 * 1 and 2 threads (EARSHOT_THREADS, and EARSHOT_FRONTEND_THREADS when this build has that
 * setting), the two alternating run by run, each in a fresh process with the tiny model loaded.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../test/setup/paths.js';
import { callAudio } from '../fixtures/call-audio.js';
import { tinyModel } from '../lib/models.js';
import type { Figure, PartOptions, PartResult } from '../lib/report.js';
import { startRunner } from '../lib/runner-process.js';
import { alternate, median } from '../lib/stats.js';

const TARGET_X_PER_CORE = 300;
const FRONTEND_THREADS_ENV = 'EARSHOT_FRONTEND_THREADS';

interface FrontEndRun {
  wallMs: number;
  cpuMs: number;
  audioS: number;
  frames: number;
  segments: { count: number; meanS: number };
}

/** Whether this build reads a front-end pool size (the setting is detected, not required). */
function frontendThreadsSupported(): boolean {
  const dir = join(REPO_ROOT, 'packages/core/src/config');
  return readdirSync(dir).some((f) => f.endsWith('.ts') && readFileSync(join(dir, f), 'utf8').includes(`'${FRONTEND_THREADS_ENV}'`));
}

export async function frontEnd(options: PartOptions): Promise<PartResult> {
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const file = await callAudio({ durationS: options.quick ? 120 : 600, seed: 1 });
  const modelDir = await tinyModel(false);
  const pool = frontendThreadsSupported();
  const once = async (threads: number): Promise<FrontEndRun> => {
    const runner = startRunner('ours', { EARSHOT_THREADS: String(threads), ...(pool ? { [FRONTEND_THREADS_ENV]: String(threads) } : {}) });
    try {
      await runner.call('load', { modelDir, modelFile: 'model.onnx', threads });
      await runner.call('frontEnd', { file: (await callAudio({ durationS: 20, seed: 99 })).path }); // warm-up
      return await runner.call<FrontEndRun>('frontEnd', { file: file.path });
    } finally {
      await runner.close();
    }
  };
  options.log(`front end: ${file.durationS} s call, 1 and 2 threads, ${runs} run(s) each${pool ? `, ${FRONTEND_THREADS_ENV} set too` : ''}`);
  const pairs = await alternate(runs, () => once(1), () => once(2));
  const figures: Figure[] = [];
  for (const [label, pick] of [
    ['1 thread', (p: { a: FrontEndRun; b: FrontEndRun }) => p.a],
    ['2 threads', (p: { a: FrontEndRun; b: FrontEndRun }) => p.b],
  ] as const) {
    const rows = pairs.map(pick);
    figures.push(
      {
        name: `${label}: audio s per CPU s`,
        value: median(rows.map((r) => r.audioS / (r.cpuMs / 1000))),
        unit: '×',
        target: { op: '>=', value: TARGET_X_PER_CORE },
        how: `median of ${runs} runs`,
      },
      { name: `${label}: audio s per wall s`, value: median(rows.map((r) => r.audioS / (r.wallMs / 1000))), unit: '×', how: `median of ${runs} runs` },
    );
  }
  return {
    part: 'frontend',
    title: 'front end alone (decode + VAD + features), audio seconds per CPU second',
    conditions: {
      file: { durationS: file.durationS, format: 'WAV 16 kHz mono 16-bit' },
      model: 'tiny (for the feature settings; never run)',
      threads: [1, 2],
      frontendPoolSetting: pool ? FRONTEND_THREADS_ENV : 'not in this build',
      runs,
    },
    figures,
    notes: options.quick ? ['quick: a 120 s call, one run'] : [],
    runs: pairs.map(({ a, b }) => ({ oneThread: a, twoThreads: b })),
  };
}
