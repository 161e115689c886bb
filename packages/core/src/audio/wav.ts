/**
 * WAV (RIFF/RF64 WAVE) parser in plain TypeScript, so the default install can
 * take WAV input without ffmpeg. It covers what recorders and tools write:
 * PCM u8/s16/s24/s32, IEEE float 32/64, WAVE_FORMAT_EXTENSIBLE with a PCM or
 * float sub-format. Compressed encodings (ADPCM, A-law, µ-law, MP3-in-WAV, …)
 * and big-endian RIFX are left to ffmpeg: they raise AUDIO_UNSUPPORTED_FORMAT.
 *
 * Glossary: a *frame* is one sample per channel; `frameBytes` = channels ×
 * bytes per sample.
 *
 * Header plausibility (a broken header is AUDIO_CORRUPT, never a guess): channels
 * and sample rate within plausible-stream.ts's limits, block align equal to
 * channels × bytes per sample, an RF64/BW64 data size from its ds64 chunk. The
 * average byte rate is not checked (writers get it wrong and nothing reads it).
 * A data chunk shorter than it declares is not an error here: the frames present
 * are read and `declaredFrameCount` says what is missing (decode.ts judges it).
 */
import { AppError } from '../errors/app-error.js';
import { implausibleStream } from './plausible-stream.js';

/** Sample encodings the parser reads, named like ffmpeg's codecs. */
export type WavEncoding = 'pcm_u8' | 'pcm_s16le' | 'pcm_s24le' | 'pcm_s32le' | 'pcm_f32le' | 'pcm_f64le';

export interface WavInfo {
  sampleRate: number;
  channels: number;
  /** Container bits per sample (24-bit audio in 32-bit slots reports 32). */
  bitsPerSample: number;
  encoding: WavEncoding;
  /** Byte offset of the first frame in the file. */
  dataOffset: number;
  /** Whole frames present in the file (a short or unsized data chunk counts what is there). */
  frameCount: number;
  /**
   * Whole frames the data chunk declares; null when the writer left the size open
   * (0 or 0xFFFFFFFF while streaming). More than `frameCount` means the file is truncated.
   */
  declaredFrameCount: number | null;
  frameBytes: number;
}

/** Where a RIFF WAVE file's chunks are, before any of them is interpreted. */
export interface WavLayout {
  /** Offset and size of the fmt chunk's body; null when there is none. */
  fmt: { offset: number; size: number } | null;
  /**
   * The first data chunk: its body offset, the bytes of it present in the file, and the size
   * its header (or ds64) declares, null when the writer left it open. null: no data chunk.
   */
  data: { offset: number; presentBytes: number; declaredBytes: number | null } | null;
}

export interface WavAudio {
  /** (frameCount,) mono: the mean of all channels, in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  encoding: WavEncoding;
}

const WAVE_FORMAT_PCM = 0x0001;
const WAVE_FORMAT_IEEE_FLOAT = 0x0003;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Bytes 2..15 shared by the KSDATAFORMAT_SUBTYPE_* GUIDs whose first two bytes are a format tag. */
const SUBFORMAT_GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];
const KNOWN_TAGS: Record<number, string> = {
  0x0002: 'MS ADPCM',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MP3',
};

/** Parses the whole file: header, then every frame mixed down to mono. */
export function parseWav(bytes: Uint8Array): WavAudio {
  const info = parseWavHeader(bytes);
  const samples = new Float32Array(info.frameCount);
  readWavFrames(bytes, info, 0, info.frameCount, samples);
  return {
    samples,
    sampleRate: info.sampleRate,
    channels: info.channels,
    bitsPerSample: info.bitsPerSample,
    encoding: info.encoding,
  };
}

/**
 * Walks the RIFF chunks (odd sizes are padded, unknown chunks such as LIST
 * are skipped) and returns where the frames are and how to read them.
 * A data chunk whose size is 0 or 0xFFFFFFFF (as streaming writers leave it)
 * covers the bytes present; one whose size runs past the end of the file
 * covers the bytes present and keeps its declared size in `declaredFrameCount`;
 * a trailing partial frame is dropped. A file with a format chunk and no data
 * chunk has 0 frames. `bytes` may be the head of a file of `fileSize` bytes (a RangeError
 * means the head is too short for the header: read more and call again).
 */
export function parseWavHeader(bytes: Uint8Array, fileSize: number = bytes.length): WavInfo {
  const layout = walkWavChunks(bytes, fileSize);
  if (!layout.fmt) throw corrupt('no fmt chunk');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = parseFmt(view, layout.fmt.offset, layout.fmt.size);
  const { data } = layout;
  if (!data) return { ...format, dataOffset: fileSize, frameCount: 0, declaredFrameCount: 0 };
  return {
    ...format,
    dataOffset: data.offset,
    frameCount: Math.floor(data.presentBytes / format.frameBytes),
    declaredFrameCount: data.declaredBytes === null ? null : Math.floor(data.declaredBytes / format.frameBytes),
  };
}

/**
 * The chunk walk of `parseWavHeader` alone: where fmt and data are and how much
 * data is declared and present. Throws AUDIO_CORRUPT for a broken RIFF structure
 * and AUDIO_UNSUPPORTED_FORMAT for RIFX; the fmt chunk is not interpreted. `bytes` may be
 * the head of a file of `fileSize` bytes: a RangeError means the head is too short.
 */
export function walkWavChunks(bytes: Uint8Array, fileSize: number = bytes.length): WavLayout {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 12) throw corrupt('file is shorter than a RIFF header');
  const riff = fourcc(bytes, 0);
  if (fourcc(bytes, 8) !== 'WAVE' || !['RIFF', 'RIFX', 'RF64', 'BW64'].includes(riff)) throw corrupt('not a RIFF WAVE file');
  if (riff === 'RIFX') throw unsupported('big-endian RIFX WAV', { riff });
  const rf64 = riff !== 'RIFF';

  let ds64DataSize: number | null = null;
  let fmt: WavLayout['fmt'] = null;
  let data: WavLayout['data'] = null;
  let pos = 12;
  while (pos + 8 <= fileSize) {
    if (pos + 8 > bytes.length) throw new RangeError(`WAV chunk header at byte ${pos} is past the ${bytes.length} bytes read`);
    const id = fourcc(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (id === 'data') {
      const present = fileSize - body;
      let declared: number | null = size;
      if (size === 0xffffffff) {
        if (rf64 && ds64DataSize === null) throw corrupt(`${riff} data chunk defers its size to a ds64 chunk, and there is none before it`);
        declared = ds64DataSize; // RIFF: a streaming writer's placeholder
      } else if (size === 0 && present > 0 && !looksLikeChunk(bytes, body)) {
        declared = null; // streaming writer
      }
      const covered = declared === null ? present : Math.min(declared, present);
      data ??= { offset: body, presentBytes: covered, declaredBytes: declared };
      if (fmt && data) break;
      pos = body + covered + (covered & 1);
      continue;
    }
    if (body + size > fileSize) {
      if (data) break; // trailing metadata cut short: the audio is already located
      throw corrupt(`chunk '${printable(id)}' at byte ${pos} runs past the end of the file`);
    }
    if (id === 'fmt ') fmt = { offset: body, size };
    else if (id === 'ds64') ds64DataSize = parseDs64(view, body, size);
    if (fmt && data) break;
    pos = body + size + (size & 1);
  }
  return { fmt, data };
}

/** The 64-bit data size of an RF64/BW64 ds64 chunk (riffSize, dataSize, sampleCount, table…). */
function parseDs64(view: DataView, body: number, size: number): number {
  if (size < 16) throw corrupt(`ds64 chunk is ${size} bytes, needs at least 16`);
  const dataSize = view.getBigUint64(body + 8, true);
  if (dataSize > BigInt(Number.MAX_SAFE_INTEGER)) throw corrupt(`ds64 chunk declares an implausible data size of ${dataSize} bytes`);
  return Number(dataSize);
}

/**
 * Mixes frames [startFrame, startFrame + frameCount) down to mono into
 * `out[0 .. frameCount)`: (frameCount × channels) interleaved → (frameCount,). With `channel`
 * (0-based), that channel alone instead of the mix.
 */
export function readWavFrames(bytes: Uint8Array, info: WavInfo, startFrame: number, frameCount: number, out: Float32Array, channel?: number): void {
  if (startFrame < 0 || frameCount < 0 || startFrame + frameCount > info.frameCount || out.length < frameCount) {
    throw new RangeError(`frames ${startFrame}+${frameCount} outside 0..${info.frameCount} or output too short`);
  }
  if (channel !== undefined && !(Number.isInteger(channel) && channel >= 0 && channel < info.channels)) {
    throw new RangeError(`channel ${channel} outside 0..${info.channels - 1}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const { frameBytes } = info;
  const sampleBytes = frameBytes / info.channels;
  const read = sampleReader(info.encoding, view);
  const first = channel ?? 0;
  const channels = channel === undefined ? info.channels : 1;
  const gain = 1 / channels;
  let pos = info.dataOffset + startFrame * frameBytes + first * sampleBytes;
  for (let f = 0; f < frameCount; f++) {
    let sum = 0;
    for (let c = 0; c < channels; c++) sum += read(pos + c * sampleBytes);
    const v = sum * gain;
    out[f] = v > 1 ? 1 : v < -1 ? -1 : v === v ? v : 0; // clamp, NaN → 0
    pos += frameBytes;
  }
}

function sampleReader(encoding: WavEncoding, view: DataView): (at: number) => number {
  switch (encoding) {
    case 'pcm_u8':
      return (at) => (view.getUint8(at) - 128) / 128;
    case 'pcm_s16le':
      return (at) => view.getInt16(at, true) / 32768;
    case 'pcm_s24le':
      return (at) => ((view.getUint8(at) | (view.getUint8(at + 1) << 8) | (view.getInt8(at + 2) << 16)) / 8388608);
    case 'pcm_s32le':
      return (at) => view.getInt32(at, true) / 2147483648;
    case 'pcm_f32le':
      return (at) => finite(view.getFloat32(at, true));
    case 'pcm_f64le':
      return (at) => finite(view.getFloat64(at, true));
  }
}

function finite(v: number): number {
  return Number.isFinite(v) ? v : 0;
}

function parseFmt(view: DataView, body: number, size: number): Omit<WavInfo, 'dataOffset' | 'frameCount' | 'declaredFrameCount'> {
  if (size < 16) throw corrupt(`fmt chunk is ${size} bytes, needs at least 16`);
  let tag = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRate = view.getUint32(body + 4, true);
  const blockAlign = view.getUint16(body + 12, true);
  const bitsPerSample = view.getUint16(body + 14, true);
  const implausible = implausibleStream({ channels, sampleRate });
  if (implausible) throw corrupt(`fmt chunk declares ${implausible}`);
  if (tag === WAVE_FORMAT_EXTENSIBLE) {
    if (size < 40) throw corrupt(`WAVE_FORMAT_EXTENSIBLE fmt chunk is ${size} bytes, needs 40`);
    const guidTail = new Uint8Array(view.buffer, view.byteOffset + body + 26, 14);
    tag = view.getUint16(body + 24, true);
    if (!SUBFORMAT_GUID_TAIL.every((b, i) => guidTail[i] === b)) throw unsupported('WAVE_FORMAT_EXTENSIBLE with a non-standard sub-format GUID', {});
  }
  const name = KNOWN_TAGS[tag] ?? `format tag 0x${tag.toString(16).padStart(4, '0')}`;
  if (tag !== WAVE_FORMAT_PCM && tag !== WAVE_FORMAT_IEEE_FLOAT) throw unsupported(`${name} WAV`, { formatTag: tag });
  if (bitsPerSample === 0 || bitsPerSample > 64) throw corrupt(`fmt chunk declares ${bitsPerSample} bits per sample`);
  // Samples are left-justified in whole bytes (12-bit audio sits in 16-bit slots).
  const containerBits = Math.ceil(bitsPerSample / 8) * 8;
  const encoding = encodingFor(tag, containerBits);
  if (!encoding) throw unsupported(`${containerBits}-bit ${tag === WAVE_FORMAT_PCM ? 'integer' : 'float'} WAV`, { formatTag: tag, bitsPerSample });
  const frameBytes = (containerBits / 8) * channels;
  if (blockAlign !== frameBytes) {
    throw corrupt(`fmt chunk declares a block align of ${blockAlign} bytes, but ${channels} channel(s) × ${containerBits / 8} bytes per sample is ${frameBytes}`);
  }
  return { sampleRate, channels, bitsPerSample: containerBits, encoding, frameBytes };
}

function encodingFor(tag: number, bits: number): WavEncoding | null {
  if (tag === WAVE_FORMAT_IEEE_FLOAT) return bits === 32 ? 'pcm_f32le' : bits === 64 ? 'pcm_f64le' : null;
  switch (bits) {
    case 8:
      return 'pcm_u8';
    case 16:
      return 'pcm_s16le';
    case 24:
      return 'pcm_s24le';
    case 32:
      return 'pcm_s32le';
    default:
      return null;
  }
}

function fourcc(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at] ?? 0, bytes[at + 1] ?? 0, bytes[at + 2] ?? 0, bytes[at + 3] ?? 0);
}

function printable(id: string): string {
  return id.replace(/[^\x20-\x7e]/g, '?');
}

/** True when 8 bytes at `at` read as a chunk header (printable fourcc, size within the file). */
function looksLikeChunk(bytes: Uint8Array, at: number): boolean {
  if (at + 8 > bytes.length) return false;
  const id = fourcc(bytes, at);
  if (!/^[\x20-\x7e]{4}$/.test(id)) return false;
  const size = new DataView(bytes.buffer, bytes.byteOffset + at + 4, 4).getUint32(0, true);
  return at + 8 + size <= bytes.length;
}

function corrupt(reason: string): AppError {
  return new AppError('AUDIO_CORRUPT', `Malformed WAV file: ${reason}`);
}

function unsupported(what: string, details: Record<string, unknown>): AppError {
  return new AppError('AUDIO_UNSUPPORTED_FORMAT', `${what} is not supported by the built-in WAV reader; ffmpeg decodes it`, { details });
}
