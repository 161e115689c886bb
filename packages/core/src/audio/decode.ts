/**
 * Audio input: any supported file → 16 kHz mono float, the model's input.
 *
 * Order of checks: 0 bytes → AUDIO_EMPTY; unknown magic bytes →
 * AUDIO_UNSUPPORTED_FORMAT; WAV → built-in parser and resampler (ffmpeg only
 * for encodings the parser does not read, e.g. ADPCM or A-law); everything
 * else → ffmpeg. After decoding: longer than `maxDurationS` → AUDIO_TOO_LONG,
 * damaged → AUDIO_CORRUPT or an AUDIO_PARTIALLY_DECODED warning (the rule in
 * decode-completeness.ts, applied to both paths: a WAV data chunk shorter than
 * declared is the built-in path's "decoder error"), no samples → AUDIO_EMPTY,
 * peak below SILENCE_PEAK → AUDIO_SILENT. Nothing but AppError is thrown.
 */
import { readFile } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AppError, toAppError } from '../errors/app-error.js';
import type { TranscriptWarning } from '../results/warnings.js';
import { judgeDecode, type DecodeOutcome } from './decode-completeness.js';
import { decodeWithFfmpeg } from './ffmpeg-decode.js';
import { Resampler } from './resample.js';
import { sniffFormat, type AudioFormat } from './sniff-format.js';
import { parseWavHeader, readWavFrames, walkWavChunks, type WavInfo } from './wav.js';

export const TARGET_SAMPLE_RATE = 16000;
/** Peak |x| under which a file counts as silent (1e-4 ≈ −80 dBFS; 16-bit dither is ±3e-5). */
export const SILENCE_PEAK = 1e-4;
/** WAV frames converted between two yields to the event loop. */
const WAV_BLOCK_FRAMES = 1 << 16;

export interface DecodeOptions {
  /**
   * ffmpeg executable for non-WAV input; `null` never runs ffmpeg (WAV only).
   * @defaultValue `'ffmpeg'` on PATH
   */
  ffmpegPath?: string | null;
  /** Longer input fails with AUDIO_TOO_LONG. @defaultValue no limit */
  maxDurationS?: number;
  /** Aborting kills ffmpeg / stops the WAV conversion with JOB_CANCELED. */
  signal?: AbortSignal;
  /** Where ffmpeg's input is written (MP4 needs a seekable file). @defaultValue `os.tmpdir()` */
  tempDir?: string;
}

export interface DecodedAudio {
  /** (durationS × 16000,) mono float. */
  samples: Float32Array;
  sampleRate: typeof TARGET_SAMPLE_RATE;
  durationS: number;
  source: {
    format: AudioFormat;
    sampleRate: number;
    channels: number;
    /** ffmpeg codec name ("pcm_s16le", "mp3", "opus", …). */
    codec: string;
  };
  /** Present when the audio is usable but incomplete (AUDIO_PARTIALLY_DECODED); never empty. */
  warnings?: TranscriptWarning[];
}

/** A decode before the checks: the audio and what the decoder reported about it. */
interface RawDecode {
  audio: DecodedAudio;
  outcome: DecodeOutcome;
}

/** True when no sample reaches `peak` in magnitude (digital silence or near it). */
export function isSilent(samples: Float32Array, peak: number = SILENCE_PEAK): boolean {
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (v >= peak || v <= -peak) return false;
  }
  return true;
}

/** Decodes `bytes` (any supported container) to 16 kHz mono; see the module comment for the checks. */
export async function decodeAudio(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
  try {
    return checkDecoded(await decodeAny(bytes, options), options.maxDurationS);
  } catch (err) {
    throw toAppError(err);
  }
}

/** Reads `path` and decodes it with `decodeAudio`. */
export async function readAudioFile(path: string, options: DecodeOptions = {}): Promise<DecodedAudio> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR') throw new AppError('SOURCE_NOT_FOUND', `no audio file at ${path}`, { cause: err });
    if (code === 'ERR_FS_FILE_TOO_LARGE') throw new AppError('AUDIO_TOO_LARGE', `${path} is too large to read into memory`, { cause: err });
    throw new AppError('SOURCE_FETCH_FAILED', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return decodeAudio(bytes, options);
}

async function decodeAny(bytes: Uint8Array, options: DecodeOptions): Promise<RawDecode> {
  if (bytes.length === 0) throw new AppError('AUDIO_EMPTY', 'The audio file is empty (0 bytes)');
  const format = sniffFormat(bytes);
  if (format === null) {
    const head = Buffer.from(bytes.subarray(0, 12)).toString('hex');
    throw new AppError('AUDIO_UNSUPPORTED_FORMAT', 'Unrecognized audio format (supported: WAV, MP3, FLAC, OGG, WebM, MP4/M4A, AAC, AIFF)', {
      details: { firstBytesHex: head },
    });
  }
  if (format === 'wav') {
    let info: WavInfo;
    try {
      info = parseWavHeader(bytes);
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'AUDIO_UNSUPPORTED_FORMAT') throw err;
      return decodeWithFfmpegOrFail(bytes, format, options, err);
    }
    return decodeWav(bytes, info, options);
  }
  return decodeWithFfmpegOrFail(bytes, format, options);
}

/** Converts WAV frames block by block (mix-down, then resample), yielding to the event loop between blocks. */
async function decodeWav(bytes: Uint8Array, info: WavInfo, options: DecodeOptions): Promise<RawDecode> {
  const source = { format: 'wav' as const, sampleRate: info.sampleRate, channels: info.channels, codec: info.encoding };
  const sourceDurationS = info.frameCount / info.sampleRate;
  if (options.maxDurationS !== undefined && sourceDurationS > options.maxDurationS) throw tooLong(sourceDurationS, options.maxDurationS);
  const direct = info.sampleRate === TARGET_SAMPLE_RATE ? new Float32Array(info.frameCount) : null;
  const resampler = direct ? null : new Resampler(info.sampleRate, TARGET_SAMPLE_RATE, info.frameCount);
  const block = direct ? null : new Float32Array(Math.min(WAV_BLOCK_FRAMES, info.frameCount));
  for (let start = 0; start < info.frameCount; start += WAV_BLOCK_FRAMES) {
    const count = Math.min(WAV_BLOCK_FRAMES, info.frameCount - start);
    const dest = direct ? direct.subarray(start, start + count) : block!.subarray(0, count);
    readWavFrames(bytes, info, start, count, dest);
    resampler?.write(dest);
    await nextTurn();
    if (options.signal?.aborted) throw new AppError('JOB_CANCELED', 'audio decoding was aborted', { cause: options.signal.reason });
  }
  const samples = direct ?? resampler!.finish();
  const declaredFrames = info.declaredFrameCount;
  const outcome: DecodeOutcome = {
    format: 'wav',
    decodedS: sourceDurationS,
    declaredS: declaredFrames === null ? null : declaredFrames / info.sampleRate,
    declaredEstimated: false,
    errors: declaredFrames !== null && declaredFrames > info.frameCount ? [truncatedWavMessage(declaredFrames * info.frameBytes, info.frameCount * info.frameBytes)] : [],
  };
  return { audio: { samples, sampleRate: TARGET_SAMPLE_RATE, durationS: samples.length / TARGET_SAMPLE_RATE, source }, outcome };
}

function truncatedWavMessage(declaredBytes: number, presentBytes: number): string {
  return `WAV data chunk declares ${declaredBytes} bytes, the file holds ${presentBytes}`;
}

/** The built-in parser's truncation check for a WAV that ffmpeg decodes (A-law, ADPCM, …). */
function wavTruncation(bytes: Uint8Array): string[] {
  const data = walkWavChunks(bytes).data;
  return data && data.declaredBytes !== null && data.declaredBytes > data.presentBytes ? [truncatedWavMessage(data.declaredBytes, data.presentBytes)] : [];
}

async function decodeWithFfmpegOrFail(bytes: Uint8Array, format: AudioFormat, options: DecodeOptions, wavError?: AppError): Promise<RawDecode> {
  if (options.ffmpegPath === null) {
    const what = wavError ? `This WAV encoding (${wavError.message})` : `Decoding ${format}`;
    throw new AppError('DECODER_UNAVAILABLE', `${what} needs ffmpeg, which is disabled (ffmpegPath: null); only PCM/float WAV is decoded without it`, {
      cause: wavError,
      details: { format },
    });
  }
  const decoded = await decodeWithFfmpeg(bytes, {
    ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
    sampleRate: TARGET_SAMPLE_RATE,
    ...(options.maxDurationS !== undefined && { maxDurationS: options.maxDurationS }),
    ...(options.signal && { signal: options.signal }),
    ...(options.tempDir !== undefined && { tempDir: options.tempDir }),
  });
  const { codec, sampleRate, channels, durationS } = decoded.source;
  if (options.maxDurationS !== undefined && durationS !== null && durationS > options.maxDurationS) throw tooLong(durationS, options.maxDurationS);
  const decodedS = decoded.samples.length / TARGET_SAMPLE_RATE;
  return {
    audio: { samples: decoded.samples, sampleRate: TARGET_SAMPLE_RATE, durationS: decodedS, source: { format, sampleRate, channels, codec } },
    outcome: {
      format,
      decodedS,
      declaredS: durationS,
      declaredEstimated: decoded.source.durationEstimated,
      errors: [...(format === 'wav' ? wavTruncation(bytes) : []), ...decoded.errors],
    },
  };
}

function checkDecoded({ audio, outcome }: RawDecode, maxDurationS: number | undefined): DecodedAudio {
  if (maxDurationS !== undefined && audio.durationS > maxDurationS) throw tooLong(audio.durationS, maxDurationS);
  const warning = judgeDecode(outcome);
  if (audio.samples.length === 0) throw new AppError('AUDIO_EMPTY', 'The audio is zero-length (no samples after decoding)', { details: { format: audio.source.format } });
  if (isSilent(audio.samples)) {
    throw new AppError('AUDIO_SILENT', `The audio is silent (peak below ${SILENCE_PEAK}, about −80 dBFS)`, { details: { durationS: audio.durationS } });
  }
  return warning ? { ...audio, warnings: [warning] } : audio;
}

function tooLong(durationS: number, maxDurationS: number): AppError {
  return new AppError('AUDIO_TOO_LONG', `The audio lasts ${durationS.toFixed(1)} s, more than the ${maxDurationS} s limit`, {
    details: { durationS, maxDurationS },
  });
}
