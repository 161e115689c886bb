/**
 * Decoding through the system ffmpeg (Debian's `ffmpeg` package ships both
 * `ffmpeg` and `ffprobe`). ffmpeg reads a file, not stdin, because MP4/M4A
 * needs seeking (the moov atom is often at the end): the caller's file, or a
 * temp copy of the caller's bytes. Its stdout goes to a PcmSink as it comes. ffmpeg
 * converts to mono float at the target rate with its swr resampler, which is
 * anti-aliased.
 *
 * Every failure is an AppError: a missing binary is DECODER_UNAVAILABLE, bad
 * input AUDIO_CORRUPT or AUDIO_UNSUPPORTED_FORMAT (ffmpeg's trimmed stderr in
 * `details.stderr`), an abort JOB_CANCELED. Child-process errors are always
 * handled, the child is killed on abort and the temp file is always removed.
 *
 * Damaged input: ffmpeg skips what it cannot decode and goes on, so a file can
 * yield samples *and* errors. Only "no samples at all" fails here; otherwise the
 * complaints come back in `errors` and decode.ts applies the partial-decode rule
 * (decode-completeness.ts). Complaints are: ffmpeg's messages at `-v error` (the
 * `[decoder @ 0x…]` addresses removed, so the same file gives the same text),
 * a non-zero exit (ffmpeg exits 69 when more than 2/3 of the frames failed), and
 * ffprobe's warning that the file is shorter than its header says (MP3 with a
 * Xing/Info byte count, ≥ 1/16 missing). `-err_detect` stays at its default:
 * `explode` (like `-xerror`) would drop the rest of a mostly good file at the
 * first damaged frame, and the rule judges the outcome instead. Audio decoding
 * runs on one thread (`-threads 1`), so the output never depends on scheduling.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { AppError } from '../errors/app-error.js';
import { bytesInput } from './audio-input.js';
import { checkChannel } from './channel.js';
import { MemoryPcmSink, type PcmSink } from './pcm-sink.js';
import { implausibleStream } from './plausible-stream.js';

export interface FfmpegDecodeOptions {
  /** ffmpeg executable. @defaultValue `'ffmpeg'` (looked up on PATH) */
  ffmpegPath?: string;
  /** ffprobe executable. @defaultValue ffmpegPath with `ffmpeg` in its file name replaced by `ffprobe` */
  ffprobePath?: string;
  /** Output rate in Hz. @defaultValue 16000 */
  sampleRate?: number;
  /** Stop decoding 1 s past this duration (the caller rejects the file anyway). */
  maxDurationS?: number;
  signal?: AbortSignal;
  /** Parent of the per-call temp directory holding the input. @defaultValue `os.tmpdir()` */
  tempDir?: string;
  /** Decode this channel (0-based) alone instead of the mix-down of all channels. */
  channel?: number;
}

/** The first audio stream as ffprobe reports it. */
export interface FfprobeAudio {
  /** ffmpeg codec name, e.g. "mp3", "aac", "opus", "pcm_s16le". */
  codec: string;
  sampleRate: number;
  channels: number;
  /** Container or stream duration when known (WebM from MediaRecorder often has none). */
  durationS: number | null;
  /**
   * True when `durationS` is ffmpeg's estimate from the bit rate and the file size (MP3
   * without a Xing/VBRI header, raw ADTS AAC): how long the bytes present would play at the
   * first frames' bit rate, not what an encoder wrote. It cannot reveal a truncated file, and
   * is off for VBR audio.
   */
  durationEstimated: boolean;
  /** ffprobe's complaint that the file is shorter than its header says (MP3 Xing byte count), else null. */
  shorterThanHeader: string | null;
  /** ffmpeg demuxer name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
}

export interface FfmpegDecoded {
  /** (n,) mono float at `sampleRate`. */
  samples: Float32Array;
  sampleRate: number;
  source: FfprobeAudio;
  /** What ffmpeg/ffprobe reported about damage (see the module comment), trimmed; empty for a clean decode. */
  errors: string[];
}

const INSTALL_HINT = 'install it with `apt-get install ffmpeg` (it provides ffmpeg and ffprobe) or set the ffmpeg path';
const STDERR_KEEP_CHARS = 8192;
/** Longest duration a memory decode preallocates for (a broken header may claim hours). */
const MAX_PREALLOCATED_S = 3600;
const STDERR_DETAIL_CHARS = 2000;
/** Distinct decoder messages kept, and the characters kept of each. */
const MAX_MESSAGES = 8;
const MESSAGE_CHARS = 200;

/** Decodes the first audio stream of `bytes` to mono float at `options.sampleRate` (16 kHz), in memory. */
export async function decodeWithFfmpeg(bytes: Uint8Array, options: FfmpegDecodeOptions = {}): Promise<FfmpegDecoded> {
  throwIfAborted(options.signal);
  const sampleRate = options.sampleRate ?? 16000;
  return bytesInput(bytes).withPath(async (input) => {
    const sinkFor = (source: FfprobeAudio): MemoryPcmSink => new MemoryPcmSink(expectedSamples(source, sampleRate, options.maxDurationS));
    const { sink, source, errors } = await decodeFileWithFfmpeg(input, sinkFor, options);
    return { samples: sink.samples(), sampleRate, source, errors };
  }, options.tempDir);
}

/**
 * Samples to preallocate for an in-memory decode: the probed duration with 2 % to spare, capped
 * (a broken header may claim hours; the buffer grows if needed).
 */
export function expectedSamples(source: FfprobeAudio, sampleRate: number, maxDurationS?: number): number {
  const expectedS = Math.min(source.durationS ?? 60, maxDurationS === undefined ? Infinity : maxDurationS + 1, MAX_PREALLOCATED_S);
  return Math.ceil(expectedS * sampleRate * 1.02) + 16384;
}

/** What `decodeFileWithFfmpeg` decoded: the sink holding the samples and what ffmpeg reported. */
export interface FfmpegDecodedInto<S extends PcmSink> {
  sink: S;
  source: FfprobeAudio;
  /** What ffmpeg/ffprobe reported about damage (see the module comment), trimmed; empty for a clean decode. */
  errors: string[];
}

/**
 * Decodes the first audio stream of the file at `input` to mono float at `options.sampleRate`
 * into the sink `sinkFor` returns once the stream is probed. ffmpeg's stdout is consumed as it
 * comes, with back-pressure: when the sink is full, stdout pauses until the sink has flushed.
 * The sink is discarded when decoding fails.
 */
export async function decodeFileWithFfmpeg<S extends PcmSink>(
  input: string,
  sinkFor: (source: FfprobeAudio) => S | Promise<S>,
  options: FfmpegDecodeOptions = {},
): Promise<FfmpegDecodedInto<S>> {
  const ffmpegPath = options.ffmpegPath ?? 'ffmpeg';
  const ffprobePath = options.ffprobePath ?? defaultFfprobePath(ffmpegPath);
  const sampleRate = options.sampleRate ?? 16000;
  throwIfAborted(options.signal);
  const source = await probeAudio(ffprobePath, input, options.signal);
  const { channel } = options;
  checkChannel(channel, source.channels);
  // One channel: the pan filter copies it to a mono output; otherwise ffmpeg's own mix-down.
  const mono = channel === undefined ? ['-ac', '1'] : ['-af', `pan=mono|c0=c${channel}`];
  const args = ['-v', 'error', '-nostdin', '-threads', '1', '-i', input, '-map', '0:a:0', ...mono, '-ar', String(sampleRate)];
  if (options.maxDurationS !== undefined) args.push('-t', String(options.maxDurationS + 1));
  args.push('-f', 'f32le', 'pipe:1');
  const sink = await sinkFor(source);
  // A sink that cannot store (disk full) stops ffmpeg through this controller.
  const sinkFailed = new AbortController();
  let sinkFailure: unknown = null;
  let paused = false;
  const onStdout = (chunk: Buffer, stdout: Readable): void => {
    sink.writeBytes(chunk);
    if (!sink.full || paused) return;
    paused = true;
    stdout.pause();
    sink.flush().then(
      () => {
        paused = false;
        stdout.resume();
      },
      (err: unknown) => {
        sinkFailure = err;
        sinkFailed.abort();
      },
    );
  };
  try {
    let result: RunResult;
    try {
      result = await run(ffmpegPath, args, options.signal ? AbortSignal.any([options.signal, sinkFailed.signal]) : sinkFailed.signal, onStdout);
    } catch (err) {
      throw sinkFailure ?? err;
    }
    await sink.flush();
    const stderr = result.stderr.replaceAll(input, 'input');
    if (result.code === null) {
      // Killed by a signal that was not our abort (OOM killer, operator): not the file's fault.
      throw new AppError('INTERNAL', 'ffmpeg was killed before it finished decoding', { details: { stderr: trim(stderr) } });
    }
    if (sink.length === 0 && result.code !== 0) throw inputError(`ffmpeg could not decode the ${source.codec} audio`, stderr, result.code);
    if (sink.length === 0 && stderr.trim() !== '') throw inputError(`ffmpeg decoded no samples from the ${source.codec} audio`, stderr, result.code);
    const errors = [
      ...(source.shorterThanHeader ? [`ffprobe: ${source.shorterThanHeader}`] : []),
      ...decoderMessages(stderr),
      ...(result.code !== 0 ? [`ffmpeg exited with code ${result.code}`] : []),
    ];
    return { sink, source, errors };
  } catch (err) {
    await sink.discard();
    throw err;
  }
}

/** Runs ffprobe on `file` and returns its first audio stream. */
export async function probeAudio(ffprobePath: string, file: string, signal?: AbortSignal): Promise<FfprobeAudio> {
  // `-v warning` for two warnings that matter (an estimated duration, a file shorter than its header).
  const args = ['-v', 'warning', '-print_format', 'json', '-show_streams', '-show_format', '-select_streams', 'a:0', file];
  const chunks: Buffer[] = [];
  const result = await run(ffprobePath, args, signal, (chunk) => chunks.push(chunk));
  const stderr = result.stderr.replaceAll(file, 'input');
  if (result.code !== 0) throw inputError('ffprobe could not read the file', stderr, result.code);
  let parsed: { streams?: Array<Record<string, unknown>>; format?: Record<string, unknown> };
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof parsed;
  } catch (err) {
    throw new AppError('AUDIO_CORRUPT', 'ffprobe printed unreadable output', { cause: err, details: { stderr: trim(stderr) } });
  }
  const stream = parsed.streams?.[0];
  const formatName = String(parsed.format?.format_name ?? 'unknown');
  if (!stream) {
    throw new AppError('AUDIO_UNSUPPORTED_FORMAT', `The file (${formatName}) contains no audio stream`, { details: { formatName } });
  }
  const durationS = toNumber(stream.duration) ?? toNumber(parsed.format?.duration);
  const codec = String(stream.codec_name ?? 'unknown');
  const sampleRate = toNumber(stream.sample_rate) ?? 0;
  const channels = toNumber(stream.channels) ?? 0;
  const implausible = implausibleStream({ channels, sampleRate });
  if (implausible) {
    throw new AppError('AUDIO_CORRUPT', `ffprobe reports ${implausible} for the ${codec} stream: the header is broken`, {
      details: { codec, channels, sampleRate, formatName },
    });
  }
  const messages = decoderMessages(stderr);
  return {
    codec,
    sampleRate,
    channels,
    durationS,
    durationEstimated: durationS !== null && messages.some((m) => /Estimating duration from bitrate/i.test(m)),
    shorterThanHeader: messages.find((m) => /filesize and duration do not match/i.test(m)) ?? null,
    formatName,
  };
}

/**
 * ffmpeg's stderr as distinct messages in order of first appearance: `[mp3float @ 0x55…]`
 * becomes `[mp3float]`, at most MAX_MESSAGES of MESSAGE_CHARS each (+ "… N more").
 */
export function decoderMessages(stderr: string): string[] {
  const seen = new Set<string>();
  for (const line of stderr.split(/\r?\n/)) {
    const text = line.replace(/ @ 0x[0-9a-f]+\]/gi, ']').trim();
    if (text !== '') seen.add(text.length > MESSAGE_CHARS ? `${text.slice(0, MESSAGE_CHARS - 1)}…` : text);
  }
  const all = [...seen];
  return all.length > MAX_MESSAGES ? [...all.slice(0, MAX_MESSAGES), `… ${all.length - MAX_MESSAGES} more`] : all;
}

/** `/usr/bin/ffmpeg` → `/usr/bin/ffprobe`; a name without "ffmpeg" → `ffprobe` on PATH. */
export function defaultFfprobePath(ffmpegPath: string): string {
  const name = basename(ffmpegPath);
  if (!name.includes('ffmpeg')) return 'ffprobe';
  const probeName = name.replace(/ffmpeg(?!.*ffmpeg)/, 'ffprobe');
  return ffmpegPath.includes('/') ? join(dirname(ffmpegPath), probeName) : probeName;
}

interface RunResult {
  code: number | null;
  stderr: string;
}

/** Spawns `command`; resolves on close with the exit code and the tail of stderr. Never throws anything but AppError. */
function run(
  command: string,
  args: string[],
  signal: AbortSignal | undefined,
  onStdout: (chunk: Buffer, stdout: Readable) => void,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let stderr = '';
    const finish = (err: AppError | null, code: number | null = null): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve({ code, stderr });
    };
    const onAbort = (): void => {
      child.kill('SIGKILL');
      finish(canceled(signal));
    };
    let child: ChildProcessByStdio<null, Readable, Readable>;
    try {
      child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      // spawn throws synchronously only for unusable arguments (e.g. a NUL byte in the path)
      finish(new AppError('DECODER_UNAVAILABLE', `cannot run '${command}': ${INSTALL_HINT}`, { cause: err, details: { command } }));
      return;
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES') {
        finish(new AppError('DECODER_UNAVAILABLE', `${basename(command)} was not found at '${command}': ${INSTALL_HINT}`, { cause: err, details: { command } }));
      } else {
        child.kill('SIGKILL');
        finish(new AppError('INTERNAL', `running ${basename(command)} failed: ${err.message}`, { cause: err }));
      }
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (!settled) onStdout(chunk, child.stdout);
    });
    child.stdout.on('error', () => undefined); // the close/exit path reports the outcome
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      stderr = (stderr + text).slice(-STDERR_KEEP_CHARS);
    });
    child.stderr.on('error', () => undefined);
    child.on('close', (code) => finish(null, code));
    if (signal) {
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    }
  });
}

function inputError(message: string, stderr: string, exitCode: number | null): AppError {
  const unsupported = /decoder .*not found|unknown decoder|unsupported codec|not implemented|no decoder/i.test(stderr);
  return new AppError(unsupported ? 'AUDIO_UNSUPPORTED_FORMAT' : 'AUDIO_CORRUPT', message, { details: { stderr: trim(stderr), exitCode } });
}

function canceled(signal: AbortSignal | undefined): AppError {
  return new AppError('JOB_CANCELED', 'audio decoding was aborted', { cause: signal?.reason });
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw canceled(signal);
}

function trim(text: string): string {
  const t = text.trim();
  return t.length > STDERR_DETAIL_CHARS ? `…${t.slice(-STDERR_DETAIL_CHARS)}` : t;
}

function toNumber(value: unknown): number | null {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
}
