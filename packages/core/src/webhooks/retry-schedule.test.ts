import { describe, expect, it } from 'vitest';
import { DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS, assertRetrySchedule, computeRetryDelayMs, parseRetryAfterMs } from './retry-schedule.js';

describe('computeRetryDelayMs', () => {
  const scheduleMs = [0, 5_000, 300_000];

  it('reads the delay for the attempt about to run, and -1 past the end', () => {
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 2, jitterRatio: 0 })).toBe(5_000);
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 3, jitterRatio: 0 })).toBe(300_000);
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 4, jitterRatio: 0 })).toBe(-1);
  });

  it('adds jitter on top of the scheduled delay only', () => {
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 2, jitterRatio: 0.1, random: () => 0.5 })).toBe(5_250);
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 2, jitterRatio: 0.1, random: () => 0 })).toBe(5_000);
  });

  it('waits at least Retry-After, clamped to maxRetryAfterMs', () => {
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 2, jitterRatio: 0, retryAfterMs: 60_000 })).toBe(60_000);
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 3, jitterRatio: 0, retryAfterMs: 60_000 })).toBe(300_000);
    expect(computeRetryDelayMs({ scheduleMs, nextAttempt: 2, jitterRatio: 0, retryAfterMs: 86_400_000, maxRetryAfterMs: 120_000 })).toBe(120_000);
  });
});

describe('parseRetryAfterMs', () => {
  it('reads delay-seconds and HTTP dates', () => {
    const now = new Date('2025-01-01T00:00:00Z');
    expect(parseRetryAfterMs('120', now)).toBe(120_000);
    expect(parseRetryAfterMs('Wed, 01 Jan 2025 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Tue, 31 Dec 2024 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfterMs('soon', now)).toBeNull();
    expect(parseRetryAfterMs(null, now)).toBeNull();
  });
});

describe('assertRetrySchedule', () => {
  it('accepts the default and rejects empty or negative schedules', () => {
    expect(() => assertRetrySchedule(DEFAULT_WEBHOOK_RETRY_SCHEDULE_MS)).not.toThrow();
    expect(() => assertRetrySchedule([])).toThrow(/schedule/);
    expect(() => assertRetrySchedule([0, -5])).toThrow(/schedule/);
    expect(() => assertRetrySchedule([0, 1.5])).toThrow(/schedule/);
  });
});
