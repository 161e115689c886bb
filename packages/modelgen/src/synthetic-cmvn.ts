/**
 * Plausible CMVN statistics for the synthetic model: one smooth 80-bin pattern repeated 7× (as in
 * SenseVoiceSmall's am.mvn, where the 560 values are the 80-dim stats of each LFR slot), within the
 * real ranges: neg_mean ∈ [−15.05, −8.31] (starting near −8.31), inv_stddev ∈ [0.1436, 0.1558].
 * Fixed (not seeded): the real file has one am.mvn for every weight set.
 */

const MEL_BINS = 80;
const LFR_WINDOW = 7;

function roundTo7Digits(value: number): number {
  return Number(value.toPrecision(7));
}

/** The 80-bin pattern: means fall with frequency (with a ripple), spreads vary gently. */
function binStats(bin: number): { negMean: number; invStddev: number } {
  const position = bin / (MEL_BINS - 1);
  const fall = Math.pow(position, 0.8) * 0.85 + 0.15 * (0.5 - 0.5 * Math.cos(6 * Math.PI * position));
  const negMean = -8.311879 - (15.05 - 8.311879) * Math.min(1, fall);
  const invStddev = 0.1436 + (0.1558 - 0.1436) * (0.5 + 0.5 * Math.cos(Math.PI * position * 1.7));
  return { negMean: roundTo7Digits(negMean), invStddev: roundTo7Digits(invStddev) };
}

export interface SyntheticCmvn {
  /** 560 values, added to features first. */
  readonly negMean: readonly number[];
  /** 560 values, multiplied after adding negMean. */
  readonly invStddev: readonly number[];
}

/** () → neg_mean (560), inv_stddev (560), each the 80-bin pattern repeated 7×. */
export function syntheticCmvn(): SyntheticCmvn {
  const bins = Array.from({ length: MEL_BINS }, (_, bin) => binStats(bin));
  const negMean: number[] = [];
  const invStddev: number[] = [];
  for (let slot = 0; slot < LFR_WINDOW; slot++) {
    for (const stats of bins) {
      negMean.push(stats.negMean);
      invStddev.push(stats.invStddev);
    }
  }
  return { negMean, invStddev };
}
