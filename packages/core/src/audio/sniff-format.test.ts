import { describe, expect, it } from 'vitest';
import { sniffFormat } from './sniff-format.js';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
const bytes = (...parts: (number[] | string)[]): Uint8Array => new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? ascii(p) : p)));
const size4 = [0x24, 0x00, 0x00, 0x00];

/** Two consecutive MPEG-1 Layer III frames: 128 kbit/s, 44.1 kHz, no padding → 417 bytes each. */
function mp3Frames(): Uint8Array {
  const frame = new Uint8Array(417);
  frame.set([0xff, 0xfb, 0x90, 0x64]);
  const out = new Uint8Array(834 + 4);
  out.set(frame, 0);
  out.set(frame, 417);
  out.set([0xff, 0xfb, 0x90, 0x64], 834);
  return out;
}

function id3(inner: Uint8Array, tagBodyBytes = 20): Uint8Array {
  return new Uint8Array([...bytes('ID3', [4, 0, 0, 0, 0, 0, tagBodyBytes]), ...new Uint8Array(tagBodyBytes), ...inner]);
}

describe('sniffFormat', () => {
  it.each([
    ['wav', bytes('RIFF', size4, 'WAVEfmt ')],
    ['wav', bytes('RF64', [0xff, 0xff, 0xff, 0xff], 'WAVEds64')],
    ['aiff', bytes('FORM', size4, 'AIFFCOMM')],
    ['aiff', bytes('FORM', size4, 'AIFCFVER')],
    ['flac', bytes('fLaC', [0, 0, 0, 0x22])],
    ['ogg', bytes('OggS', [0, 2, 0, 0, 0, 0])],
    ['webm', bytes([0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42, 0x86, 0x81])],
    ['mp4', bytes([0, 0, 0, 0x20], 'ftypM4A ', [0, 0, 0, 0])],
    ['mp4', bytes([0, 0, 0, 0x18], 'ftyp3gp4')],
    ['aac', bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc])],
    ['aac', bytes([0xff, 0xf9, 0x50, 0x80, 0x02, 0x1f, 0xfc])],
    ['mp3', mp3Frames()],
    ['mp3', id3(new Uint8Array([0xff, 0xfb, 0x90, 0x64]))],
    ['mp3', id3(new Uint8Array(0))],
    ['flac', id3(bytes('fLaC', [0, 0, 0, 0x22]))],
    ['aac', id3(bytes([0xff, 0xf1, 0x50, 0x80, 0x02, 0x1f, 0xfc]))],
    ['mp3', bytes('ID3', [4, 0, 0, 0x80, 0, 0, 0])], // damaged tag header: still MP3 for ffmpeg to judge
  ])('detects %s', (format, input) => {
    expect(sniffFormat(input)).toBe(format);
  });

  it.each([
    ['no bytes', new Uint8Array(0)],
    ['text', bytes('hello, this is not audio')],
    ['a RIFF that is not WAVE (AVI)', bytes('RIFF', size4, 'AVI LIST')],
    ['a PNG', bytes([0x89], 'PNG', [0x0d, 0x0a, 0x1a, 0x0a])],
    ['an MPEG sync whose next frame header is missing', (() => { const b = mp3Frames(); b[417] = 0; return b; })()],
    ['an MPEG header with a reserved sample rate', bytes([0xff, 0xfb, 0x9c, 0x64])],
  ])('returns null for %s', (_label, input) => {
    expect(sniffFormat(input)).toBeNull();
  });
});
