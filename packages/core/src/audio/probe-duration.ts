/**
 * How long is this audio, cheaply? The API asks at submission so the scaling signal can weigh a
 * job by its audio seconds before any worker decodes it. Only the head of the file is read (at
 * most `maxHeadBytes`), never decoded:
 * - WAV: the data chunk's declared size over the byte rate (what the header declares);
 * - other containers: ffprobe on the head, trusted only when the duration comes from a header
 *   (MP3 Xing/VBRI, FLAC STREAMINFO, MP4 moov, WebM Duration, AIFF COMM). A duration ffmpeg
 *   estimates from the bit rate, or an Ogg/ADTS duration read from a cut-off head, is no answer.
 * Every failure is `null` (unknown): the worker learns the exact duration when it decodes.
 * A header can lie, so the answer is marked `exact: false`; the worker's decode replaces it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { defaultFfprobePath, probeAudio } from './ffmpeg-decode.js';
import { sniffFormat, type AudioFormat } from './sniff-format.js';
import { parseWavHeader } from './wav.js';

export interface AudioDuration {
  durationS: number;
  /** true once decoded (worker); false when read from a container header (API). */
  exact: boolean;
}

export interface ProbeDurationOptions {
  /** ffmpeg binary (ffprobe is found beside it); null probes WAV only. @defaultValue 'ffmpeg' */
  ffmpegPath?: string | null;
  /** @defaultValue 1 MiB */
  maxHeadBytes?: number;
  /** Gives up (null) after this long. @defaultValue 3000 */
  timeoutMs?: number;
}

/** Containers whose duration a cut-off head cannot tell (read from the last page / frame count). */
const NEEDS_WHOLE_FILE: readonly AudioFormat[] = ['ogg', 'aac'];

/** Reads the head of `source` (destroying it afterwards) and returns the declared duration, or null. */
export async function probeDuration(source: Readable, options: ProbeDurationOptions = {}): Promise<AudioDuration | null> {
  const maxHeadBytes = options.maxHeadBytes ?? 1024 * 1024;
  const timeoutMs = options.timeoutMs ?? 3000;
  const signal = AbortSignal.timeout(timeoutMs);
  source.on('error', () => undefined); // a late error of the abandoned rest must not crash anyone
  try {
    const { head, complete } = await readHead(source, maxHeadBytes, signal);
    return await durationOf(head, complete, options.ffmpegPath === undefined ? 'ffmpeg' : options.ffmpegPath, signal);
  } catch {
    return null;
  } finally {
    source.destroy();
  }
}

async function durationOf(head: Uint8Array, complete: boolean, ffmpegPath: string | null, signal: AbortSignal): Promise<AudioDuration | null> {
  const format = sniffFormat(head);
  if (format === null) return null;
  if (format === 'wav') {
    const info = parseWavHeader(head);
    const frames = complete ? info.frameCount : info.declaredFrameCount;
    return frames === null || frames <= 0 ? null : { durationS: frames / info.sampleRate, exact: false };
  }
  if (ffmpegPath === null || (!complete && NEEDS_WHOLE_FILE.includes(format))) return null;
  const dir = await mkdtemp(join(tmpdir(), 'earshot-probe-'));
  try {
    const file = join(dir, 'head');
    await writeFile(file, head);
    const probed = await probeAudio(defaultFfprobePath(ffmpegPath), file, signal);
    if (probed.durationS === null || probed.durationS <= 0 || probed.durationEstimated) return null;
    return { durationS: probed.durationS, exact: false };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function readHead(source: Readable, maxBytes: number, signal: AbortSignal): Promise<{ head: Uint8Array; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (complete: boolean): void => {
      cleanup();
      resolve({ head: Buffer.concat(chunks).subarray(0, maxBytes), complete });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= maxBytes) done(false);
    };
    const onEnd = (): void => done(true);
    const onError = (err: Error): void => {
      cleanup();
      reject(err);
    };
    const onAbort = (): void => onError(new Error('timed out reading the head'));
    const cleanup = (): void => {
      source.off('data', onData);
      source.off('end', onEnd);
      source.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      source.pause();
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
