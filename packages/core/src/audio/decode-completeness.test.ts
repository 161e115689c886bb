import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { judgeDecode, type DecodeOutcome } from './decode-completeness.js';

const outcome = (o: Partial<DecodeOutcome>): DecodeOutcome => ({
  format: 'mp3',
  decodedS: 10,
  declaredS: 10,
  declaredEstimated: false,
  errors: [],
  ...o,
});

function corrupt(o: Partial<DecodeOutcome>): AppError {
  let caught: unknown;
  try {
    judgeDecode(outcome(o));
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe('AUDIO_CORRUPT');
  return caught as AppError;
}

describe('judgeDecode (the partial-decode rule)', () => {
  it('passes a clean, complete decode (codec padding and priming are not a shortfall)', () => {
    expect(judgeDecode(outcome({}))).toBeNull();
    expect(judgeDecode(outcome({ decodedS: 9.6 }))).toBeNull();
    expect(judgeDecode(outcome({ decodedS: 10.3 }))).toBeNull();
  });

  it('refuses a decode with errors that yielded less than half the declared duration, with the numbers and messages', () => {
    const err = corrupt({ decodedS: 0.0029, declaredS: 11.196, errors: ['[mp3float] Header missing', 'Error while decoding stream #0:0'] });
    expect(err.details).toEqual({ decodedS: 0.003, declaredS: 11.196, decoderMessages: ['[mp3float] Header missing', 'Error while decoding stream #0:0'] });
    expect(err.message).toMatch(/damaged: 0\.003 s decoded of the 11\.196 s it declares, under 50 %.*Header missing \(\+1 more\)/);
    corrupt({ decodedS: 4.99, errors: ['x'] });
  });

  it('completes a decode with errors and at least half the duration, with a warning', () => {
    expect(judgeDecode(outcome({ decodedS: 5, errors: ['[flac] invalid residual'] }))).toEqual({
      code: 'AUDIO_PARTIALLY_DECODED',
      decodedS: 5,
      declaredS: 10,
      message: expect.stringMatching(/errors in the mp3 file \(\[flac\] invalid residual\); 5 s decoded of the 10 s it declares/),
    });
    // errors without any shortfall still say the audio may be damaged
    expect(judgeDecode(outcome({ errors: ['[mp3float] invalid new backstep -1'] }))?.code).toBe('AUDIO_PARTIALLY_DECODED');
  });

  it('without a declared duration, refuses errors with under 1 s decoded and warns above', () => {
    expect(corrupt({ declaredS: null, decodedS: 0.054, errors: ['File ended prematurely'] }).details).toMatchObject({ declaredS: null });
    expect(judgeDecode(outcome({ declaredS: null, decodedS: 1, errors: ['File ended prematurely'] }))).toMatchObject({ decodedS: 1, declaredS: null });
    expect(judgeDecode(outcome({ declaredS: null, decodedS: 0.2 }))).toBeNull();
  });

  it('warns about a clean decode more than 0.5 s short of its declared duration, never refuses it', () => {
    expect(judgeDecode(outcome({ decodedS: 9.49 }))).toMatchObject({ code: 'AUDIO_PARTIALLY_DECODED', decodedS: 9.49, declaredS: 10 });
    expect(judgeDecode(outcome({ decodedS: 1 }))?.message).toMatch(/looks truncated: 1 s decoded of the 10 s/);
  });

  it('uses an estimated duration against errors only', () => {
    expect(judgeDecode(outcome({ decodedS: 2, declaredEstimated: true }))).toBeNull();
    corrupt({ decodedS: 2, declaredEstimated: true, errors: ['[mp3float] Header missing'] });
    expect(judgeDecode(outcome({ decodedS: 6, declaredEstimated: true, errors: ['x'] }))?.message).toMatch(/its bit rate suggests 10 s/);
  });
});
