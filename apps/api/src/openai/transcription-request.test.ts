import { describe, expect, it } from 'vitest';
import { CheckedTranscribeRequestSchema } from '@earshot/core/engine/transcribe-request';
import { JobOptionsSchema } from '@earshot/core/jobs/job-options';
import { cueOptionsOf, jobOptionsOf, parseTranscriptionFields } from './transcription-request.js';

const parse = (fields: Record<string, string>, lists: Record<string, string[]> = {}) =>
  parseTranscriptionFields(new Map(Object.entries({ model: 'whisper-1', ...fields })), new Map(Object.entries(lists)));

describe('jobOptionsOf', () => {
  it('makes a named language the only allowed one', () => {
    const options = JobOptionsSchema.parse(jobOptionsOf(parse({ language: 'zh' })));
    expect(options).toMatchObject({ language: 'zh', languages: ['zh'] });
    expect(CheckedTranscribeRequestSchema.safeParse(options).success).toBe(true);
  });

  it('leaves the language free for auto and for no language', () => {
    for (const fields of [{ language: 'auto' }, {}] as Record<string, string>[]) {
      const options = JobOptionsSchema.parse(jobOptionsOf(parse(fields)));
      expect(options.language).toBe('auto');
      expect(options.languages).toBeUndefined();
    }
  });
});

describe('timestamp granularities', () => {
  const words = { 'timestamp_granularities[]': ['word'] };
  it('accepts word with vtt, where it times the words of each cue', () => {
    expect(cueOptionsOf(parse({ response_format: 'vtt' }, words))).toEqual({ wordTimestamps: true });
    expect(cueOptionsOf(parse({ response_format: 'vtt' }))).toEqual({ wordTimestamps: false });
    expect(cueOptionsOf(parse({ response_format: 'vtt' }, { 'timestamp_granularities[]': ['segment'] }))).toEqual({ wordTimestamps: false });
  });

  it('refuses them with json, text and srt', () => {
    for (const response_format of ['json', 'text', 'srt']) {
      expect(() => parse({ response_format }, words)).toThrow(expect.objectContaining({ code: 'VALIDATION_FAILED' }) as Error);
    }
  });
});
