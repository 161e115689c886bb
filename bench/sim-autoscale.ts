/**
 * Autoscaling simulation: GPU-hours and waits of four fleets (earshot's work-based policy, a
 * static fleet sized for the peak, today's job-count KEDA query, and a no-cold-start oracle) on
 * three arrival traces (steady, diurnal, bursty) of heavy-tailed files. Deterministic for a seed.
 *
 *   npm run sim:autoscale [-- --json] [--seed 1] [--fan-out] [--hpa default|infra|direct]
 *       [--throughput 50] [--cold-start-s 60] [--slots 1] [--poll-s 30] [--max-workers 24]
 *       [--traces steady,diurnal,bursty] [--target-drain-s N] [--cooldown-s N] [--idle-s N]
 *
 * The loop, traces and policies live in packages/core/src/scaling/ (see sim/simulate.ts for the
 * worker model); this file only reads flags and prints.
 */
import { parseArgs } from 'node:util';
import type { AutoscaleConfig } from '@earshot/core/config/autoscale-config';
import { DEFAULT_POLICY_SETUP, earshotConfig, type PolicySetup } from '@earshot/core/scaling/sim/policies';
import { formatTable, runSimulations } from '@earshot/core/scaling/sim/report';
import { DEFAULT_SIM_PARAMS, type SimParams } from '@earshot/core/scaling/sim/simulate';
import { TRACES, type TraceName } from '@earshot/core/scaling/sim/traces';

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seed: { type: 'string', default: '1' },
    'fan-out': { type: 'boolean', default: false },
    hpa: { type: 'string', default: 'default' },
    throughput: { type: 'string' },
    'cold-start-s': { type: 'string' },
    slots: { type: 'string' },
    'poll-s': { type: 'string' },
    'max-workers': { type: 'string' },
    traces: { type: 'string', default: 'steady,diurnal,bursty' },
    'target-drain-s': { type: 'string' },
    'cooldown-s': { type: 'string' },
    'idle-s': { type: 'string' },
  },
});

const num = (v: string | undefined, fallback: number): number => {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`not a number: ${v}`);
  return n;
};
const params: SimParams = {
  ...DEFAULT_SIM_PARAMS,
  fanOut: values['fan-out'],
  throughput: num(values.throughput, DEFAULT_SIM_PARAMS.throughput),
  coldStartS: num(values['cold-start-s'], DEFAULT_SIM_PARAMS.coldStartS),
  slots: num(values.slots, DEFAULT_SIM_PARAMS.slots),
  pollS: num(values['poll-s'], DEFAULT_SIM_PARAMS.pollS),
};
if (!['default', 'infra', 'direct'].includes(values.hpa)) throw new Error(`--hpa: default, infra or direct, not ${values.hpa}`);
const autoscale: Partial<AutoscaleConfig> = {};
if (values['target-drain-s'] !== undefined) autoscale.targetDrainS = num(values['target-drain-s'], 0);
if (values['cooldown-s'] !== undefined) autoscale.cooldownS = num(values['cooldown-s'], 0);
if (values['idle-s'] !== undefined) autoscale.idleS = num(values['idle-s'], 0);
const setup: PolicySetup = {
  ...DEFAULT_POLICY_SETUP,
  hpa: values.hpa as PolicySetup['hpa'],
  maxWorkers: num(values['max-workers'], DEFAULT_POLICY_SETUP.maxWorkers),
  // The trigger's threshold is the worker's concurrency (infra/: EARSHOT_WORKER_CONCURRENCY).
  jobsPerWorker: params.slots,
  autoscale,
};
const traces = values.traces.split(',').map((t) => {
  if (!(t in TRACES)) throw new Error(`unknown trace ${t}; known: ${Object.keys(TRACES).join(', ')}`);
  return t as TraceName;
});

const runs = runSimulations({ seed: num(values.seed, 1), traces, params, setup });
const rows = runs.map((r) => r.row);
if (values.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  const c = earshotConfig(setup, params);
  console.log(
    `seed ${values.seed}; ${params.throughput} audio-s/s per worker, ${params.slots} slots, cold start ${params.coldStartS} s, ` +
      `KEDA poll ${params.pollS} s, fan-out ${params.fanOut ? 'on' : 'off'}, hpa ${setup.hpa}, workers ${setup.minWorkers}…${setup.maxWorkers}; ` +
      `earshot: drain ${c.targetDrainS} s, cooldown ${c.cooldownS} s, idle ${c.idleS} s, prior ${c.throughputPrior}`,
  );
  for (const { trace } of runs.filter((r) => r.policy === runs[0]!.policy)) {
    console.log(`${trace.name}: ${trace.description}, ${trace.arrivals.length} files`);
  }
  console.log();
  console.log(formatTable(rows));
  const incomplete = runs.filter((r) => r.result.completedFiles < r.result.files);
  for (const r of incomplete) console.log(`WARNING ${r.trace.name}/${r.policy}: ${r.result.files - r.result.completedFiles} files unfinished`);
}
