import { describe, expect, it } from 'vitest';
import { createThroughputMeter } from './throughput-meter.js';

const s = (x: number): number => x * 1000;

describe('createThroughputMeter', () => {
  it('knows nothing before a job finished', () => {
    const m = createThroughputMeter();
    expect(m.throughput(0)).toBeNull();
    m.jobStarted(0);
    expect(m.throughput(s(5))).toBeNull();
  });

  it('divides finished audio by busy time, not wall time: idling does not lower it', () => {
    const m = createThroughputMeter();
    m.jobStarted(0);
    m.jobFinished(s(10), 300); // 300 s of audio in 10 s
    expect(m.throughput(s(10))).toBeCloseTo(30);
    expect(m.throughput(s(200))).toBeCloseTo(30); // idle for 190 s
  });

  it('credits concurrent runs together', () => {
    const m = createThroughputMeter();
    m.jobStarted(0);
    m.jobStarted(0);
    m.jobFinished(s(10), 100);
    m.jobFinished(s(10), 100);
    expect(m.throughput(s(10))).toBeCloseTo(20);
  });

  it('counts a run still going as busy time', () => {
    const m = createThroughputMeter();
    m.jobStarted(0);
    m.jobStarted(0);
    m.jobFinished(s(10), 100);
    expect(m.throughput(s(20))).toBeCloseTo(100 / 20);
  });

  it('forgets what left the window', () => {
    const m = createThroughputMeter({ windowS: 60 });
    m.jobStarted(0);
    m.jobFinished(s(10), 100); // 10 s of audio per s
    m.jobStarted(s(100));
    m.jobFinished(s(110), 20); // 2 s of audio per s
    expect(m.throughput(s(110))).toBeCloseTo(2);
    expect(m.throughput(s(200))).toBeNull();
  });

  it('reports the processed rate over wall time, idle included', () => {
    const m = createThroughputMeter({ windowS: 100 });
    expect(m.processedRate(0)).toBe(0);
    m.jobStarted(0);
    m.jobFinished(s(10), 300);
    expect(m.processedRate(s(10))).toBeCloseTo(30);
    expect(m.processedRate(s(100))).toBeCloseTo(3); // 300 audio-s over 100 wall-s
  });
});
