import { describe, expect, it } from 'vitest';
import { VadOptionsSchema } from './vad-options.js';

describe('VadOptionsSchema', () => {
  it('fills silero/FunASR defaults, merge off', () => {
    expect(VadOptionsSchema.parse({})).toEqual({
      threshold: 0.5,
      minSpeechMs: 250,
      minSilenceMs: 250,
      speechPadMs: 30,
      maxSegmentS: 30,
      merge: false,
      mergeLengthS: 15,
    });
  });

  it('keeps given values', () => {
    const o = VadOptionsSchema.parse({ threshold: 0.6, negThreshold: 0.3, merge: true, mergeLengthS: 20, maxSegmentS: 10 });
    expect(o).toMatchObject({ threshold: 0.6, negThreshold: 0.3, merge: true, mergeLengthS: 20, maxSegmentS: 10 });
  });

  it('rejects inconsistent or out-of-range values', () => {
    expect(VadOptionsSchema.safeParse({ threshold: 0.5, negThreshold: 0.6 }).success).toBe(false);
    expect(VadOptionsSchema.safeParse({ threshold: 0 }).success).toBe(false);
    expect(VadOptionsSchema.safeParse({ maxSegmentS: 120 }).success).toBe(false);
    expect(VadOptionsSchema.safeParse({ maxSegmentS: 1, speechPadMs: 500 }).success).toBe(false);
    expect(VadOptionsSchema.safeParse({ merge: 'yes' }).success).toBe(false);
    expect(VadOptionsSchema.safeParse({ mergeLengthS: 0 }).success).toBe(false);
  });
});
