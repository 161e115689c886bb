/**
 * Arrival traces for the autoscaling simulation: when each file arrives and how long its audio
 * is. Everything is drawn from a seeded PRNG, so a trace is a function of its options.
 *
 * Job lengths are heavy-tailed: a log-normal fitted to "70 % under 2 minutes, 1 % over an
 * hour" (median 45 s, mean about 4 minutes), cut to 1 s … 4 h (EARSHOT_MAX_AUDIO_S).
 */
import { createRng, type Rng } from './prng.js';

export interface Arrival {
  atS: number;
  audioS: number;
}

export interface Trace {
  name: string;
  /** Length of the simulated period; arrivals fall in [0, durationS). */
  durationS: number;
  arrivals: Arrival[];
  /** What the trace is, for the report. */
  description: string;
}

/** Log-normal parameters from two quantiles: P(X < 120 s) = 0.70, P(X > 3600 s) = 0.01. */
const Z70 = 0.5244005;
const Z99 = 2.3263479;
export const JOB_LENGTH_SIGMA = (Math.log(3600) - Math.log(120)) / (Z99 - Z70);
export const JOB_LENGTH_MU = Math.log(120) - Z70 * JOB_LENGTH_SIGMA;
export const JOB_LENGTH_MIN_S = 1;
export const JOB_LENGTH_MAX_S = 14_400;

export function drawJobLengthS(rng: Rng): number {
  const x = Math.exp(JOB_LENGTH_MU + JOB_LENGTH_SIGMA * rng.normal());
  return Math.round(Math.min(JOB_LENGTH_MAX_S, Math.max(JOB_LENGTH_MIN_S, x)) * 10) / 10;
}

/** Mean of the cut log-normal, estimated once from a fixed sample (used to turn audio rates into job rates). */
export const MEAN_JOB_LENGTH_S = (() => {
  const rng = createRng(0x5eed);
  let sum = 0;
  const n = 200_000;
  for (let i = 0; i < n; i++) sum += drawJobLengthS(rng);
  return sum / n;
})();

export interface TraceOptions {
  seed: number;
  /** Multiplies every arrival rate (and the burst size): 1 = the sizes in the README. @defaultValue 1 */
  scale?: number;
  /** Overrides the trace's own length. */
  durationS?: number;
}

/**
 * Poisson arrivals whose rate, in audio seconds per wall second, follows `rate(t)` (at most
 * `maxRate`), by thinning.
 */
function poissonArrivals(rng: Rng, durationS: number, maxRate: number, rate: (tS: number) => number): Arrival[] {
  const out: Arrival[] = [];
  const meanGapS = MEAN_JOB_LENGTH_S / maxRate;
  for (let t = rng.exponential(meanGapS); t < durationS; t += rng.exponential(meanGapS)) {
    if (rng.next() * maxRate <= rate(t)) out.push({ atS: t, audioS: drawJobLengthS(rng) });
  }
  return out;
}

/** 6 h at a constant 150 audio-s/s (3 workers' worth at 50× real time). */
export function steadyTrace(options: TraceOptions): Trace {
  const scale = options.scale ?? 1;
  const durationS = options.durationS ?? 6 * 3600;
  const rate = 150 * scale;
  const rng = createRng(options.seed);
  return {
    name: 'steady',
    durationS,
    arrivals: poissonArrivals(rng, durationS, rate, () => rate),
    description: `${fmtH(durationS)} of Poisson arrivals at ${rate} audio-s/s`,
  };
}

/**
 * 24 h whose rate follows a cosine from a trough of 80 audio-s/s at 02:00 to a peak of
 * 800 audio-s/s at 14:00 (10× peak to trough).
 */
export function diurnalTrace(options: TraceOptions): Trace {
  const scale = options.scale ?? 1;
  const durationS = options.durationS ?? 24 * 3600;
  const peak = 800 * scale;
  const trough = peak / 10;
  const rate = (t: number) => trough + ((peak - trough) * (1 - Math.cos((2 * Math.PI * (t - 2 * 3600)) / 86_400))) / 2;
  const rng = createRng(options.seed);
  return {
    name: 'diurnal',
    durationS,
    arrivals: poissonArrivals(rng, durationS, peak, rate),
    description: `${fmtH(durationS)}, ${trough}→${peak} audio-s/s (trough 02:00, peak 14:00)`,
  };
}

/** 6 h of 100 audio-s/s background, plus 1,000 files dropped at once at 1 h. */
export function burstyTrace(options: TraceOptions): Trace {
  const scale = options.scale ?? 1;
  const durationS = options.durationS ?? 6 * 3600;
  const rate = 100 * scale;
  const burstFiles = Math.round(1000 * scale);
  const burstAtS = Math.min(3600, durationS / 4);
  const rng = createRng(options.seed);
  const background = poissonArrivals(rng, durationS, rate, () => rate);
  const burst = Array.from({ length: burstFiles }, () => ({ atS: burstAtS, audioS: drawJobLengthS(rng) }));
  const arrivals = [...background, ...burst].sort((a, b) => a.atS - b.atS);
  return {
    name: 'bursty',
    durationS,
    arrivals,
    description: `${fmtH(durationS)} of ${rate} audio-s/s plus ${burstFiles} files at ${fmtH(burstAtS)}`,
  };
}

export const TRACES = { steady: steadyTrace, diurnal: diurnalTrace, bursty: burstyTrace } as const;
export type TraceName = keyof typeof TRACES;

function fmtH(s: number): string {
  return `${+(s / 3600).toFixed(2)} h`;
}
