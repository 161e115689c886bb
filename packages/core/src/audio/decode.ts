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
 * peak below SILENCE_PEAK → AUDIO_SILENT (a one-channel decode, `channel`, reports `silent`
 * instead: one quiet side of a call is no fault). Nothing but AppError is thrown.
 *
 * Two entry points share every step: `decodeAudio(bytes)` decodes into memory (the caller
 * already holds the file), `openAudioFile(path)` reads the file in pieces and streams the
 * samples to a temporary PCM file (or, for a 16 kHz WAV, reads them straight from the WAV),
 * so a long file is never held whole as float samples. The checks run on the fly (the sink
 * counts samples and notes the peak) and both give the same samples, bit for bit.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { AppError, toAppError } from '../errors/app-error.js';
import type { TranscriptWarning } from '../results/warnings.js';
import { bytesInput, openFileInput, type AudioInput, type FileInput } from './audio-input.js';
import { checkChannel } from './channel.js';
import { judgeDecode, type DecodeOutcome } from './decode-completeness.js';
import { decodeFileWithFfmpeg, expectedSamples } from './ffmpeg-decode.js';
import { FilePcmSink, isSilent, MemoryPcmSink, SILENCE_PEAK, type PcmSink } from './pcm-sink.js';
import { resampledLength, Resampler } from './resample.js';
import type { ClosableSampleSource } from './sample-source.js';
import { sniffFormat, type AudioFormat } from './sniff-format.js';
import { parseWavHeader, readWavFrames, walkWavChunks, type WavInfo, type WavLayout } from './wav.js';

export { isSilent, SILENCE_PEAK };
export const TARGET_SAMPLE_RATE = 16000;
/** WAV frames converted between two yields to the event loop. */
const WAV_BLOCK_FRAMES = 1 << 16;
/** Bytes read first from a file: enough to sniff any format and, nearly always, a WAV header. */
const HEAD_BYTES = 1 << 20;

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
  /** Where ffmpeg's input (bytes) and the decoded PCM file (paths) are written. @defaultValue `os.tmpdir()` */
  tempDir?: string;
  /**
   * Decode this channel (0-based) alone instead of the mix-down (per-channel transcripts). A
   * silent channel is then no error: the result says `silent: true` (the whole file's silence is
   * judged by whoever asks for the channels). A channel the audio lacks is INVALID_OPTIONS.
   */
  channel?: number;
}

/** What a decode says about the audio, wherever its samples are. */
export interface DecodedAudioInfo {
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
  /** Set by a one-channel decode (`DecodeOptions.channel`): true when that channel is silent. */
  silent?: boolean;
}

/** Audio decoded into memory. */
export interface DecodedAudio extends DecodedAudioInfo {
  /** (durationS × 16000,) mono float. */
  samples: Float32Array;
}

/** Audio decoded from a file, readable in pieces; `samples.close()` deletes its temp file. */
export interface DecodedSource extends DecodedAudioInfo {
  samples: ClosableSampleSource;
}

/** Where decoded samples go: an array in memory, or a file (a temp PCM file, or the WAV itself). */
type Target = { kind: 'memory' } | { kind: 'file'; input: FileInput; tempDir?: string };

/** The decoded samples (an array or a source) before the checks. */
type Pcm = { kind: 'memory'; samples: Float32Array } | { kind: 'file'; samples: ClosableSampleSource };

/** A decode before the checks: the samples, what they are, and what the decoder reported. */
interface RawDecode {
  pcm: Pcm;
  length: number;
  loud: boolean;
  source: DecodedAudioInfo['source'];
  outcome: DecodeOutcome;
}

/** Decodes `bytes` (any supported container) to 16 kHz mono in memory; see the module comment for the checks. */
export async function decodeAudio(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedAudio> {
  try {
    const raw = await decodeAny(bytesInput(bytes), { kind: 'memory' }, options);
    const info = checkDecoded(raw, options);
    if (raw.pcm.kind !== 'memory') throw new Error('a memory decode produced a file');
    return { ...info, samples: raw.pcm.samples };
  } catch (err) {
    throw toAppError(err);
  }
}

/**
 * Decodes the file at `path` (any supported container) to 16 kHz mono readable in pieces,
 * without reading the file or its samples whole; same checks as `decodeAudio`. The caller
 * closes `samples` when done (it holds a temp file or the open WAV).
 * @throws AppError SOURCE_NOT_FOUND when there is no file at `path`, and the decode errors.
 */
export async function openAudioFile(path: string, options: DecodeOptions = {}): Promise<DecodedSource> {
  let input: FileInput | null = null;
  let raw: RawDecode | null = null;
  try {
    input = await openFileInput(path);
    raw = await decodeAny(input, { kind: 'file', input, ...(options.tempDir !== undefined && { tempDir: options.tempDir }) }, options);
    const info = checkDecoded(raw, options);
    if (raw.pcm.kind !== 'file') throw new Error('a file decode produced an array');
    const samples = raw.pcm.samples;
    // A source over a temp file no longer needs the input; one over the WAV itself does.
    if (samples !== directSources.get(input)) await input.close();
    return { ...info, samples };
  } catch (err) {
    if (raw?.pcm.kind === 'file') await raw.pcm.samples.close();
    await input?.close();
    throw toAppError(err);
  }
}

/** Decodes the file at `path` into memory (small files, tests); `openAudioFile` streams instead. */
export async function readAudioFile(path: string, options: DecodeOptions = {}): Promise<DecodedAudio> {
  const decoded = await openAudioFile(path, options);
  try {
    return { ...decoded, samples: await decoded.samples.read(0, decoded.samples.length) };
  } finally {
    await decoded.samples.close();
  }
}

/** The sources that read a WAV input directly (so `openAudioFile` keeps that input open). */
const directSources = new WeakMap<FileInput, ClosableSampleSource>();

async function decodeAny(input: AudioInput, target: Target, options: DecodeOptions): Promise<RawDecode> {
  if (input.size === 0) throw new AppError('AUDIO_EMPTY', 'The audio file is empty (0 bytes)');
  let head = await input.read(0, HEAD_BYTES);
  const format = sniffFormat(head);
  if (format === null) {
    const first = Buffer.from(head.subarray(0, 12)).toString('hex');
    throw new AppError('AUDIO_UNSUPPORTED_FORMAT', 'Unrecognized audio format (supported: WAV, MP3, FLAC, OGG, WebM, MP4/M4A, AAC, AIFF)', {
      details: { firstBytesHex: first },
    });
  }
  if (format === 'wav') {
    let info: WavInfo;
    try {
      ({ value: info, head } = await withWavHead(input, head, (h) => parseWavHeader(h, input.size)));
    } catch (err) {
      if (!(err instanceof AppError) || err.code !== 'AUDIO_UNSUPPORTED_FORMAT') throw err;
      return decodeWithFfmpegOrFail(input, target, format, options, err);
    }
    return decodeWav(input, info, target, options);
  }
  return decodeWithFfmpegOrFail(input, target, format, options);
}

/**
 * Runs a WAV header parser on the file's head, reading a longer head while the parser needs
 * more (a RangeError: chunks before the audio larger than the head).
 */
async function withWavHead<T>(input: AudioInput, head: Uint8Array, parse: (head: Uint8Array) => T): Promise<{ value: T; head: Uint8Array }> {
  for (;;) {
    try {
      return { value: parse(head), head };
    } catch (err) {
      if (!(err instanceof RangeError) || head.length >= input.size) {
        if (err instanceof RangeError) throw new AppError('AUDIO_CORRUPT', `The WAV header is unreadable: ${err.message}`, { cause: err });
        throw err;
      }
      head = await input.read(0, Math.min(input.size, head.length * 4));
    }
  }
}

/** Converts WAV frames block by block (mix-down, then resample), yielding to the event loop between blocks. */
async function decodeWav(input: AudioInput, info: WavInfo, target: Target, options: DecodeOptions): Promise<RawDecode> {
  const source = { format: 'wav' as const, sampleRate: info.sampleRate, channels: info.channels, codec: info.encoding };
  const { channel } = options;
  checkChannel(channel, info.channels);
  const sourceDurationS = info.frameCount / info.sampleRate;
  if (options.maxDurationS !== undefined && sourceDurationS > options.maxDurationS) throw tooLong(sourceDurationS, options.maxDurationS);
  const declaredFrames = info.declaredFrameCount;
  const outcome: DecodeOutcome = {
    format: 'wav',
    decodedS: sourceDurationS,
    declaredS: declaredFrames === null ? null : declaredFrames / info.sampleRate,
    declaredEstimated: false,
    errors: declaredFrames !== null && declaredFrames > info.frameCount ? [truncatedWavMessage(declaredFrames * info.frameBytes, info.frameCount * info.frameBytes)] : [],
  };
  const direct = info.sampleRate === TARGET_SAMPLE_RATE;
  if (direct && target.kind === 'file') {
    // 16 kHz already: the WAV itself is the source, read and converted per request.
    const samples = wavFileSource(target.input, info, channel);
    directSources.set(target.input, samples);
    return { pcm: { kind: 'file', samples }, length: info.frameCount, loud: await anyLoud(samples, options.signal), source, outcome };
  }
  const sink: PcmSink =
    target.kind === 'memory'
      ? new MemoryPcmSink(resampledLength(info.frameCount, info.sampleRate, TARGET_SAMPLE_RATE))
      : await FilePcmSink.create(target.tempDir);
  try {
    const resampler = direct ? null : new Resampler(info.sampleRate, TARGET_SAMPLE_RATE, info.frameCount, (out) => sink.write(out));
    const block = new Float32Array(Math.min(WAV_BLOCK_FRAMES, info.frameCount));
    for (let start = 0; start < info.frameCount; start += WAV_BLOCK_FRAMES) {
      const count = Math.min(WAV_BLOCK_FRAMES, info.frameCount - start);
      const dest = block.subarray(0, count);
      await readWavBlock(input, info, start, count, dest, channel);
      if (resampler) resampler.write(dest);
      else sink.write(dest);
      if (sink.full) await sink.flush();
      await nextTurn();
      if (options.signal?.aborted) throw new AppError('JOB_CANCELED', 'audio decoding was aborted', { cause: options.signal.reason });
    }
    resampler?.finish();
    return { pcm: await pcmOf(sink), length: sink.length, loud: sink.loud, source, outcome };
  } catch (err) {
    await sink.discard();
    throw err;
  }
}

/** Frames `[start, start + count)` of the WAV, mixed down to mono or one `channel` (`readWavFrames` on the block's bytes). */
async function readWavBlock(input: AudioInput, info: WavInfo, start: number, count: number, out: Float32Array, channel: number | undefined): Promise<void> {
  const bytes = await input.read(info.dataOffset + start * info.frameBytes, count * info.frameBytes);
  readWavFrames(bytes, { ...info, dataOffset: 0, frameCount: count }, 0, count, out, channel);
}

/** A 16 kHz WAV file as a sample source: each read converts its frames (the same code as a full decode). */
function wavFileSource(input: FileInput, info: WavInfo, channel: number | undefined): ClosableSampleSource {
  const length = info.frameCount;
  return {
    sampleRate: TARGET_SAMPLE_RATE,
    length,
    durationS: length / TARGET_SAMPLE_RATE,
    async read(from, to) {
      const a = Math.max(0, Math.min(length, from));
      const b = Math.max(a, Math.min(length, to));
      const out = new Float32Array(b - a);
      // Block by block, yielding between blocks: a long read (the VAD reads whole files) must not
      // hold the event loop (a worker's job locks are renewed there).
      for (let start = a; start < b; start += WAV_BLOCK_FRAMES) {
        if (start > a) await nextTurn();
        const count = Math.min(WAV_BLOCK_FRAMES, b - start);
        await readWavBlock(input, info, start, count, out.subarray(start - a, start - a + count), channel);
      }
      return out;
    },
    close: () => input.close(),
  };
}

/** True when some sample reaches SILENCE_PEAK; reads block by block and stops at the first. */
async function anyLoud(source: ClosableSampleSource, signal: AbortSignal | undefined): Promise<boolean> {
  for (let start = 0; start < source.length; start += WAV_BLOCK_FRAMES) {
    if (!isSilent(await source.read(start, start + WAV_BLOCK_FRAMES))) return true;
    if (signal?.aborted) throw new AppError('JOB_CANCELED', 'audio decoding was aborted', { cause: signal.reason });
  }
  return false;
}

async function pcmOf(sink: PcmSink): Promise<Pcm> {
  if (sink instanceof MemoryPcmSink) return { kind: 'memory', samples: sink.samples() };
  if (sink instanceof FilePcmSink) return { kind: 'file', samples: await sink.source() };
  throw new Error('unknown PCM sink');
}

function truncatedWavMessage(declaredBytes: number, presentBytes: number): string {
  return `WAV data chunk declares ${declaredBytes} bytes, the file holds ${presentBytes}`;
}

/** The built-in parser's truncation check for a WAV that ffmpeg decodes (A-law, ADPCM, …). */
async function wavTruncation(input: AudioInput): Promise<string[]> {
  const { value: layout } = await withWavHead<WavLayout>(input, await input.read(0, HEAD_BYTES), (h) => walkWavChunks(h, input.size));
  const data = layout.data;
  return data && data.declaredBytes !== null && data.declaredBytes > data.presentBytes ? [truncatedWavMessage(data.declaredBytes, data.presentBytes)] : [];
}

async function decodeWithFfmpegOrFail(input: AudioInput, target: Target, format: AudioFormat, options: DecodeOptions, wavError?: AppError): Promise<RawDecode> {
  if (options.ffmpegPath === null) {
    const what = wavError ? `This WAV encoding (${wavError.message})` : `Decoding ${format}`;
    throw new AppError('DECODER_UNAVAILABLE', `${what} needs ffmpeg, which is disabled (ffmpegPath: null); only PCM/float WAV is decoded without it`, {
      cause: wavError,
      details: { format },
    });
  }
  const ffmpegOptions = {
    ffmpegPath: options.ffmpegPath ?? 'ffmpeg',
    sampleRate: TARGET_SAMPLE_RATE,
    ...(options.maxDurationS !== undefined && { maxDurationS: options.maxDurationS }),
    ...(options.signal && { signal: options.signal }),
    ...(options.channel !== undefined && { channel: options.channel }),
  };
  const decoded = await input.withPath(
    (path) =>
      decodeFileWithFfmpeg(
        path,
        (probe): PcmSink | Promise<PcmSink> => {
          if (target.kind === 'file') return FilePcmSink.create(target.tempDir);
          return new MemoryPcmSink(expectedSamples(probe, TARGET_SAMPLE_RATE, options.maxDurationS));
        },
        ffmpegOptions,
      ),
    options.tempDir,
  );
  const { sink } = decoded;
  try {
    const { codec, sampleRate, channels, durationS } = decoded.source;
    if (options.maxDurationS !== undefined && durationS !== null && durationS > options.maxDurationS) throw tooLong(durationS, options.maxDurationS);
    const decodedS = sink.length / TARGET_SAMPLE_RATE;
    return {
      pcm: await pcmOf(sink),
      length: sink.length,
      loud: sink.loud,
      source: { format, sampleRate, channels, codec },
      outcome: {
        format,
        decodedS,
        declaredS: durationS,
        declaredEstimated: decoded.source.durationEstimated,
        errors: [...(format === 'wav' ? await wavTruncation(input) : []), ...decoded.errors],
      },
    };
  } catch (err) {
    await sink.discard();
    throw err;
  }
}

/**
 * The checks after decoding, in order; returns the audio's description (with its warning, if
 * any). A one-channel decode reports silence (`silent`) instead of failing on it.
 */
function checkDecoded(raw: RawDecode, { maxDurationS, channel }: Pick<DecodeOptions, 'maxDurationS' | 'channel'>): DecodedAudioInfo {
  const durationS = raw.length / TARGET_SAMPLE_RATE;
  const info: DecodedAudioInfo = { sampleRate: TARGET_SAMPLE_RATE, durationS, source: raw.source };
  if (maxDurationS !== undefined && durationS > maxDurationS) throw tooLong(durationS, maxDurationS);
  const warning = judgeDecode(raw.outcome);
  if (raw.length === 0) throw new AppError('AUDIO_EMPTY', 'The audio is zero-length (no samples after decoding)', { details: { format: raw.source.format } });
  if (channel !== undefined) info.silent = !raw.loud;
  else if (!raw.loud) {
    throw new AppError('AUDIO_SILENT', `The audio is silent (peak below ${SILENCE_PEAK}, about −80 dBFS)`, { details: { durationS } });
  }
  return warning ? { ...info, warnings: [warning] } : info;
}

function tooLong(durationS: number, maxDurationS: number): AppError {
  return new AppError('AUDIO_TOO_LONG', `The audio lasts ${durationS.toFixed(1)} s, more than the ${maxDurationS} s limit`, {
    details: { durationS, maxDurationS },
  });
}
