/**
 * Where a decoder puts its 16 kHz mono float samples: an array in memory (the caller gave bytes,
 * so the file is small enough to hold) or a temporary PCM file on disk (the caller gave a path:
 * a two-hour file is never held whole as floats). Either way the sink counts the samples and
 * notes whether any of them is loud, so the length and silence checks need no second pass.
 *
 * Glossary: *PCM file* = raw float32 little-endian samples, no header; sample i at byte 4·i.
 */
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors/app-error.js';
import type { ClosableSampleSource } from './sample-source.js';

/** Peak |x| under which a file counts as silent (1e-4 ≈ −80 dBFS; 16-bit dither is ±3e-5). */
export const SILENCE_PEAK = 1e-4;
/** Bytes a file sink buffers before its writer must wait for `flush`. */
const FILE_BUFFER_BYTES = 1 << 20;

export interface PcmSink {
  /** Samples written so far. */
  readonly length: number;
  /** True once a sample reached SILENCE_PEAK in magnitude. */
  readonly loud: boolean;
  /** Appends samples (copied: the caller may reuse the array). */
  write(samples: Float32Array): void;
  /** Appends float32 little-endian bytes; a chunk need not end on a sample boundary. */
  writeBytes(chunk: Uint8Array): void;
  /** True when enough is buffered that the writer should `await flush()` before writing more. */
  readonly full: boolean;
  /** Resolves when the buffered samples are stored. */
  flush(): Promise<void>;
  /** Removes what was written (a failed decode); safe to call more than once. */
  discard(): Promise<void>;
}

/** True when no sample reaches `peak` in magnitude (digital silence or near it). */
export function isSilent(samples: Float32Array, peak: number = SILENCE_PEAK): boolean {
  for (let i = 0; i < samples.length; i++) {
    const v = samples[i]!;
    if (v >= peak || v <= -peak) return false;
  }
  return true;
}

/** Collects bytes with a carry for chunks split inside a sample; views whole samples as floats. */
abstract class ByteSink implements PcmSink {
  loud = false;
  private readonly carry = new Uint8Array(4);
  private carried = 0;
  abstract readonly length: number;
  abstract readonly full: boolean;
  protected abstract append(bytes: Uint8Array): void;
  abstract flush(): Promise<void>;
  abstract discard(): Promise<void>;

  write(samples: Float32Array): void {
    if (this.carried !== 0) throw new Error('PcmSink.write after a partial sample');
    this.note(samples);
    this.append(new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
  }

  writeBytes(chunk: Uint8Array): void {
    let bytes = chunk;
    if (this.carried > 0) {
      const take = Math.min(4 - this.carried, bytes.length);
      this.carry.set(bytes.subarray(0, take), this.carried);
      this.carried += take;
      bytes = bytes.subarray(take);
      if (this.carried < 4) return;
      this.carried = 0;
      this.write(new Float32Array(this.carry.slice().buffer));
    }
    const whole = bytes.length - (bytes.length % 4);
    if (whole > 0) {
      // Float32Array needs 4-byte alignment: copy when the chunk's offset is not aligned.
      const aligned = bytes.byteOffset % 4 === 0 ? bytes.subarray(0, whole) : bytes.slice(0, whole);
      this.write(new Float32Array(aligned.buffer, aligned.byteOffset, whole / 4));
    }
    this.carry.set(bytes.subarray(whole));
    this.carried = bytes.length - whole;
  }

  private note(samples: Float32Array): void {
    if (!this.loud && !isSilent(samples)) this.loud = true;
  }
}

/** Samples in one growing array (sized from the expected length to avoid regrowth). */
export class MemoryPcmSink extends ByteSink {
  private bytes: Uint8Array;
  private used = 0;
  readonly full = false;

  constructor(expectedSamples = 0) {
    super();
    this.bytes = new Uint8Array(Math.max(4096, expectedSamples * 4));
  }

  get length(): number {
    return this.used >> 2;
  }

  protected append(chunk: Uint8Array): void {
    if (this.used + chunk.length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.used + chunk.length, Math.ceil(this.bytes.length * 1.5)));
      grown.set(this.bytes.subarray(0, this.used));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.used);
    this.used += chunk.length;
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  discard(): Promise<void> {
    this.bytes = new Uint8Array(0);
    this.used = 0;
    return Promise.resolve();
  }

  /** (length,) floats; copies only when more than a quarter of the buffer is unused. */
  samples(): Float32Array {
    const count = this.length;
    const view = new Float32Array(this.bytes.buffer, 0, count);
    return this.bytes.length > count * 5 ? view.slice() : view;
  }
}

/**
 * Samples appended to a PCM file in a fresh temp directory. `source()` ends the writing and
 * returns a source over the file that deletes it when closed; `discard()` deletes it at once.
 */
export class FilePcmSink extends ByteSink {
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private written = 0;
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown = null;
  private closed = false;

  private constructor(
    private readonly dir: string,
    private readonly path: string,
    private readonly handle: FileHandle,
  ) {
    super();
  }

  /** Creates the temp directory and file under `tempDir` (default: the OS temp directory). */
  static async create(tempDir: string = tmpdir()): Promise<FilePcmSink> {
    const dir = await mkdtemp(join(tempDir, 'earshot-pcm-'));
    const path = join(dir, 'samples.f32');
    try {
      return new FilePcmSink(dir, path, await open(path, 'w+'));
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get length(): number {
    return (this.written + this.pendingBytes) >> 2;
  }

  get full(): boolean {
    return this.pendingBytes >= FILE_BUFFER_BYTES;
  }

  protected append(chunk: Uint8Array): void {
    this.pending.push(chunk.slice());
    this.pendingBytes += chunk.length;
  }

  flush(): Promise<void> {
    if (this.pending.length > 0) {
      const chunks = this.pending;
      const bytes = this.pendingBytes;
      this.pending = [];
      this.pendingBytes = 0;
      this.written += bytes;
      this.writing = this.writing.then(async () => {
        if (this.failure !== null) return;
        try {
          await this.handle.writev(chunks);
        } catch (err) {
          this.failure = err;
        }
      });
    }
    return this.writing.then(() => {
      if (this.failure !== null) {
        throw new AppError('INTERNAL', `cannot write decoded audio to ${this.path}: ${(this.failure as Error).message}`, { cause: this.failure });
      }
    });
  }

  /** Flushes, then returns a source over the file; closing it deletes the file. */
  async source(): Promise<ClosableSampleSource> {
    await this.flush();
    return fileSampleSource(this.handle, this.length, () => this.discard());
  }

  async discard(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.pending = [];
    await this.writing.catch(() => undefined);
    await this.handle.close().catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** Float32 samples read from `handle` at byte 4·i (positioned reads, safe concurrently). */
function fileSampleSource(handle: FileHandle, length: number, close: () => Promise<void>): ClosableSampleSource {
  return {
    sampleRate: 16_000,
    length,
    durationS: length / 16_000,
    async read(from, to) {
      const a = Math.max(0, Math.min(length, from));
      const b = Math.max(a, Math.min(length, to));
      const out = new Float32Array(b - a);
      const bytes = new Uint8Array(out.buffer);
      let done = 0;
      while (done < bytes.length) {
        const { bytesRead } = await handle.read(bytes, done, bytes.length - done, a * 4 + done);
        if (bytesRead === 0) throw new AppError('INTERNAL', 'the decoded audio file ended early');
        done += bytesRead;
      }
      return out;
    },
    close,
  };
}
