/**
 * When to try a webhook delivery again. Pure functions; the queue wires them in.
 *
 * A schedule is a list of delays in ms, one per attempt: `scheduleMs[i]` is the
 * wait before attempt `i + 1` (1-based), so `scheduleMs[0]` is normally 0
 * ("immediately") and `scheduleMs.length` is the total number of attempts.
 */
import { AppError } from '../errors/app-error.js';

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * Svix's schedule, the Standard Webhooks example cut at 8 attempts:
 * immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 27.6 h in all).
 */
export const DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS: readonly number[] = [
  0,
  5 * SECOND_MS,
  5 * MINUTE_MS,
  30 * MINUTE_MS,
  2 * HOUR_MS,
  5 * HOUR_MS,
  10 * HOUR_MS,
  10 * HOUR_MS,
];

/** Jitter added on top of each scheduled delay (never subtracted, so Retry-After still holds). */
export const DEFAULT_WEBHOOK_JITTER_RATIO = 0.1;

/** The longest `Retry-After` we honour; longer requests are clamped to this. */
export const DEFAULT_MAX_RETRY_AFTER_MS = HOUR_MS;

/** Throws VALIDATION_FAILED unless the schedule is a non-empty list of non-negative integers. */
export function assertRetrySchedule(scheduleMs: readonly number[]): void {
  if (scheduleMs.length === 0 || !scheduleMs.every((ms) => Number.isInteger(ms) && ms >= 0)) {
    throw new AppError('VALIDATION_FAILED', 'webhook retry schedule must be a non-empty list of non-negative integer ms');
  }
}

export interface RetryDelayInput {
  scheduleMs: readonly number[];
  /** 1-based number of the attempt about to be scheduled (2 for the first retry). */
  nextAttempt: number;
  /** 0 disables jitter. */
  jitterRatio: number;
  /** From the receiver's Retry-After, when it sent one. */
  retryAfterMs?: number | null;
  maxRetryAfterMs?: number;
  /** A number in [0, 1); injectable for tests. @defaultValue Math.random */
  random?: () => number;
}

/**
 * The wait in ms before attempt `nextAttempt`, or -1 when the schedule has no
 * such attempt (BullMQ reads -1 as "do not retry").
 * delay = max(scheduled, min(retryAfter, maxRetryAfter)) × (1 + jitter·random)
 */
export function computeRetryDelayMs(input: RetryDelayInput): number {
  const scheduled = input.scheduleMs[input.nextAttempt - 1];
  if (scheduled === undefined || input.nextAttempt < 1) return -1;
  const retryAfter = Math.min(input.retryAfterMs ?? 0, input.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS);
  const base = Math.max(scheduled, retryAfter);
  const random = input.random ?? Math.random;
  return Math.round(base * (1 + Math.max(0, input.jitterRatio) * random()));
}

/**
 * Parses a `Retry-After` header (delay-seconds or an HTTP date) into ms from
 * `now`, or null when absent or unparseable.
 */
export function parseRetryAfterMs(header: string | null, now: Date = new Date()): number | null {
  if (header === null) return null;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * SECOND_MS;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now.getTime());
}
