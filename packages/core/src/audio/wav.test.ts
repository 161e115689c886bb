import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { parseWav, parseWavHeader, readWavFrames, walkWavChunks } from './wav.js';

interface Chunk {
  id: string;
  body: Uint8Array;
  /** Written size field when it differs from the body length. */
  size?: number;
}

function chunk(id: string, body: Uint8Array, size?: number): Chunk {
  return size === undefined ? { id, body } : { id, body, size };
}

/** RIFF file from chunks: odd bodies get a pad byte unless the chunk is last and `padLast` is false. */
function riff(chunks: Chunk[], head = 'RIFF'): Uint8Array {
  const parts: number[] = [];
  const push4cc = (s: string): void => {
    for (const ch of s) parts.push(ch.charCodeAt(0));
  };
  const push32 = (v: number): void => {
    parts.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  };
  for (const c of chunks) {
    push4cc(c.id);
    push32(c.size ?? c.body.length);
    parts.push(...c.body);
    if (c.body.length & 1) parts.push(0);
  }
  const out = new Uint8Array(12 + parts.length);
  const view = new DataView(out.buffer);
  out.set([...head].map((c) => c.charCodeAt(0)), 0);
  view.setUint32(4, 4 + parts.length, true);
  out.set([...'WAVE'].map((c) => c.charCodeAt(0)), 8);
  out.set(parts, 12);
  return out;
}

function fmt(tag: number, channels: number, sampleRate: number, bits: number, extensibleSubTag?: number): Uint8Array {
  const body = new Uint8Array(extensibleSubTag === undefined ? 16 : 40);
  const view = new DataView(body.buffer);
  const blockAlign = channels * Math.ceil(bits / 8);
  view.setUint16(0, extensibleSubTag === undefined ? tag : 0xfffe, true);
  view.setUint16(2, channels, true);
  view.setUint32(4, sampleRate, true);
  view.setUint32(8, sampleRate * blockAlign, true);
  view.setUint16(12, blockAlign, true);
  view.setUint16(14, bits, true);
  if (extensibleSubTag !== undefined) {
    view.setUint16(16, 22, true);
    view.setUint16(18, bits, true);
    view.setUint32(20, 3, true);
    view.setUint16(24, extensibleSubTag, true);
    body.set([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71], 26);
  }
  return body;
}

function int16le(values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  values.forEach((v, i) => view.setInt16(i * 2, v, true));
  return out;
}

function withBlockAlign(fmtBody: Uint8Array, blockAlign: number): Uint8Array {
  const copy = fmtBody.slice();
  new DataView(copy.buffer).setUint16(12, blockAlign, true);
  return copy;
}

function hugeDs64(): Uint8Array {
  const body = new Uint8Array(28);
  new DataView(body.buffer).setBigUint64(8, 1n << 60n, true);
  return body;
}

function expectWavError(bytes: Uint8Array, code: string, message?: RegExp): void {
  let caught: unknown;
  try {
    parseWav(bytes);
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(AppError);
  expect((caught as AppError).code).toBe(code);
  if (message) expect((caught as AppError).message).toMatch(message);
}

describe('parseWav encodings', () => {
  it('reads 16-bit stereo and averages the channels', () => {
    const wav = parseWav(riff([chunk('fmt ', fmt(1, 2, 44100, 16)), chunk('data', int16le([16384, 0, -32768, -32768, 32767, -32767]))]));
    expect(wav).toMatchObject({ sampleRate: 44100, channels: 2, bitsPerSample: 16, encoding: 'pcm_s16le' });
    expect(Array.from(wav.samples)).toEqual([0.25, -1, 0]);
  });

  it('reads unsigned 8-bit', () => {
    const wav = parseWav(riff([chunk('fmt ', fmt(1, 1, 8000, 8)), chunk('data', new Uint8Array([128, 255, 0, 192]))]));
    expect(wav.encoding).toBe('pcm_u8');
    expect(Array.from(wav.samples)).toEqual([0, 127 / 128, -1, 0.5]);
  });

  it('reads signed 24-bit (sign extension) and 32-bit', () => {
    const s24 = new Uint8Array([0x00, 0x00, 0x40, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff]); // 0.5, -1, -1/2^23
    const wav24 = parseWav(riff([chunk('fmt ', fmt(1, 1, 16000, 24)), chunk('data', s24)]));
    expect(Array.from(wav24.samples)).toEqual([0.5, -1, Math.fround(-1 / 8388608)]);
    const s32 = new Uint8Array(8);
    new DataView(s32.buffer).setInt32(0, -1073741824, true);
    new DataView(s32.buffer).setInt32(4, 2147483647, true);
    const wav32 = parseWav(riff([chunk('fmt ', fmt(1, 1, 16000, 32)), chunk('data', s32)]));
    expect(wav32.encoding).toBe('pcm_s32le');
    expect(wav32.samples[0]).toBe(-0.5);
    expect(wav32.samples[1]).toBeCloseTo(1, 6);
  });

  it('reads float 32 and 64, clamping out-of-range values and zeroing NaN', () => {
    const f32 = new Uint8Array(16);
    const v32 = new DataView(f32.buffer);
    [0.25, -0.75, 3, Number.NaN].forEach((v, i) => v32.setFloat32(i * 4, v, true));
    const wav = parseWav(riff([chunk('fmt ', fmt(3, 1, 16000, 32)), chunk('data', f32)]));
    expect(wav.encoding).toBe('pcm_f32le');
    expect(Array.from(wav.samples)).toEqual([0.25, -0.75, 1, 0]);
    const f64 = new Uint8Array(16);
    new DataView(f64.buffer).setFloat64(0, 0.125, true);
    new DataView(f64.buffer).setFloat64(8, -0.5, true);
    const wav64 = parseWav(riff([chunk('fmt ', fmt(3, 2, 16000, 64)), chunk('data', f64)]));
    expect(wav64).toMatchObject({ encoding: 'pcm_f64le', channels: 2 });
    expect(Array.from(wav64.samples)).toEqual([-0.1875]);
  });

  it('reads WAVE_FORMAT_EXTENSIBLE with PCM and float sub-formats', () => {
    const pcm = parseWav(riff([chunk('fmt ', fmt(1, 1, 48000, 16, 1)), chunk('data', int16le([8192]))]));
    expect(pcm).toMatchObject({ encoding: 'pcm_s16le', sampleRate: 48000 });
    expect(pcm.samples[0]).toBe(0.25);
    const f32 = new Uint8Array(4);
    new DataView(f32.buffer).setFloat32(0, -0.5, true);
    expect(parseWav(riff([chunk('fmt ', fmt(3, 1, 48000, 32, 3)), chunk('data', f32)])).samples[0]).toBe(-0.5);
  });

  it('reads 12-bit PCM from its 16-bit containers', () => {
    const wav = parseWav(riff([chunk('fmt ', fmt(1, 1, 8000, 12)), chunk('data', int16le([0x4000]))]));
    expect(wav).toMatchObject({ bitsPerSample: 16, encoding: 'pcm_s16le' });
    expect(wav.samples[0]).toBe(0.5);
  });

  it('mixes a frame range into a caller buffer', () => {
    const bytes = riff([chunk('fmt ', fmt(1, 2, 8000, 16)), chunk('data', int16le([0, 0, 16384, 16384, 8192, 0]))]);
    const info = parseWavHeader(bytes);
    const out = new Float32Array(2);
    readWavFrames(bytes, info, 1, 2, out);
    expect(Array.from(out)).toEqual([0.5, 0.125]);
    expect(() => readWavFrames(bytes, info, 2, 2, out)).toThrow(RangeError);
  });
});

describe('parseWav chunk walking', () => {
  it('skips LIST and odd-sized unknown chunks (with their pad byte), wherever they are', () => {
    const list = chunk('LIST', new Uint8Array([..."INFOISFT"].map((c) => c.charCodeAt(0)).concat([3, 0, 0, 0, 0x61, 0x62, 0x00])));
    const odd = chunk('junk', new Uint8Array([1, 2, 3]));
    const bytes = riff([odd, chunk('fmt ', fmt(1, 1, 16000, 16)), list, chunk('data', int16le([16384, -16384])), chunk('id3 ', new Uint8Array(5))]);
    expect(Array.from(parseWav(bytes).samples)).toEqual([0.5, -0.5]);
  });

  it('finds fmt after data', () => {
    const bytes = riff([chunk('data', int16le([16384])), chunk('fmt ', fmt(1, 1, 16000, 16))]);
    expect(Array.from(parseWav(bytes).samples)).toEqual([0.5]);
  });

  it.each([
    ['0 (streaming writer)', 0],
    ['0xFFFFFFFF', 0xffffffff],
    ['larger than the file', 1000],
  ])('uses the bytes present when the data size is %s, dropping a partial frame', (_label, size) => {
    const data = new Uint8Array([...int16le([16384, -16384, 8192, 8192]), 0x11]); // 2 stereo frames + 1 stray byte
    const bytes = riff([chunk('fmt ', fmt(1, 2, 16000, 16)), chunk('data', data, size)]);
    const wav = parseWav(bytes.subarray(0, bytes.length - 1)); // drop riff()'s pad byte: the file ends mid-frame
    expect(Array.from(wav.samples)).toEqual([0, 0.25]);
  });

  it('keeps a genuinely empty data chunk that is followed by another chunk', () => {
    const bytes = riff([chunk('fmt ', fmt(1, 1, 16000, 16)), chunk('data', new Uint8Array(0)), chunk('LIST', new Uint8Array(4))]);
    expect(parseWav(bytes).samples.length).toBe(0);
  });

  it('reads RF64 with the data size from ds64', () => {
    const ds64 = new Uint8Array(28);
    new DataView(ds64.buffer).setBigUint64(8, 4n, true); // data size: 2 samples
    const bytes = riff([chunk('ds64', ds64), chunk('fmt ', fmt(1, 1, 16000, 16)), chunk('data', int16le([16384, 8192, 4096]), 0xffffffff)], 'RF64');
    expect(Array.from(parseWav(bytes).samples)).toEqual([0.5, 0.25]);
  });

  it('reports the frames a data chunk declares: more than present when truncated, null when left open', () => {
    const fmt16 = chunk('fmt ', fmt(1, 1, 16000, 16));
    const info = (size?: number) => parseWavHeader(riff([fmt16, chunk('data', int16le([1, 2, 3, 4]), size)]));
    expect(info()).toMatchObject({ frameCount: 4, declaredFrameCount: 4 });
    expect(info(1000)).toMatchObject({ frameCount: 4, declaredFrameCount: 500 });
    expect(info(0xffffffff)).toMatchObject({ frameCount: 4, declaredFrameCount: null });
    expect(info(0)).toMatchObject({ frameCount: 4, declaredFrameCount: null });
    const ds64 = new Uint8Array(28);
    new DataView(ds64.buffer).setBigUint64(8, 20_000n, true);
    const rf64 = parseWavHeader(riff([chunk('ds64', ds64), fmt16, chunk('data', int16le([1, 2]), 0xffffffff)], 'RF64'));
    expect(rf64).toMatchObject({ frameCount: 2, declaredFrameCount: 10_000 });
  });

  it('walks the chunks of an encoding it does not read (for the ffmpeg path)', () => {
    const bytes = riff([chunk('fmt ', fmt(6, 1, 8000, 8)), chunk('data', new Uint8Array(10), 64)]);
    expect(walkWavChunks(bytes).data).toEqual({ offset: 44, presentBytes: 10, declaredBytes: 64 });
  });

  it('returns zero frames for a header without a data chunk', () => {
    expect(parseWav(riff([chunk('fmt ', fmt(1, 1, 16000, 16))])).samples.length).toBe(0);
  });
});

describe('parseWav errors', () => {
  it.each([
    ['a file shorter than the RIFF header', new Uint8Array([0x52, 0x49, 0x46, 0x46])],
    ['no fmt chunk', riff([chunk('data', int16le([1, 2]))])],
    ['a fmt chunk shorter than 16 bytes', riff([chunk('fmt ', fmt(1, 1, 16000, 16).subarray(0, 14)), chunk('data', int16le([1]))])],
    ['0 channels', riff([chunk('fmt ', fmt(1, 0, 16000, 16)), chunk('data', int16le([1]))])],
    ['a 0 Hz sample rate', riff([chunk('fmt ', fmt(1, 1, 0, 16)), chunk('data', int16le([1]))])],
    ['a 10 Hz sample rate', riff([chunk('fmt ', fmt(1, 1, 10, 16)), chunk('data', int16le([1]))])],
    ['a 10 MHz sample rate', riff([chunk('fmt ', fmt(1, 1, 10_000_000, 16)), chunk('data', int16le([1]))])],
    ['1,000 channels', riff([chunk('fmt ', fmt(1, 1000, 16000, 16)), chunk('data', new Uint8Array(2000))])],
    ['1,000 channels of A-law (before handing it to ffmpeg)', riff([chunk('fmt ', fmt(6, 1000, 8000, 8)), chunk('data', new Uint8Array(1000))])],
    ['a block align that is not channels × bytes per sample', riff([chunk('fmt ', withBlockAlign(fmt(1, 2, 16000, 16), 3)), chunk('data', int16le([1, 2]))])],
    ['a block align of 0', riff([chunk('fmt ', withBlockAlign(fmt(3, 1, 16000, 32), 0)), chunk('data', new Uint8Array(4))])],
    ['RF64 whose data size is in a missing ds64 chunk', riff([chunk('fmt ', fmt(1, 1, 16000, 16)), chunk('data', int16le([1]), 0xffffffff)], 'RF64')],
    ['a ds64 chunk shorter than 16 bytes', riff([chunk('ds64', new Uint8Array(8)), chunk('fmt ', fmt(1, 1, 16000, 16)), chunk('data', int16le([1]), 0xffffffff)], 'RF64')],
    ['a ds64 data size beyond 2^53', riff([chunk('ds64', hugeDs64()), chunk('fmt ', fmt(1, 1, 16000, 16)), chunk('data', int16le([1]), 0xffffffff)], 'BW64')],
    ['0 bits per sample', riff([chunk('fmt ', fmt(1, 1, 16000, 0)), chunk('data', int16le([1]))])],
    ['a chunk running past the end before the data', riff([chunk('fmt ', fmt(1, 1, 16000, 16)), chunk('LIST', new Uint8Array(4), 4000), chunk('data', int16le([1]))])],
  ])('rejects %s as AUDIO_CORRUPT', (_label, bytes) => {
    expectWavError(bytes, 'AUDIO_CORRUPT', /Malformed WAV/);
  });

  it.each([
    ['MS ADPCM', 2, 4],
    ['A-law', 6, 8],
    ['µ-law', 7, 8],
    ['IMA ADPCM', 0x11, 4],
  ])('rejects %s as AUDIO_UNSUPPORTED_FORMAT and names ffmpeg', (name, tag, bits) => {
    const bytes = riff([chunk('fmt ', fmt(tag, 1, 8000, bits)), chunk('data', new Uint8Array(64))]);
    expectWavError(bytes, 'AUDIO_UNSUPPORTED_FORMAT', new RegExp(`${name}.*ffmpeg`));
  });

  it('rejects 16-bit float and big-endian RIFX as unsupported', () => {
    expectWavError(riff([chunk('fmt ', fmt(3, 1, 8000, 16)), chunk('data', new Uint8Array(4))]), 'AUDIO_UNSUPPORTED_FORMAT');
    expectWavError(riff([chunk('fmt ', fmt(1, 1, 8000, 16)), chunk('data', new Uint8Array(4))], 'RIFX'), 'AUDIO_UNSUPPORTED_FORMAT', /RIFX/);
  });
});
