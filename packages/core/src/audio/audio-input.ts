/**
 * The encoded file a decoder reads: bytes already in memory, or a file on disk read in pieces
 * (positioned reads), so one decoder serves `decodeAudio(bytes)` and `openAudioFile(path)`.
 */
import { mkdtemp, open, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppError } from '../errors/app-error.js';

export interface AudioInput {
  /** Bytes in the file. */
  readonly size: number;
  /** Bytes `[offset, offset + length)`, clamped to the file (a new array, or a view of the input bytes). */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Runs `use` with a path ffmpeg can open: the file itself, or (for bytes) a temp file
   * deleted afterwards. `tempDir` is where that temp file goes.
   */
  withPath<T>(use: (path: string) => Promise<T>, tempDir?: string): Promise<T>;
}

/** Bytes in memory. */
export function bytesInput(bytes: Uint8Array): AudioInput {
  return {
    size: bytes.length,
    read: (offset, length) => Promise.resolve(bytes.subarray(Math.max(0, offset), Math.max(0, Math.min(bytes.length, offset + length)))),
    async withPath(use, tempDir) {
      // A file rather than stdin: MP4/M4A needs seeking (the moov atom is often at the end).
      const dir = await mkdtemp(join(tempDir ?? tmpdir(), 'earshot-ffmpeg-'));
      try {
        const path = join(dir, 'input');
        await writeFile(path, bytes);
        return await use(path);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/** An open file on disk. The caller closes it. */
export interface FileInput extends AudioInput {
  close(): Promise<void>;
}

/**
 * Opens `path` for reading.
 * @throws AppError SOURCE_NOT_FOUND when there is no such file (or it is a directory), SOURCE_FETCH_FAILED otherwise
 */
export async function openFileInput(path: string): Promise<FileInput> {
  let handle: FileHandle;
  let size: number;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw openError(path, err);
  }
  try {
    const stat = await handle.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    size = stat.size;
  } catch (err) {
    await handle.close().catch(() => undefined);
    throw openError(path, err);
  }
  return {
    size,
    async read(offset, length) {
      const a = Math.max(0, Math.min(size, offset));
      const out = new Uint8Array(Math.max(0, Math.min(size, offset + length) - a));
      let done = 0;
      while (done < out.length) {
        const { bytesRead } = await handle.read(out, done, out.length - done, a + done);
        if (bytesRead === 0) break; // the file shrank while we read it: what is there
        done += bytesRead;
      }
      return done === out.length ? out : out.subarray(0, done);
    },
    withPath: (use) => use(path),
    close: () => handle.close().catch(() => undefined),
  };
}

function openError(path: string, err: unknown): AppError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'EISDIR') return new AppError('SOURCE_NOT_FOUND', `no audio file at ${path}`, { cause: err });
  return new AppError('SOURCE_FETCH_FAILED', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
}
