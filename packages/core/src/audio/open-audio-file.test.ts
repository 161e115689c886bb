import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { TEST_AUDIO_DIR } from '../vad/test-audio-fixtures.js';
import { decodeAudio, openAudioFile, type DecodedSource } from './decode.js';
import { resample, Resampler } from './resample.js';

let dir: string; // generated inputs
let tempDir: string; // where the decoder puts its PCM files: must be empty after each test

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-open-audio-'));
  tempDir = await mkdtemp(join(tmpdir(), 'earshot-open-audio-tmp-'));
  const src = join(TEST_AUDIO_DIR, 'en-zh-silence.wav');
  execFileSync('sox', ['-D', src, '-r', '44100', '-c', '2', '-b', '24', join(dir, '44k-stereo-24.wav')]);
  execFileSync('sox', ['-D', src, '-r', '8000', '-c', '1', '-e', 'floating-point', '-b', '32', join(dir, '8k-float.wav')]);
  execFileSync('sox', ['-D', src, '-r', '16000', '-c', '1', '-e', 'a-law', join(dir, 'alaw.wav')]);
  execFileSync('sox', ['-D', '-n', '-r', '16000', '-c', '1', '-b', '16', join(dir, 'silent.wav'), 'trim', '0', '2']);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(tempDir, { recursive: true, force: true });
});

async function readAll(decoded: DecodedSource): Promise<Float32Array> {
  // Read in uneven pieces, concurrently, as the VAD and the feature pool do.
  const { samples } = decoded;
  const bounds = [0];
  for (let at = 12_345; at < samples.length; at += 40_000 + (at % 777)) bounds.push(at);
  bounds.push(samples.length);
  const pieces = await Promise.all(bounds.slice(1).map((end, i) => samples.read(bounds[i]!, end)));
  const out = new Float32Array(samples.length);
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const sameBits = (a: Float32Array, b: Float32Array): boolean =>
  a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

describe('openAudioFile', () => {
  const cases = [
    [TEST_AUDIO_DIR, 'en-zh-silence.wav', false], // 16 kHz: read straight from the WAV
    [TEST_AUDIO_DIR, 'stereo-48k.wav', true], // resampled into a temp PCM file
    [TEST_AUDIO_DIR, 'en-zh-silence.mp3', true], // ffmpeg
    [TEST_AUDIO_DIR, 'en-zh-silence.flac', true],
    [TEST_AUDIO_DIR, 'en-zh-silence.ogg', true],
    ['gen', '44k-stereo-24.wav', true],
    ['gen', '8k-float.wav', true],
    ['gen', 'alaw.wav', true], // a WAV encoding only ffmpeg reads
  ] as const;

  it.each(cases)('gives the same samples, bit for bit, as decodeAudio: %s/%s', async (where, name, usesTempFile) => {
    const path = join(where === 'gen' ? dir : where, name);
    const inMemory = await decodeAudio(await readFile(path), { tempDir });
    const decoded = await openAudioFile(path, { tempDir });
    try {
      expect((await readdir(tempDir)).length).toBe(usesTempFile ? 1 : 0);
      expect(decoded.samples.length).toBe(inMemory.samples.length);
      expect(decoded.durationS).toBe(inMemory.durationS);
      expect(decoded.source).toEqual(inMemory.source);
      expect(decoded.warnings).toEqual(inMemory.warnings);
      expect(sameBits(await readAll(decoded), inMemory.samples)).toBe(true);
    } finally {
      await decoded.samples.close();
    }
    expect(await readdir(tempDir)).toEqual([]);
  });

  it('raises the same errors as decodeAudio and leaves no temp file', async () => {
    const empty = join(dir, 'empty.wav');
    await writeFile(empty, new Uint8Array(0));
    const random = join(TEST_AUDIO_DIR, 'random.bin');
    const corrupt = join(TEST_AUDIO_DIR, 'corrupt.mp3');
    const long = join(TEST_AUDIO_DIR, 'en-zh-silence.mp3');
    const cases: [string, object, string][] = [
      [empty, {}, 'AUDIO_EMPTY'],
      [random, {}, 'AUDIO_UNSUPPORTED_FORMAT'],
      [join(dir, 'silent.wav'), {}, 'AUDIO_SILENT'],
      [corrupt, {}, 'AUDIO_CORRUPT'],
      [long, { maxDurationS: 5 }, 'AUDIO_TOO_LONG'],
      [join(dir, 'stereo-48k.wav'), {}, 'SOURCE_NOT_FOUND'],
      [dir, {}, 'SOURCE_NOT_FOUND'],
    ];
    for (const [path, options, code] of cases) {
      const err = await openAudioFile(path, { tempDir, ...options }).catch((e: unknown) => e);
      expect(err, path).toBeInstanceOf(AppError);
      expect((err as AppError).code, path).toBe(code);
      if (code !== 'SOURCE_NOT_FOUND') {
        const inMemory = await decodeAudio(await readFile(path), { tempDir, ...options }).catch((e: unknown) => e);
        expect((inMemory as AppError).code, path).toBe(code);
      }
      expect(await readdir(tempDir), path).toEqual([]);
    }
  });

  it('stops on abort with JOB_CANCELED and removes its temp file', async () => {
    for (const name of ['stereo-48k.wav', 'en-zh-silence.mp3']) {
      const controller = new AbortController();
      const pending = openAudioFile(join(TEST_AUDIO_DIR, name), { tempDir, signal: controller.signal });
      controller.abort();
      const err = await pending.catch((e: unknown) => e);
      expect((err as AppError).code, name).toBe('JOB_CANCELED');
      expect(await readdir(tempDir), name).toEqual([]);
    }
  });
});

describe('Resampler streaming to a sink', () => {
  it('hands over the same samples as the whole-output form, in order', () => {
    const x = new Float32Array(100_003).map((_, i) => Math.sin(i * 0.013) * 0.5 + ((i * 7919) % 13) / 100);
    const whole = resample(x, 44100, 16000);
    const parts: Float32Array[] = [];
    const streamed = new Resampler(44100, 16000, x.length, (block) => parts.push(block.slice()));
    for (let pos = 0; pos < x.length; pos += 9_999) streamed.write(x.subarray(pos, Math.min(x.length, pos + 9_999)));
    expect(streamed.finish().length).toBe(0);
    expect(parts.length).toBeGreaterThan(1);
    const joined = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      joined.set(p, at);
      at += p.length;
    }
    expect(sameBits(joined, whole)).toBe(true);
  });
});
