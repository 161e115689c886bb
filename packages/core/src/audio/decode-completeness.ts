/**
 * The partial-decode rule: a damaged file is either decoded (maybe with a warning) or
 * refused, and the same bytes always get the same answer. It is a pure function of what
 * the decoder reported, so the CLI and the service (both through decodeAudio) agree.
 *
 * Words: *decodedS* is the audio that came out; *declaredS* what the container says the
 * file lasts (WAV: the data chunk's size; otherwise ffprobe's stream or format duration);
 * *errors* the decoder's complaints (ffmpeg messages at `-v error`, a non-zero exit,
 * ffprobe's "file shorter than its header", a WAV data chunk shorter than declared).
 *
 * 1. errors, and decodedS < 50 % of declaredS → AUDIO_CORRUPT.
 *    Why 50 %: below half, the transcript would miss more than it holds, and a client is
 *    better served by a refusal it can act on (re-upload, repair) than by a "completed" job
 *    that quietly lacks most of the recording. At or above half the transcript is mostly
 *    there and useful, and the warning says what is missing. The margin also absorbs
 *    estimated durations (below).
 * 2. errors, and no declared duration (MediaRecorder WebM and other live streams):
 *    decodedS < 1 s → AUDIO_CORRUPT. Nothing says how long the file should be, so only
 *    "almost nothing came out of a file the decoder complained about" can be called
 *    corrupt; one second is shorter than any sentence worth transcribing.
 * 3. errors otherwise → completed with AUDIO_PARTIALLY_DECODED.
 * 4. no errors, a declared (not estimated) duration, and decodedS short of it by more
 *    than 0.5 s → completed with AUDIO_PARTIALLY_DECODED. 0.5 s is above every codec's
 *    priming/padding difference (MP3 and AAC at 8 kHz: under 0.3 s) and below anything a
 *    listener would miss. Without errors the file is never refused: a header can be wrong
 *    while the audio is fine (an MP3 cut at a frame boundary keeps its Xing header).
 *
 * Estimated durations (ffmpeg's bitrate × size guess for MP3 without a Xing/VBRI header and
 * raw ADTS AAC) describe the bytes present, so they never reveal truncation; they do reveal
 * bytes that did not decode. With errors they count like a header duration (rule 1); without
 * errors a shortfall against them means nothing (VBR audio) and gives no warning.
 *
 * What no rule here can see: an Ogg file cut short (its duration comes from the last page
 * present), an MP3 without Xing header cut anywhere, any file cut at a frame boundary whose
 * header declares nothing. Those decode cleanly and complete without a warning.
 */
import { AppError } from '../errors/app-error.js';
import type { PartialDecodeWarning } from '../results/warnings.js';

/** Rule 1: with decoder errors, less than this share of the declared duration is refused. */
export const MIN_DECODED_SHARE = 0.5;
/** Rule 2: with decoder errors and no declared duration, less than this is refused. */
export const MIN_DECODED_S_WITHOUT_DURATION = 1;
/** Rule 4: a clean decode this much shorter than declared still gets a warning. */
export const NOTICEABLE_SHORTFALL_S = 0.5;

export interface DecodeOutcome {
  /** Container name for messages ("mp3", "wav", …). */
  format: string;
  decodedS: number;
  declaredS: number | null;
  /** declaredS is ffmpeg's estimate from the bit rate (see the module comment). */
  declaredEstimated: boolean;
  /** The decoder's complaints, already trimmed; empty when the decode was clean. */
  errors: string[];
}

/**
 * Applies the rule: throws AUDIO_CORRUPT (details: decodedS, declaredS, decoderMessages),
 * or returns the warning for a usable but incomplete decode, or null for a clean one.
 */
export function judgeDecode(outcome: DecodeOutcome): PartialDecodeWarning | null {
  const decodedS = round3(outcome.decodedS);
  const declaredS = outcome.declaredS === null ? null : round3(outcome.declaredS);
  const { errors, format } = outcome;
  const said = errors.length > 0 ? `${errors[0]}${errors.length > 1 ? ` (+${errors.length - 1} more)` : ''}` : '';
  const declared =
    declaredS === null ? '' : outcome.declaredEstimated ? ` (its bit rate suggests ${declaredS} s)` : ` of the ${declaredS} s it declares`;

  if (errors.length > 0) {
    const tooLittle =
      declaredS === null ? decodedS < MIN_DECODED_S_WITHOUT_DURATION : decodedS < MIN_DECODED_SHARE * declaredS;
    if (tooLittle) {
      const limit =
        declaredS === null ? `under ${MIN_DECODED_S_WITHOUT_DURATION} s and no declared duration` : `under ${MIN_DECODED_SHARE * 100} %`;
      throw new AppError('AUDIO_CORRUPT', `The ${format} file is damaged: ${decodedS} s decoded${declared}, ${limit}; the decoder reported: ${said}`, {
        details: { decodedS, declaredS, decoderMessages: errors },
      });
    }
    return warning(`The decoder reported errors in the ${format} file (${said}); ${decodedS} s decoded${declared}`, decodedS, declaredS);
  }
  if (declaredS !== null && !outcome.declaredEstimated && declaredS - decodedS > NOTICEABLE_SHORTFALL_S) {
    return warning(`The ${format} file looks truncated: ${decodedS} s decoded${declared}`, decodedS, declaredS);
  }
  return null;
}

function warning(message: string, decodedS: number, declaredS: number | null): PartialDecodeWarning {
  return { code: 'AUDIO_PARTIALLY_DECODED', message, decodedS, declaredS };
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
