/** Runs traces × policies and turns results into the report rows and the table printed by `npm run sim:autoscale`. */
import { makeController, POLICIES, type PolicyName, type PolicySetup } from './policies.js';
import { simulate, type SimParams, type SimResult } from './simulate.js';
import { TRACES, type Trace, type TraceName } from './traces.js';

export interface ReportRow {
  trace: string;
  policy: PolicyName;
  gpuHours: number;
  startWaitP50S: number;
  startWaitP95S: number;
  startWaitP99S: number;
  doneWaitP95S: number;
  scaleEvents: number;
}

/** Nearest-rank percentile (p in 0…100) of unsorted values; NaN (an unfinished file) sorts last. */
export function percentile(values: Float64Array, p: number): number {
  if (values.length === 0) return 0;
  const sorted = Float64Array.from(values).sort();
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function toRow(trace: string, policy: PolicyName, r: SimResult): ReportRow {
  const round = (x: number, digits: number) => Math.round(x * 10 ** digits) / 10 ** digits;
  return {
    trace,
    policy,
    gpuHours: round(r.workerSeconds / 3600, 2),
    startWaitP50S: round(percentile(r.startWaitsS, 50), 1),
    startWaitP95S: round(percentile(r.startWaitsS, 95), 1),
    startWaitP99S: round(percentile(r.startWaitsS, 99), 1),
    doneWaitP95S: round(percentile(r.doneWaitsS, 95), 1),
    scaleEvents: r.scaleEvents,
  };
}

export interface RunOptions {
  seed: number;
  traces: readonly TraceName[];
  policies?: readonly PolicyName[];
  params: SimParams;
  setup: PolicySetup;
  /** Trace scale and length overrides (tests use short, small traces). */
  traceScale?: number;
  traceDurationS?: number;
}

export function buildTraces(options: Pick<RunOptions, 'seed' | 'traces' | 'traceScale' | 'traceDurationS'>): Trace[] {
  return options.traces.map((name) =>
    TRACES[name]({
      seed: options.seed,
      ...(options.traceScale !== undefined ? { scale: options.traceScale } : {}),
      ...(options.traceDurationS !== undefined ? { durationS: options.traceDurationS } : {}),
    }),
  );
}

export function runSimulations(options: RunOptions): { trace: Trace; policy: PolicyName; result: SimResult; row: ReportRow }[] {
  const out = [];
  for (const trace of buildTraces(options)) {
    for (const policy of options.policies ?? POLICIES) {
      const controller = makeController(policy, options.setup, options.params, trace.arrivals);
      const result = simulate(trace.arrivals, trace.durationS, controller, options.params);
      out.push({ trace, policy, result, row: toRow(trace.name, policy, result) });
    }
  }
  return out;
}

/** A Markdown table of the rows (the README pastes it). */
export function formatTable(rows: readonly ReportRow[]): string {
  const header = ['trace', 'policy', 'GPU-hours', 'start wait p50 (s)', 'p95 (s)', 'p99 (s)', 'done wait p95 (s)', 'scale events'];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    const cells = [r.trace, r.policy, r.gpuHours.toFixed(2), r.startWaitP50S, r.startWaitP95S, r.startWaitP99S, r.doneWaitP95S, r.scaleEvents];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
