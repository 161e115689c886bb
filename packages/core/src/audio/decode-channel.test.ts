/**
 * One-channel decodes (`DecodeOptions.channel`, per-channel transcripts) on the generated
 * two-channel calls: each channel comes out alone, the same samples through the built-in WAV
 * reader (in memory, streamed, and read straight from a 16 kHz WAV) and through ffmpeg (FLAC),
 * a silent channel is reported instead of refused, and a channel the file lacks is refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUDIO_DIR } from '../vad/test-audio-fixtures.js';
import { decodeAudio, openAudioFile, readAudioFile } from './decode.js';

const CALL = join(TEST_AUDIO_DIR, 'call-stereo.wav');
const ONE_SIDE = join(TEST_AUDIO_DIR, 'call-one-side.wav');
const CALL_FLAC = join(TEST_AUDIO_DIR, 'call-stereo.flac');

let dir: string;
/** The call's left and right channels as 16-bit mono WAVs cut by sox (the reference). */
let left: Float32Array;
let right: Float32Array;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-decode-channel-'));
  execFileSync('sox', ['-D', CALL, join(dir, 'left.wav'), 'remix', '1']);
  execFileSync('sox', ['-D', CALL, join(dir, 'right.wav'), 'remix', '2']);
  execFileSync('sox', ['-D', CALL, '-r', '48000', join(dir, 'call-48k.wav')]);
  left = (await readAudioFile(join(dir, 'left.wav'))).samples;
  right = (await readAudioFile(join(dir, 'right.wav'))).samples;
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The samples' bytes (a byte comparison: deep equality of 352,000 floats is slow). */
const bytesOf = (samples: Float32Array): Buffer => Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);

describe('decoding one channel', () => {
  it('gives each channel alone, bit for bit, in memory, streamed and through ffmpeg', async () => {
    const bytes = await readFile(CALL);
    for (const [channel, expected] of [
      [0, left],
      [1, right],
    ] as const) {
      const inMemory = await decodeAudio(bytes, { channel });
      expect(bytesOf(inMemory.samples).equals(bytesOf(expected))).toBe(true);
      expect(inMemory.silent).toBe(false);
      expect(inMemory.source.channels).toBe(2);
      expect(bytesOf((await readAudioFile(CALL, { channel })).samples).equals(bytesOf(expected))).toBe(true); // straight from the 16 kHz WAV
      expect(bytesOf((await readAudioFile(CALL_FLAC, { channel })).samples).equals(bytesOf(expected))).toBe(true); // ffmpeg's pan filter
    }
    // The two sides differ (different voices at different times): not the mix twice.
    expect(bytesOf(left).equals(bytesOf(right))).toBe(false);
    const mix = (await decodeAudio(bytes)).samples;
    expect(mix[Math.round(8.5 * 16_000)]).toBeCloseTo(((left[Math.round(8.5 * 16_000)] ?? 0) + (right[Math.round(8.5 * 16_000)] ?? 0)) / 2, 6);
  });

  it('resamples one channel like the whole file (48 kHz → 16 kHz through the temp PCM file)', async () => {
    const source = await openAudioFile(join(dir, 'call-48k.wav'), { channel: 1, tempDir: dir });
    try {
      expect(source.durationS).toBeCloseTo(22, 3);
      const samples = await source.samples.read(0, source.samples.length);
      // Speech on the right starts at 6 s: silence before it (resampling leaves only tiny ripples), sound after.
      expect(Math.max(...samples.subarray(0, 5 * 16_000).map(Math.abs))).toBeLessThan(1e-3);
      expect(Math.max(...samples.subarray(6 * 16_000, 9 * 16_000).map(Math.abs))).toBeGreaterThan(0.1);
    } finally {
      await source.samples.close();
    }
  });

  it('reports a silent channel instead of refusing it; the mix of the file is still judged as a whole', async () => {
    const silent = await openAudioFile(ONE_SIDE, { channel: 1 });
    await silent.samples.close();
    expect(silent.silent).toBe(true);
    const spoken = await openAudioFile(ONE_SIDE, { channel: 0 });
    await spoken.samples.close();
    expect(spoken.silent).toBe(false);
    const mixed = await readAudioFile(ONE_SIDE);
    expect(mixed.silent).toBeUndefined();
    await expect(readAudioFile(join(TEST_AUDIO_DIR, 'silence.wav'))).rejects.toMatchObject({ code: 'AUDIO_SILENT' });
    expect((await readAudioFile(join(TEST_AUDIO_DIR, 'silence.wav'), { channel: 0 })).silent).toBe(true);
  });

  it('refuses a channel the file does not have, through either decoder', async () => {
    await expect(readAudioFile(CALL, { channel: 2 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(readAudioFile(CALL_FLAC, { channel: 2 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    await expect(decodeAudio(await readFile(join(TEST_AUDIO_DIR, 'en.wav')), { channel: 1 })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
