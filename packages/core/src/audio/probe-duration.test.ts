import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeDuration } from './probe-duration.js';

/** 90 s of a tone in several containers: the WAV (2.9 MB) is larger than the 1 MiB head. */
let dir: string;
const file = (name: string): string => join(dir, name);

function ffmpeg(...args: string[]): void {
  execFileSync('ffmpeg', ['-v', 'error', '-y', ...args], { stdio: 'pipe' });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-probe-test-'));
  const tone = ['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=90'];
  ffmpeg(...tone, '-ac', '1', file('a.wav'));
  ffmpeg(...tone, '-c:a', 'libmp3lame', '-b:a', '32k', file('a.mp3'));
  ffmpeg(...tone, '-c:a', 'flac', file('a.flac'));
  ffmpeg(...tone, '-c:a', 'libvorbis', file('a.ogg'));
  ffmpeg(...tone, '-c:a', 'aac', '-movflags', '+faststart', file('a.m4a'));
  // No Xing header: ffmpeg can only estimate from the bit rate.
  ffmpeg(...tone, '-c:a', 'libmp3lame', '-b:a', '32k', '-write_xing', '0', file('noxing.mp3'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function probe(name: string, maxHeadBytes?: number) {
  const bytes = await readFile(file(name));
  return probeDuration(Readable.from([bytes.subarray(0, bytes.length >> 1), bytes.subarray(bytes.length >> 1)]), maxHeadBytes === undefined ? {} : { maxHeadBytes });
}

describe('probeDuration', () => {
  it.each([
    ['a.wav', undefined],
    ['a.mp3', undefined],
    ['a.flac', undefined],
    ['a.m4a', undefined],
    ['a.ogg', undefined], // small enough to be read whole
    ['a.wav', 4096], // the header alone declares the length
    ['a.flac', 65536],
    ['a.m4a', 65536], // moov at the front (faststart)
  ])('reads the declared duration of %s (head limit %s)', async (name, head) => {
    const answer = await probe(name, head);
    expect(answer?.exact).toBe(false);
    expect(answer?.durationS).toBeGreaterThan(89.9);
    expect(answer?.durationS).toBeLessThan(90.2);
  });

  it.each([
    ['a.ogg', 4096, 'an Ogg duration comes from the last page'],
    ['noxing.mp3', 4096, 'a bit-rate estimate is no answer'],
  ])('knows it cannot tell for %s cut at %s bytes (%s)', async (name, head) => {
    expect(await probe(name, head)).toBeNull();
  });

  it('answers null for bytes that are no audio, and for a failing stream', async () => {
    expect(await probeDuration(Readable.from([Buffer.from('hello, not audio at all')]))).toBeNull();
    const failing = new Readable({ read() { this.destroy(new Error('socket reset')); } });
    expect(await probeDuration(failing)).toBeNull();
  });
});
