/**
 * `npm run bench`: Earshot's benchmark harness (not a test). Six parts, each a module under
 * bench/parts/, each printing its target and whether the figure meets it:
 *
 *   model      our engine vs sherpa-onnx-node, full model fp32 + int8, 20 files of 5–60 s, no VAD
 *   pipeline   engine with VAD vs sherpa-onnx's Silero VAD + SenseVoice pipeline, 10-minute calls
 *   frontend   decode + VAD + features alone, audio seconds per CPU second, 1 and 2 threads
 *   service    queue overhead per job (API → Redis → worker → storage → webhook), tiny model
 *   coldstart  worker process start to ready, full model fp32 and int8
 *   memory     worker and CLI peak RSS on a 1-hour and a 2-hour call, tiny model
 *
 *   npm run bench [-- --parts model,pipeline,…] [--runs N] [--models fp32,int8] [--quick] [--out FILE]
 *
 * --models picks the variants of the full model the model and pipeline parts compare (both by
 * default; int8 alone with --quick).
 *
 * Every figure is a median of several runs; every comparison alternates its two sides pair by
 * pair in the same run. Results go to FILE (default bench/results/<timestamp>.json, git-ignored)
 * and a Markdown table is printed. Audio is generated (bench/fixtures/call-audio.ts) and cached
 * under .cache/bench/; models are the generated ones under .cache/models/.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from '../test/setup/paths.js';
import { coldStart } from './parts/cold-start.js';
import { frontEnd } from './parts/front-end.js';
import { memory } from './parts/memory.js';
import { modelStage } from './parts/model-stage.js';
import { pipeline } from './parts/pipeline.js';
import { service } from './parts/service.js';
import {
  formatConditions,
  formatTable,
  FULL_MODEL_VARIANTS,
  PART_NAMES,
  type FullModelVariant,
  type PartName,
  type PartOptions,
  type PartResult,
} from './lib/report.js';

const PARTS: Record<PartName, (options: PartOptions) => Promise<PartResult>> = {
  model: modelStage,
  pipeline,
  frontend: frontEnd,
  service,
  coldstart: coldStart,
  memory,
};

function usage(message: string): never {
  process.stderr.write(`${message}\nusage: npm run bench -- [--parts ${PART_NAMES.join(',')}] [--runs N] [--models fp32,int8] [--quick] [--out FILE]\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    parts: { type: 'string', default: PART_NAMES.join(',') },
    runs: { type: 'string' },
    quick: { type: 'boolean', default: false },
    models: { type: 'string' },
    out: { type: 'string' },
  },
});
const parts = values.parts.split(',').map((p) => p.trim());
for (const p of parts) if (!(PART_NAMES as readonly string[]).includes(p)) usage(`unknown part '${p}'`);
const runs = values.runs === undefined ? null : Number(values.runs);
if (runs !== null && !(Number.isInteger(runs) && runs >= 1)) usage(`--runs must be a positive integer (got ${values.runs})`);
const models = values.models === undefined ? null : values.models.split(',').map((m) => m.trim());
for (const m of models ?? []) if (!(FULL_MODEL_VARIANTS as readonly string[]).includes(m)) usage(`unknown model variant '${m}'`);

const started = new Date();
const out = values.out ?? join(REPO_ROOT, 'bench/results', `${started.toISOString().replace(/[:.]/g, '-')}.json`);
const log = (message: string): void => void process.stderr.write(`[bench ${((Date.now() - started.getTime()) / 1000).toFixed(0)} s] ${message}\n`);
const options: PartOptions = { quick: values.quick, runs, models: models as FullModelVariant[] | null, log };

function gitCommit(): string | null {
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: REPO_ROOT }).toString().trim();
  } catch {
    return null;
  }
}

// Exit (running 'exit' handlers: the service parts' processes are killed) on an interrupt.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

const results: PartResult[] = [];
const failures: { part: string; error: string }[] = [];
const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? null, memoryGb: totalmem() / 1024 ** 3, node: process.version };
const commit = gitCommit();
/** Written after every part, so an interrupted run keeps the parts it finished. */
function writeReport(): { durationS: number } {
  const report = {
    startedAt: started.toISOString(),
    durationS: (Date.now() - started.getTime()) / 1000,
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    quick: values.quick,
    machine,
    commit,
    results,
    failures,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  return report;
}

for (const part of parts as PartName[]) {
  const t = Date.now();
  log(`part ${part}…`);
  try {
    results.push(await PARTS[part](options));
    log(`part ${part} done in ${((Date.now() - t) / 1000).toFixed(0)} s`);
  } catch (err) {
    // One failing part does not lose the others' figures; it is reported and the exit code says so.
    const error = err instanceof Error ? (err.stack ?? err.message) : String(err);
    failures.push({ part, error });
    log(`part ${part} FAILED: ${error}`);
  }
  writeReport();
}
const report = writeReport();

process.stdout.write(`\n${formatTable(results)}\n\n${formatConditions(results)}\n`);
for (const f of failures) process.stdout.write(`\npart ${f.part} failed: ${f.error.split('\n')[0]}\n`);
process.stdout.write(`\n${results.length} part(s) in ${report.durationS.toFixed(0)} s; results: ${out}\n`);
process.exitCode = failures.length ? 1 : 0;
