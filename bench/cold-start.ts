/**
 * Cold start: worker process start to ready, and where a model load's time goes.
 *
 *   npx tsx bench/cold-start.ts [--size full] [--files model.int8.onnx,model.onnx] [--runs 3]
 *                               [--threads 2] [--drop-caches] [--phases] [--json out.json]
 *
 * Worker mode (always): for each model file, starts real worker processes (`apps/worker/dist/main.js`,
 * Redis on REDIS_URL, a private queue, key prefix, data dir and model cache) one after the other,
 * alternating two variants pair by pair, and reads the worker's own `startupS` (process start to
 * ready, the value of `earshot_worker_startup_seconds`) and the process's CPU seconds at that moment:
 *   - `edited`: EARSHOT_OPTIMIZED_MODEL_CACHE=false, the edited model loaded by path (the state before
 *     the optimised copy);
 *   - `optimized`: the default, the cached optimised copy loaded with the optimisers off.
 * Each variant's cache is made by one start first (not counted). `--drop-caches` empties the page
 * cache before every start (`/proc/sys/vm/drop_caches`, root only): a freshly booted host.
 *
 * `--phases`: fresh processes that time each step of a load in the session itself (metadata, session
 * by origin, first 10 s run) for the same two variants plus the untouched model.
 *
 * Needs `npm run build` (the worker runs from dist) and Redis.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CACHE_DIR, REPO_ROOT } from '../test/setup/paths.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    files: { type: 'string', default: 'model.int8.onnx,model.onnx' },
    runs: { type: 'string', default: '3' },
    threads: { type: 'string', default: '2' },
    'drop-caches': { type: 'boolean', default: false },
    phases: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});
const modelDir = join(CACHE_DIR, 'models', values.size!);
const runs = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), 'earshot-cold-start-'));
const cacheDir = join(work, 'model-cache');
const VARIANTS = { edited: { EARSHOT_OPTIMIZED_MODEL_CACHE: 'false' }, optimized: { EARSHOT_OPTIMIZED_MODEL_CACHE: 'true' } } as const;
type Variant = keyof typeof VARIANTS;

interface Start {
  file: string;
  variant: string;
  startupS: number;
  cpuS: number;
  rssMb: number;
}

function dropCaches(): void {
  if (!values['drop-caches']) return;
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
  } catch (err) {
    throw new Error(`--drop-caches needs root (${(err as Error).message})`);
  }
}

/** CPU seconds (user + system, all threads) and resident MB of a live process, from /proc. */
function processUsage(pid: number): { cpuS: number; rssMb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const rssPages = Number(fields[21]);
  return { cpuS: ticks / 100, rssMb: Math.round((rssPages * 4096) / 1e6) };
}

/** Starts one worker process, waits for its "process start to ready" line, stops it. */
async function startWorker(file: string, variant: Variant): Promise<Start> {
  dropCaches();
  const id = `cold-${process.pid}-${Date.now()}`;
  const child = spawn(process.execPath, [join(REPO_ROOT, 'apps/worker/dist/main.js')], {
    env: {
      PATH: process.env.PATH,
      REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      EARSHOT_KEY_PREFIX: `${id}:`,
      EARSHOT_QUEUE_PREFIX: id,
      EARSHOT_DATA_DIR: join(work, 'data'),
      EARSHOT_WEBHOOK_SECRETS: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
      EARSHOT_WORKER_METRICS_PORT: '0',
      EARSHOT_WORKER_METRICS_HOST: '127.0.0.1',
      EARSHOT_MODEL_DIR: modelDir,
      EARSHOT_MODEL_FILE: file,
      EARSHOT_THREADS: values.threads,
      EARSHOT_MODEL_CACHE_DIR: cacheDir,
      EARSHOT_LOG_LEVEL: 'info',
      ...VARIANTS[variant],
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = await new Promise<Start>((resolve, reject) => {
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const startupS = /"startupS":([\d.]+)/.exec(line)?.[1];
        if (startupS) resolve({ file, variant, startupS: Number(startupS), ...processUsage(child.pid!) });
      }
    });
    child.on('exit', (code) => reject(new Error(`worker exited with ${code} before ready:\n${stderr.slice(-2000)}`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return result;
}

/** One fresh process that times the steps of a load (see cold-start-phases.ts). */
async function phases(file: string, variant: Variant | 'untouched'): Promise<Record<string, number | string>> {
  dropCaches();
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bench/cold-start-phases.mjs')], {
    env: {
      ...process.env,
      MODEL: join(modelDir, file),
      THREADS: values.threads,
      CACHE_DIR: cacheDir,
      VARIANT: variant,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await new Promise((r) => child.once('exit', r));
  return { file, variant, ...(JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as Record<string, number>) };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

const starts: Start[] = [];
const phaseRows: Record<string, number | string>[] = [];
try {
  for (const file of values.files!.split(',')) {
    // One start per variant first, to make its cache entries (not counted).
    for (const v of ['edited', 'optimized'] as const) {
      const first = await startWorker(file, v);
      console.log(`${file} ${v}: first start (cache written) ${first.startupS.toFixed(2)} s, ${first.cpuS.toFixed(2)} CPU s`);
    }
    for (let i = 0; i < runs; i++) {
      const order: Variant[] = i % 2 ? ['optimized', 'edited'] : ['edited', 'optimized'];
      for (const v of order) {
        const s = await startWorker(file, v);
        starts.push(s);
        console.log(`${file} ${v}: ${s.startupS.toFixed(2)} s to ready, ${s.cpuS.toFixed(2)} CPU s, ${s.rssMb} MB`);
      }
    }
    if (values.phases) {
      for (let i = 0; i < runs; i++) {
        for (const v of ['untouched', 'edited', 'optimized'] as const) {
          const row = await phases(file, v);
          phaseRows.push(row);
          console.log(JSON.stringify(row));
        }
      }
    }
  }
  console.log(`\nworker start to ready, median of ${runs} (threads ${values.threads}${values['drop-caches'] ? ', page cache dropped before each start' : ', page cache warm'})`);
  console.log('| file | variant | startup s | CPU s | RSS MB |\n|---|---|---|---|---|');
  for (const file of values.files!.split(',')) {
    for (const v of ['edited', 'optimized']) {
      const xs = starts.filter((s) => s.file === file && s.variant === v);
      console.log(`| ${file} | ${v} | ${median(xs.map((s) => s.startupS)).toFixed(2)} (${xs.map((s) => s.startupS.toFixed(2)).join(', ')}) | ${median(xs.map((s) => s.cpuS)).toFixed(2)} | ${median(xs.map((s) => s.rssMb))} |`);
    }
  }
  if (values.json) writeFileSync(values.json, JSON.stringify({ starts, phases: phaseRows }, null, 2));
} finally {
  rmSync(work, { recursive: true, force: true });
}
