import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { decodeAudio, isSilent, readAudioFile, type DecodedAudio } from './decode.js';
import { decodeWithFfmpeg } from './ffmpeg-decode.js';
import { parseWavHeader } from './wav.js';

const TEXT = 'Earshot turns recorded speech into text. Please call me back tomorrow.';

let dir: string;
let reference: DecodedAudio; // the 16 kHz 16-bit WAV through the built-in path
let speechS: number; // duration of espeak's original output

const path = (name: string): string => join(dir, name);
const sox = (...args: string[]): void => void execFileSync('sox', ['-D', ...args]);
const ffmpeg = (input: string, output: string, ...args: string[]): void =>
  void execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-i', path(input), ...args, path(output)]);

/** Max over lags |l| ≤ maxLag of Σ a[i]·b[i+l] / (‖a‖·‖b‖). */
function correlation(a: Float32Array, b: Float32Array, maxLag: number): number {
  let ea = 0;
  let eb = 0;
  for (const v of a) ea += v * v;
  for (const v of b) eb += v * v;
  let best = -1;
  for (let lag = -maxLag; lag <= maxLag; lag++) {
    let sum = 0;
    const start = Math.max(0, -lag);
    const end = Math.min(a.length, b.length - lag);
    for (let i = start; i < end; i++) sum += a[i]! * b[i + lag]!;
    best = Math.max(best, sum / Math.sqrt(ea * eb));
  }
  return best;
}

/** Bitwise equality (vitest's deep equality walks typed arrays element by element, slowly). */
function sameSamples(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

async function expectAppError(promise: Promise<unknown>, code: string): Promise<AppError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe(code);
  return err as AppError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-decode-test-'));
  execFileSync('espeak-ng', ['-v', 'en-us', '-s', '170', '-w', path('espeak.wav'), TEXT]); // 22050 Hz s16 mono
  speechS = Number(execFileSync('soxi', ['-D', path('espeak.wav')]).toString());
  sox(path('espeak.wav'), '-r', '16000', '-b', '16', path('s16.wav'));
  sox(path('s16.wav'), '-b', '8', path('u8.wav'));
  sox(path('s16.wav'), '-b', '24', path('s24.wav'));
  sox(path('s16.wav'), '-b', '32', path('s32.wav'));
  sox(path('s16.wav'), '-e', 'floating-point', '-b', '32', path('f32.wav'));
  sox(path('espeak.wav'), '-r', '48000', '-b', '16', path('stereo48.wav'), 'remix', '1', '1v0.5');
  sox(path('espeak.wav'), '-r', '44100', '-b', '16', path('s44.wav'));
  sox(path('espeak.wav'), '-r', '8000', '-b', '16', path('s8k.wav'));
  sox(path('espeak.wav'), '-e', 'a-law', path('alaw.wav'));
  sox('-n', '-r', '16000', '-b', '16', '-c', '1', path('silence.wav'), 'trim', '0', '1');
  ffmpeg('espeak.wav', 'speech.mp3', '-c:a', 'libmp3lame', '-b:a', '64k');
  ffmpeg('espeak.wav', 'speech.flac', '-c:a', 'flac');
  ffmpeg('espeak.wav', 'vorbis.ogg', '-c:a', 'libvorbis', '-q:a', '4');
  ffmpeg('espeak.wav', 'opus.ogg', '-c:a', 'libopus', '-b:a', '64k');
  ffmpeg('espeak.wav', 'speech.m4a', '-c:a', 'aac', '-b:a', '96k');
  ffmpeg('espeak.wav', 'speech.webm', '-c:a', 'libopus', '-b:a', '64k');
  ffmpeg('espeak.wav', 'speech.aac', '-c:a', 'aac', '-b:a', '96k', '-f', 'adts');
  ffmpeg('espeak.wav', 'speech.aiff');
  reference = await readAudioFile(path('s16.wav'), { ffmpegPath: null });
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('decodeAudio: WAV through the built-in parser and resampler', () => {
  it('decodes the 16-bit reference to 16 kHz mono of the expected duration', () => {
    expect(reference.sampleRate).toBe(16000);
    expect(reference.source).toEqual({ format: 'wav', sampleRate: 16000, channels: 1, codec: 'pcm_s16le' });
    expect(Math.abs(reference.durationS - speechS)).toBeLessThan(0.005);
    expect(reference.samples.length).toBe(Math.round(reference.durationS * 16000));
  });

  it.each([
    ['u8.wav', 16000, 1, 'pcm_u8', 0.99],
    ['s24.wav', 16000, 1, 'pcm_s24le', 0.9999],
    ['s32.wav', 16000, 1, 'pcm_s32le', 0.9999],
    ['f32.wav', 16000, 1, 'pcm_f32le', 0.9999],
    ['stereo48.wav', 48000, 2, 'pcm_s16le', 0.99],
    ['s44.wav', 44100, 1, 'pcm_s16le', 0.99],
    ['s8k.wav', 8000, 1, 'pcm_s16le', 0.9],
  ])('%s (%i Hz, %i ch, %s) decodes without ffmpeg and matches the reference', async (name, sampleRate, channels, codec, minCorrelation) => {
    const bytes = await readFile(path(name));
    const decoded = await decodeAudio(bytes, { ffmpegPath: '/nonexistent/ffmpeg' }); // proves ffmpeg is not run
    expect(decoded.source).toEqual({ format: 'wav', sampleRate, channels, codec });
    expect(Math.abs(decoded.durationS - speechS)).toBeLessThan(0.005);
    expect(correlation(decoded.samples, reference.samples, 16)).toBeGreaterThan(minCorrelation);
    const withoutFfmpeg = await decodeAudio(bytes, { ffmpegPath: null });
    expect(sameSamples(withoutFfmpeg.samples, decoded.samples)).toBe(true);
  });

  it('resamples 48 kHz stereo like ffmpeg does (correlation > 0.99 with ffmpeg swr)', async () => {
    const bytes = await readFile(path('stereo48.wav'));
    const ours = await decodeAudio(bytes);
    const theirs = await decodeWithFfmpeg(bytes);
    expect(correlation(ours.samples, theirs.samples, 4)).toBeGreaterThan(0.99);
  });

  it('hands A-law WAV to ffmpeg, or reports DECODER_UNAVAILABLE when ffmpeg is disabled', async () => {
    const bytes = await readFile(path('alaw.wav'));
    const decoded = await decodeAudio(bytes);
    expect(decoded.source).toEqual({ format: 'wav', sampleRate: 22050, channels: 1, codec: 'pcm_alaw' });
    expect(correlation(decoded.samples, reference.samples, 16)).toBeGreaterThan(0.95);
    const err = await expectAppError(decodeAudio(bytes, { ffmpegPath: null }), 'DECODER_UNAVAILABLE');
    expect(err.message).toMatch(/A-law/);
  });

  it('decodes the whole frames of a WAV cut mid-frame (refused when the header declares far more)', async () => {
    const bytes = new Uint8Array(await readFile(path('stereo48.wav')));
    const { dataOffset } = parseWavHeader(bytes);
    const cut = bytes.slice(0, dataOffset + 4 * 24000 + 3); // 0.5 s of frames + 3 stray bytes
    await expectAppError(decodeAudio(cut), 'AUDIO_CORRUPT'); // 0.5 s of the 4.7 s the data chunk declares
    new DataView(cut.buffer).setUint32(dataOffset - 4, 4 * 24000 + 3, true); // a data chunk of exactly what is there
    const decoded = await decodeAudio(cut);
    expect(decoded.samples.length).toBe(8000);
    expect(decoded.warnings).toBeUndefined();
  });
});

describe('decodeAudio: compressed formats through ffmpeg', () => {
  // [file, format, codec, duration tolerance (s), alignment search (samples)]
  it.each([
    ['speech.mp3', 'mp3', 'mp3', 0.05, 160],
    ['speech.flac', 'flac', 'flac', 0.005, 16],
    ['vorbis.ogg', 'ogg', 'vorbis', 0.05, 160],
    ['opus.ogg', 'ogg', 'opus', 0.05, 160],
    ['speech.m4a', 'mp4', 'aac', 0.05, 160],
    ['speech.webm', 'webm', 'opus', 0.05, 160],
    // raw ADTS cannot signal the encoder delay: ffmpeg keeps 1024 priming samples (46 ms here) and the padding
    ['speech.aac', 'aac', 'aac', 0.1, 1600],
    ['speech.aiff', 'aiff', 'pcm_s16be', 0.005, 16],
  ])('%s decodes as %s/%s to 16 kHz mono matching the WAV reference', async (name, format, codec, toleranceS, maxLag) => {
    const decoded = await readAudioFile(path(name));
    expect(decoded.sampleRate).toBe(16000);
    expect(decoded.source).toMatchObject({ format, codec, channels: 1 });
    expect(decoded.source.sampleRate).toBeGreaterThan(0);
    expect(Math.abs(decoded.durationS - speechS)).toBeLessThan(toleranceS);
    expect(correlation(decoded.samples, reference.samples, maxLag)).toBeGreaterThan(0.95);
  });

  it('trusts the bytes, not the name: MP3 data named .wav decodes as MP3', async () => {
    await copyFile(path('speech.mp3'), path('actually-mp3.wav'));
    const decoded = await readAudioFile(path('actually-mp3.wav'));
    expect(decoded.source).toMatchObject({ format: 'mp3', codec: 'mp3' });
    expect(correlation(decoded.samples, reference.samples, 160)).toBeGreaterThan(0.95);
  });
});

describe('decodeAudio errors', () => {
  it('rejects 0 bytes as AUDIO_EMPTY', async () => {
    await expectAppError(decodeAudio(new Uint8Array(0)), 'AUDIO_EMPTY');
  });

  it('rejects a WAV header without samples as AUDIO_EMPTY (zero-length audio)', async () => {
    const header = (await readFile(path('s16.wav'))).subarray(0, 44);
    new DataView(header.buffer, header.byteOffset).setUint32(40, 0, true);
    const err = await expectAppError(decodeAudio(header), 'AUDIO_EMPTY');
    expect(err.message).toMatch(/zero-length/);
  });

  it('rejects random bytes as AUDIO_UNSUPPORTED_FORMAT', async () => {
    let seed = 12345;
    const random = new Uint8Array(4096).map(() => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff);
    await expectAppError(decodeAudio(random), 'AUDIO_UNSUPPORTED_FORMAT');
  });

  it('rejects a truncated or garbled MP3 as AUDIO_CORRUPT', async () => {
    const mp3 = await readFile(path('speech.mp3'));
    await expectAppError(decodeAudio(mp3.subarray(0, 300)), 'AUDIO_CORRUPT');
    const garbled = new Uint8Array(mp3.subarray(0, 5000));
    for (let i = 4; i < garbled.length; i++) garbled[i] = (i * 7919) % 251;
    await expectAppError(decodeAudio(garbled), 'AUDIO_CORRUPT');
  });

  it('rejects a WAV with a broken fmt chunk as AUDIO_CORRUPT', async () => {
    const bytes = new Uint8Array(await readFile(path('s16.wav')));
    new DataView(bytes.buffer).setUint16(22, 0, true); // 0 channels
    await expectAppError(decodeAudio(bytes), 'AUDIO_CORRUPT');
  });

  it('rejects an all-zero WAV as AUDIO_SILENT', async () => {
    await expectAppError(readAudioFile(path('silence.wav')), 'AUDIO_SILENT');
  });

  it('rejects non-WAV input as DECODER_UNAVAILABLE when ffmpeg is disabled or missing', async () => {
    const mp3 = await readFile(path('speech.mp3'));
    await expectAppError(decodeAudio(mp3, { ffmpegPath: null }), 'DECODER_UNAVAILABLE');
    const err = await expectAppError(decodeAudio(mp3, { ffmpegPath: '/nonexistent/ffmpeg' }), 'DECODER_UNAVAILABLE');
    expect(err.message).toMatch(/apt-get install ffmpeg/);
  });

  it('rejects audio longer than maxDurationS as AUDIO_TOO_LONG, for WAV and through ffmpeg', async () => {
    const wav = await expectAppError(readAudioFile(path('stereo48.wav'), { maxDurationS: 1 }), 'AUDIO_TOO_LONG');
    expect(wav.details?.durationS).toBeCloseTo(speechS, 2);
    await expectAppError(readAudioFile(path('speech.flac'), { maxDurationS: 1 }), 'AUDIO_TOO_LONG');
    await expect(readAudioFile(path('speech.flac'), { maxDurationS: speechS + 1 })).resolves.toBeDefined();
  });

  it('stops the WAV conversion with JOB_CANCELED when aborted', async () => {
    await expectAppError(readAudioFile(path('s44.wav'), { signal: AbortSignal.abort() }), 'JOB_CANCELED');
  });

  it('reports a missing file as SOURCE_NOT_FOUND', async () => {
    await expectAppError(readAudioFile(path('no-such-file.wav')), 'SOURCE_NOT_FOUND');
  });
});

describe('isSilent', () => {
  it('is true for zeros and dither-level noise, false once a sample reaches 1e-4', () => {
    expect(isSilent(new Float32Array(100))).toBe(true);
    expect(isSilent(new Float32Array(100).map((_, i) => (i % 2 ? 3e-5 : -3e-5)))).toBe(true);
    const click = new Float32Array(100);
    click[50] = -2e-4;
    expect(isSilent(click)).toBe(false);
    expect(isSilent(new Float32Array(0))).toBe(true);
  });
});
