/**
 * Container detection from magic bytes. The file name and the client's
 * Content-Type are never trusted: uploads named `x.wav` are often MP3, and
 * the format decides which decoder runs.
 */

export type AudioFormat = 'wav' | 'mp3' | 'flac' | 'ogg' | 'webm' | 'mp4' | 'aac' | 'aiff';

export const AUDIO_FORMATS: readonly AudioFormat[] = ['wav', 'mp3', 'flac', 'ogg', 'webm', 'mp4', 'aac', 'aiff'];

/**
 * The container of `bytes`, or null when no known signature matches.
 *
 * - `RIFF|RIFX|RF64|BW64 ....WAVE` → wav
 * - `FORM ....AIFF|AIFC` → aiff
 * - `fLaC` → flac; `OggS` → ogg (Vorbis, Opus, FLAC-in-Ogg)
 * - EBML `1A 45 DF A3` → webm (WebM and Matroska)
 * - `ftyp` at offset 4 → mp4 (m4a, mp4, 3gp, mov with ftyp)
 * - ADTS sync `FFF` with layer 00 → aac
 * - `ID3` tag → whatever follows it (flac, aac), else mp3; an MPEG audio
 *   frame header → mp3 (checked against the next frame when it is in range)
 */
export function sniffFormat(bytes: Uint8Array): AudioFormat | null {
  return sniffAt(bytes, 0, true);
}

function sniffAt(bytes: Uint8Array, offset: number, allowId3: boolean): AudioFormat | null {
  const tag = (at: number): string => ascii(bytes, offset + at, 4);
  const head = tag(0);
  if ((head === 'RIFF' || head === 'RIFX' || head === 'RF64' || head === 'BW64') && tag(8) === 'WAVE') return 'wav';
  if (head === 'FORM' && (tag(8) === 'AIFF' || tag(8) === 'AIFC')) return 'aiff';
  if (head === 'fLaC') return 'flac';
  if (head === 'OggS') return 'ogg';
  if (bytes[offset] === 0x1a && bytes[offset + 1] === 0x45 && bytes[offset + 2] === 0xdf && bytes[offset + 3] === 0xa3) return 'webm';
  if (tag(4) === 'ftyp') return 'mp4';
  if (isAdtsHeader(bytes, offset)) return 'aac';
  if (allowId3 && head.startsWith('ID3')) {
    const tagEnd = id3v2End(bytes, offset);
    if (tagEnd === null) return 'mp3'; // "ID3" with a damaged header: still an MP3 file, for ffmpeg to judge
    // Some encoders put an ID3 tag before FLAC or ADTS data; everything else behind ID3 is MP3.
    const inner = sniffAt(bytes, skipZeros(bytes, tagEnd), false);
    return inner === 'flac' || inner === 'aac' ? inner : 'mp3';
  }
  if (isMpegAudioStream(bytes, offset)) return 'mp3';
  return null;
}

function ascii(bytes: Uint8Array, start: number, length: number): string {
  if (start + length > bytes.length) return '';
  return String.fromCharCode(...bytes.subarray(start, start + length));
}

function skipZeros(bytes: Uint8Array, offset: number): number {
  let i = offset;
  while (i < bytes.length && bytes[i] === 0) i++;
  return i;
}

/** End offset of an ID3v2 tag starting at `offset`, or null when the header is invalid. */
function id3v2End(bytes: Uint8Array, offset: number): number | null {
  if (offset + 10 > bytes.length) return bytes.length; // a tag header alone: nothing else to look at
  const major = bytes[offset + 3]!;
  const flags = bytes[offset + 5]!;
  if (major === 0xff || bytes[offset + 4] === 0xff) return null;
  let size = 0;
  for (let i = 6; i < 10; i++) {
    const b = bytes[offset + i]!;
    if (b & 0x80) return null; // syncsafe integers keep bit 7 clear
    size = size * 128 + b;
  }
  const footer = flags & 0x10 ? 10 : 0;
  return offset + 10 + size + footer;
}

/** ADTS: 12-bit sync, then MPEG version bit, layer 00 (FFF1/FFF9 without CRC, FFF0/FFF8 with). */
function isAdtsHeader(bytes: Uint8Array, offset: number): boolean {
  if (offset + 7 > bytes.length) return false;
  if (bytes[offset] !== 0xff || (bytes[offset + 1]! & 0xf6) !== 0xf0) return false;
  const samplingIndex = (bytes[offset + 2]! >> 2) & 0x0f;
  return samplingIndex < 13;
}

// Bitrates in kbit/s by [versionClass][layer] where versionClass 0 = MPEG-1, 1 = MPEG-2/2.5;
// layer index 0 = Layer I, 1 = Layer II, 2 = Layer III.
const BITRATES_KBPS: readonly (readonly (readonly number[])[])[] = [
  [
    [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
    [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  ],
  [
    [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
    [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  ],
];
const SAMPLE_RATES_MPEG1 = [44100, 48000, 32000];

/**
 * Byte length of the MPEG audio frame whose header is at `offset`; 0 for a
 * valid free-format header (length unknown); null when the header is invalid.
 */
function mpegFrameLength(bytes: Uint8Array, offset: number): number | null {
  if (offset + 4 > bytes.length) return null;
  const b1 = bytes[offset + 1]!;
  const b2 = bytes[offset + 2]!;
  if (bytes[offset] !== 0xff || (b1 & 0xe0) !== 0xe0) return null;
  const versionBits = (b1 >> 3) & 3; // 0 = MPEG-2.5, 1 = reserved, 2 = MPEG-2, 3 = MPEG-1
  const layerBits = (b1 >> 1) & 3; // 1 = III, 2 = II, 3 = I
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 15 || rateIndex === 3) return null;
  if (bitrateIndex === 0) return 0;
  const layer = 3 - layerBits; // 0 = I, 1 = II, 2 = III
  const mpeg1 = versionBits === 3;
  const divisor = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 4;
  const sampleRate = SAMPLE_RATES_MPEG1[rateIndex]! / divisor;
  const bitrate = BITRATES_KBPS[mpeg1 ? 0 : 1]![layer]![bitrateIndex]! * 1000;
  const padding = (b2 >> 1) & 1;
  if (layer === 0) return (Math.floor((12 * bitrate) / sampleRate) + padding) * 4;
  const samplesPerFrame = layer === 2 && !mpeg1 ? 576 : 1152;
  return Math.floor(((samplesPerFrame / 8) * bitrate) / sampleRate) + padding;
}

/** A valid MPEG audio frame header, confirmed by the next header when that one is inside `bytes`. */
function isMpegAudioStream(bytes: Uint8Array, offset: number): boolean {
  const length = mpegFrameLength(bytes, offset);
  if (length === null) return false;
  if (length === 0) return true;
  const next = offset + length;
  if (next + 4 > bytes.length) return true;
  return mpegFrameLength(bytes, next) !== null;
}
