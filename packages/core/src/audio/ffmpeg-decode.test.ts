import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { seededBytes } from './damage-audio.js';
import { decodeWithFfmpeg, decoderMessages, defaultFfprobePath } from './ffmpeg-decode.js';

let root: string;
let temp: string; // tempDir given to every call: must be empty after each one
let mp3: Uint8Array;

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'earshot-ffmpeg-test-'));
  temp = join(root, 'tmp');
  await mkdir(temp);
  const speech = join(root, 'speech.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '170', '-w', speech, 'Testing the decoder.']);
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', speech, '-c:a', 'libmp3lame', '-b:a', '48k', join(root, 'speech.mp3')]);
  mp3 = await readFile(join(root, 'speech.mp3'));
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', speech, '-c:a', 'flac', join(root, 'speech.flac')]);
});

/** An A-law WAV (which ffmpeg, not the built-in parser, decodes) with any header values; seeded samples. */
function alawWav(channels: number, sampleRate: number, durationS: number): Uint8Array {
  const dataBytes = Math.round(channels * sampleRate * durationS);
  const bytes = new Uint8Array(44 + dataBytes);
  const view = new DataView(bytes.buffer);
  const ascii = (at: number, text: string): void => bytes.set([...text].map((c) => c.charCodeAt(0)), at);
  ascii(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  ascii(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 6, true); // WAVE_FORMAT_ALAW
  view.setUint16(22, channels, true);
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * channels, true);
  view.setUint16(32, channels, true);
  view.setUint16(34, 8, true);
  ascii(36, 'data');
  view.setUint32(40, dataBytes, true);
  bytes.set(seededBytes(dataBytes, 3), 44);
  return bytes;
}

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('decodeWithFfmpeg', () => {
  it('decodes MP3 to 16 kHz mono float and reports the source stream', async () => {
    const expectedS = Number(execFileSync('soxi', ['-D', join(root, 'speech.wav')]).toString());
    const out = await decodeWithFfmpeg(mp3, { tempDir: temp });
    expect(out.sampleRate).toBe(16000);
    expect(out.source).toMatchObject({ codec: 'mp3', sampleRate: 22050, channels: 1 });
    expect(Math.abs(out.samples.length / 16000 - expectedS)).toBeLessThan(0.05);
    expect(Math.max(...out.samples.map(Math.abs))).toBeGreaterThan(0.05);
    expect(await readdir(temp)).toEqual([]);
  });

  it('honours sampleRate and stops 1 s past maxDurationS', async () => {
    const out = await decodeWithFfmpeg(mp3, { tempDir: temp, sampleRate: 8000, maxDurationS: 0.2 });
    expect(out.samples.length).toBe(Math.round(1.2 * 8000));
  });

  it('reports a missing ffmpeg or ffprobe as DECODER_UNAVAILABLE naming apt-get install ffmpeg', async () => {
    const noFfmpeg = await expectAppError(decodeWithFfmpeg(mp3, { ffmpegPath: join(root, 'missing', 'ffmpeg'), tempDir: temp }), 'DECODER_UNAVAILABLE');
    expect(noFfmpeg.message).toMatch(/apt-get install ffmpeg/);
    const noProbe = await expectAppError(decodeWithFfmpeg(mp3, { ffprobePath: '/nonexistent/ffprobe', tempDir: temp }), 'DECODER_UNAVAILABLE');
    expect(noProbe.message).toMatch(/ffprobe/);
    expect(await readdir(temp)).toEqual([]);
  });

  it('reports garbled MP3 as AUDIO_CORRUPT with ffmpeg stderr (without the temp path)', async () => {
    const garbled = new Uint8Array(4000);
    garbled.set(mp3.subarray(0, 4));
    for (let i = 4; i < garbled.length; i++) garbled[i] = (i * 7919) % 251;
    const err = await expectAppError(decodeWithFfmpeg(garbled, { tempDir: temp }), 'AUDIO_CORRUPT');
    const stderr = String(err.details?.stderr);
    expect(stderr.length).toBeGreaterThan(0);
    expect(stderr).not.toContain(temp);
    expect(await readdir(temp)).toEqual([]);
  });

  it('returns decoder errors with the samples of a damaged file, and none for a clean one', async () => {
    expect((await decodeWithFfmpeg(mp3, { tempDir: temp })).errors).toEqual([]);
    const flac = await readFile(join(root, 'speech.flac'));
    const cut = await decodeWithFfmpeg(flac.subarray(0, Math.floor(flac.length * 0.8)), { tempDir: temp });
    expect(cut.samples.length).toBeGreaterThan(0);
    expect(cut.errors.length).toBeGreaterThan(0);
    expect(cut.errors.join('\n')).toMatch(/^\[flac\] /m);
    expect(cut.source.durationEstimated).toBe(false);
    expect(await readdir(temp)).toEqual([]);
  });

  it('says when the duration is only an estimate from the bit rate (MP3 without Xing header)', async () => {
    const noXing = join(root, 'no-xing.mp3');
    execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', join(root, 'speech.wav'), '-write_xing', '0', '-c:a', 'libmp3lame', '-b:a', '48k', noXing]);
    const out = await decodeWithFfmpeg(await readFile(noXing), { tempDir: temp });
    expect(out.source.durationEstimated).toBe(true);
    expect(out.source.durationS).toBeGreaterThan(0);
    expect((await decodeWithFfmpeg(mp3, { tempDir: temp })).source.durationEstimated).toBe(false);
  });

  it.each([
    [300, 8000, /300 channels/],
    [1, 500, /sample rate of 500 Hz/],
    [1, 2_000_000, /sample rate of 2000000 Hz/],
  ])('refuses what ffprobe reports as %i channel(s) at %i Hz as AUDIO_CORRUPT', async (channels, sampleRate, message) => {
    const err = await expectAppError(decodeWithFfmpeg(alawWav(channels, sampleRate, 0.1), { tempDir: temp }), 'AUDIO_CORRUPT');
    expect(err.message).toMatch(message);
    expect(await readdir(temp)).toEqual([]);
  });

  it('reports a file without an audio stream as AUDIO_UNSUPPORTED_FORMAT', async () => {
    const video = join(root, 'video.mp4');
    execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-f', 'lavfi', '-i', 'color=c=black:s=32x32:d=0.2', '-c:v', 'mpeg4', video]);
    const err = await expectAppError(decodeWithFfmpeg(await readFile(video), { tempDir: temp }), 'AUDIO_UNSUPPORTED_FORMAT');
    expect(err.message).toMatch(/no audio stream/);
  });

  it('kills ffmpeg on abort, rejects with JOB_CANCELED and removes the temp file', async () => {
    const fakeDir = join(root, 'fake');
    await mkdir(fakeDir, { recursive: true });
    const fakeFfmpeg = join(fakeDir, 'ffmpeg');
    const pidFile = join(fakeDir, 'ffmpeg.pid');
    // A real long-running child standing in for a slow decode: records its pid, then blocks.
    await writeFile(fakeFfmpeg, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 30\n`);
    await chmod(fakeFfmpeg, 0o755);
    const controller = new AbortController();
    const pending = decodeWithFfmpeg(mp3, { ffmpegPath: fakeFfmpeg, ffprobePath: 'ffprobe', tempDir: temp, signal: controller.signal });
    for (let i = 0; i < 1000 && !(existsSync(pidFile) && (await readFile(pidFile, 'utf8')).endsWith('\n')); i++) await sleep(10);
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    expect(processAlive(pid)).toBe(true);
    controller.abort();
    await expectAppError(pending, 'JOB_CANCELED');
    for (let i = 0; i < 500 && processAlive(pid); i++) await sleep(10);
    expect(processAlive(pid)).toBe(false);
    expect(await readdir(temp)).toEqual([]);
  });

  it('does not start when the signal is already aborted', async () => {
    await expectAppError(decodeWithFfmpeg(mp3, { tempDir: temp, signal: AbortSignal.abort() }), 'JOB_CANCELED');
    expect(await readdir(temp)).toEqual([]);
  });
});

describe('decoderMessages', () => {
  it('drops heap addresses and repeats, and keeps at most 8 messages', () => {
    const stderr = '[mp3float @ 0x55d1c0a3e740] Header missing\nError while decoding stream #0:0\n[mp3float @ 0x55d1c0a3e740] Header missing\n\n';
    expect(decoderMessages(stderr)).toEqual(['[mp3float] Header missing', 'Error while decoding stream #0:0']);
    const many = Array.from({ length: 12 }, (_, i) => `error ${i}`).join('\n');
    expect(decoderMessages(many)).toEqual([...Array.from({ length: 8 }, (_, i) => `error ${i}`), '… 4 more']);
  });
});

describe('defaultFfprobePath', () => {
  it.each([
    ['ffmpeg', 'ffprobe'],
    ['/usr/bin/ffmpeg', '/usr/bin/ffprobe'],
    ['/opt/ffmpeg/bin/ffmpeg-6', '/opt/ffmpeg/bin/ffprobe-6'],
    ['/opt/tools/avconv', 'ffprobe'],
  ])('%s → %s', (ffmpeg, ffprobe) => {
    expect(defaultFfprobePath(ffmpeg)).toBe(ffprobe);
  });
});
