/**
 * Part 5, cold start: a worker process (`node apps/worker/dist/main.js`, full model, 2 threads)
 * from spawn to ready, fp32 and int8 alternating run by run. Two figures per start: the wall
 * time this harness sees from spawn to the worker's "worker ready" line (when `/readyz` turns
 * 200), and the worker's own `startupS` (process start to ready, the value of
 * `earshot_worker_startup_seconds`). Every start is a new process; whatever the worker caches on
 * disk between starts (an optimised model, say) stays, as it would on a host.
 */
import type { Child } from '../../test/support/child-processes.js';
import { waitFor } from '../../test/support/wait-for.js';
import { FP32_FILE, fullModel, INT8_FILE } from '../lib/models.js';
import type { Figure, PartOptions, PartResult } from '../lib/report.js';
import { createServiceStack, type ServiceStack } from '../lib/service-stack.js';
import { alternate, median } from '../lib/stats.js';

const THREADS = 2;
const TARGET_S: Record<string, number> = { [INT8_FILE]: 3, [FP32_FILE]: 6 };
const STARTUP_MESSAGE = 'model loaded: process start to ready';

interface Start {
  wallS: number;
  /** The worker's own figure; null when this build does not log it. */
  startupS: number | null;
}

async function startOnce(stack: ServiceStack, modelDir: string, modelFile: string): Promise<Start> {
  const t = performance.now();
  const child: Child = await stack.startWorker({ EARSHOT_MODEL_DIR: modelDir, EARSHOT_MODEL_FILE: modelFile, EARSHOT_THREADS: String(THREADS) }, `coldstart-${modelFile}`);
  const wallS = (performance.now() - t) / 1000;
  const line = await waitFor('the startup line', () => child.output.find((l) => l.includes(`"msg":"${STARTUP_MESSAGE}"`)), { timeoutMs: 2000, intervalMs: 10 }).catch(() => null);
  await stack.group.stop(child);
  const startupS = line ? ((JSON.parse(line) as { startupS?: number }).startupS ?? null) : null;
  return { wallS, startupS };
}

export async function coldStart(options: PartOptions): Promise<PartResult> {
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const modelDir = await fullModel(FP32_FILE);
  await fullModel(INT8_FILE);
  const stack = await createServiceStack('bench-coldstart');
  try {
    options.log(`cold start: worker with full int8 and fp32, ${runs} start(s) each`);
    const pairs = await alternate(
      runs,
      () => startOnce(stack, modelDir, INT8_FILE),
      () => startOnce(stack, modelDir, FP32_FILE),
    );
    const figures: Figure[] = [];
    for (const [modelFile, label, rows] of [
      [INT8_FILE, 'int8', pairs.map((p) => p.a)],
      [FP32_FILE, 'fp32', pairs.map((p) => p.b)],
    ] as const) {
      const startup = rows.map((r) => r.startupS).filter((s): s is number => s !== null);
      figures.push(
        { name: `${label}: spawn to ready (wall)`, value: median(rows.map((r) => r.wallS)), unit: 's', target: { op: '<=', value: TARGET_S[modelFile]! }, how: `median of ${runs}` },
        { name: `${label}: worker's startupS`, value: startup.length ? median(startup) : null, unit: 's', how: `median of ${startup.length}` },
      );
    }
    return {
      part: 'coldstart',
      title: 'cold start: worker process start to ready, full model',
      conditions: { model: 'full (generated, seed 1)', threads: THREADS, runs, order: 'int8 then fp32 in even runs, fp32 then int8 in odd' },
      figures,
      notes: options.quick ? ['quick: one start each'] : [],
      runs: pairs.map(({ a, b }) => ({ int8: a, fp32: b })),
    };
  } finally {
    await stack.close();
  }
}
