/**
 * The partial-decode rule (decode-completeness.ts) on real damaged files, through the real
 * ffmpeg: the generated fixtures (scripts/make-test-audio.sh) cut short or followed by
 * seeded garbage (damage-audio.ts), so every run sees the same bytes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { truncateBytes, withGarbageTail } from './damage-audio.js';
import { decodeAudio, type DecodedAudio } from './decode.js';
import { parseWavHeader } from './wav.js';

const AUDIO_DIR = fileURLToPath(new URL('../../../../.cache/test-audio/', import.meta.url));
const SEED = 20240717;

let dir: string;
const files: Record<string, Uint8Array> = {};
const clean: Record<string, DecodedAudio> = {};

async function decodeError(bytes: Uint8Array): Promise<AppError> {
  const err = await decodeAudio(bytes).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(AppError);
  return err as AppError;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-damaged-'));
  for (const name of ['en-zh-silence.mp3', 'en-zh-silence.flac', 'en-zh-silence.ogg', 'en-zh-silence.wav']) {
    files[name] = await readFile(join(AUDIO_DIR, name));
  }
  const wav = join(AUDIO_DIR, 'en-zh-silence.wav');
  // WebM as MediaRecorder writes it: streamed, so no duration in the header.
  files['live.webm'] = execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', wav, '-fflags', '+bitexact', '-c:a', 'libopus', '-b:a', '32k', '-f', 'webm', 'pipe:1'], {
    maxBuffer: 1 << 24,
  });
  execFileSync('sox', ['-D', wav, '-e', 'a-law', join(dir, 'alaw.wav')]);
  files['alaw.wav'] = await readFile(join(dir, 'alaw.wav'));
  for (const [name, bytes] of Object.entries(files)) clean[name] = await decodeAudio(bytes);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('clean files', () => {
  it.each(['en-zh-silence.mp3', 'en-zh-silence.flac', 'en-zh-silence.ogg', 'en-zh-silence.wav', 'live.webm', 'alaw.wav'])('%s decodes without warnings', (name) => {
    expect(clean[name]!.warnings).toBeUndefined();
    expect(clean[name]!.durationS).toBeGreaterThan(11);
  });
});

describe('damaged files are refused as AUDIO_CORRUPT', () => {
  it('the head of an MP3 followed by 3,000 random bytes, the same way 10 times out of 10', async () => {
    const bytes = withGarbageTail(files['en-zh-silence.mp3']!, 700, 3000, SEED);
    const answers = [];
    for (let i = 0; i < 10; i++) {
      const err = await decodeError(bytes);
      answers.push({ code: err.code, message: err.message, details: err.details });
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    const first = answers[0]!;
    expect(first.code).toBe('AUDIO_CORRUPT');
    const details = first.details as { decodedS: number; declaredS: number; decoderMessages: string[] };
    expect(details.declaredS).toBeCloseTo(11.196, 2); // the Xing header in the first frame
    expect(details.decodedS).toBeLessThan(0.1);
    expect(details.decoderMessages.length).toBeGreaterThan(0);
    expect(details.decoderMessages.join('\n')).not.toMatch(/@ 0x/); // no heap addresses: the same text every run
  });

  it.each([
    ['en-zh-silence.mp3', 'ffprobe: [mp3] filesize and duration do not match'],
    ['en-zh-silence.flac', '[flac]'],
    ['en-zh-silence.wav', 'WAV data chunk declares'],
    ['alaw.wav', 'WAV data chunk declares'],
  ])('%s cut at 30 %% (first decoder message: %s)', async (name, message) => {
    const err = await decodeError(truncateBytes(files[name]!, 0.3));
    expect(err.code).toBe('AUDIO_CORRUPT');
    const details = err.details as { decodedS: number; declaredS: number; decoderMessages: string[] };
    expect(Math.abs(details.declaredS - clean[name]!.durationS)).toBeLessThan(0.1);
    expect(details.decodedS).toBeLessThan(0.5 * details.declaredS);
    expect(details.decoderMessages[0]).toContain(message);
  });

  it('a streamed WebM (no declared duration) with less than 1 s decodable', async () => {
    const err = await decodeError(truncateBytes(files['live.webm']!, 0.02));
    expect(err.code).toBe('AUDIO_CORRUPT');
    expect(err.details).toMatchObject({ declaredS: null });
  });
});

describe('implausible WAV headers are refused before any decoding', () => {
  // byte offsets in the canonical 44-byte header: 22 channels, 24 sample rate, 32 block align
  it.each([
    ['1,000 channels', 22, 2, 1000, /1000 channels/],
    ['0 channels', 22, 2, 0, /0 channels/],
    ['0 Hz', 24, 4, 0, /sample rate of 0 Hz/],
    ['10 MHz', 24, 4, 10_000_000, /sample rate of 10000000 Hz/],
    ['a block align of 3 for 16-bit mono', 32, 2, 3, /block align of 3/],
  ])('%s → AUDIO_CORRUPT', async (_label, offset, size, value, message) => {
    const bytes = new Uint8Array(files['en-zh-silence.wav']!); // a copy: the fixture stays intact
    const view = new DataView(bytes.buffer);
    if (size === 2) view.setUint16(offset, value, true);
    else view.setUint32(offset, value, true);
    const err = await decodeError(bytes);
    expect(err.code).toBe('AUDIO_CORRUPT');
    expect(err.message).toMatch(message);
  });
});

describe('partly damaged files complete with AUDIO_PARTIALLY_DECODED', () => {
  // [file, cut at, expected decodedS as a share of the clean duration (null: not proportional), tolerance (s)]
  it.each([
    ['en-zh-silence.mp3', 0.9, 0.9, 0.2], // CBR: bytes and seconds are proportional
    ['en-zh-silence.flac', 0.9, null, 0],
    ['en-zh-silence.wav', 0.95, 0.95, 0.01],
    ['alaw.wav', 0.95, 0.95, 0.01],
  ])('%s cut at %d', async (name, cut, share, toleranceS) => {
    const full = clean[name]!;
    const audio = await decodeAudio(truncateBytes(files[name]!, cut));
    expect(audio.warnings).toHaveLength(1);
    const warning = audio.warnings![0]!;
    expect(warning.code).toBe('AUDIO_PARTIALLY_DECODED');
    expect(warning.decodedS).toBeCloseTo(audio.durationS, 2);
    expect(Math.abs(warning.declaredS! - full.durationS)).toBeLessThan(0.1);
    expect(warning.decodedS).toBeGreaterThanOrEqual(0.5 * warning.declaredS!);
    expect(warning.decodedS).toBeLessThan(warning.declaredS!);
    if (share !== null) expect(Math.abs(warning.decodedS - share * full.durationS)).toBeLessThan(toleranceS);
    expect(warning.message).toMatch(/decoded of the [\d.]+ s it declares/);
  });

  it('a streamed WebM cut at 90 % (declaredS null)', async () => {
    const audio = await decodeAudio(truncateBytes(files['live.webm']!, 0.9));
    expect(audio.warnings).toEqual([
      { code: 'AUDIO_PARTIALLY_DECODED', decodedS: expect.closeTo(audio.durationS, 2), declaredS: null, message: expect.stringContaining('File ended prematurely') },
    ]);
  });

  it('a WAV whose data chunk declares more than the file holds, read without ffmpeg', async () => {
    const bytes = truncateBytes(files['en-zh-silence.wav']!, 0.95);
    const info = parseWavHeader(bytes);
    expect(info.declaredFrameCount).toBeGreaterThan(info.frameCount);
    expect((await decodeAudio(bytes, { ffmpegPath: null })).warnings?.[0]?.code).toBe('AUDIO_PARTIALLY_DECODED');
  });
});

describe('what the rule cannot see', () => {
  it('an Ogg cut short declares only the pages present, so it completes without a warning', async () => {
    const audio = await decodeAudio(truncateBytes(files['en-zh-silence.ogg']!, 0.9));
    expect(audio.warnings).toBeUndefined();
    expect(audio.durationS).toBeLessThan(clean['en-zh-silence.ogg']!.durationS - 0.5);
  });
});
