/**
 * The on-disk cache of derived model files: the model with the decode graph appended
 * (decode-graph.ts) and the session-optimised copy onnxruntime writes of it
 * (session-options.ts). Either takes seconds to make and is the same for every process
 * of a host, so it is made once and loaded by path afterwards.
 *
 * Glossary:
 * - entry: a directory `<name>/` holding the files of one derived model plus `source.json`
 *   (the model file it was made from). An entry only ever appears by renaming a complete
 *   private directory into place, so a process never sees a half-written one.
 * - use: finding an entry touches its directory's mtime; eviction is least recently used.
 *
 * Several processes may start at once on one host: each writes its own private directory
 * (`.tmp-<uuid>`); the first rename wins and the others drop their copy. Eviction renames an
 * entry away before deleting it, so a reader sees a whole entry or none; a process that already
 * opened or memory-mapped an evicted entry keeps its inode (POSIX), and one that lost the race
 * between finding and opening rebuilds (see `SenseVoiceSession`).
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ModelCacheOptions {
  /** Cache directory. @defaultValue `$TMPDIR/earshot-model-cache` */
  dir: string;
  /** Total size the entries may keep after an eviction, in bytes. */
  maxBytes: number;
  /** Entries used more recently than this are never evicted (another process may be opening them). @defaultValue 60 000 */
  graceMs?: number;
}

/** The model file an entry was derived from; an entry whose source changed or vanished is stale. */
export interface EntrySource {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface EvictionReport {
  removed: { name: string; bytes: number; why: 'stale' | 'size' | 'partial' }[];
  keptBytes: number;
}

const SOURCE_FILE = 'source.json';
const TMP_PREFIX = '.tmp-';
/** A private directory older than this belongs to a process that died while writing. */
const ABANDONED_TMP_MS = 60 * 60 * 1000;

/**
 * The cache when a runtime names none: `$TMPDIR/earshot-model-cache`, 6 GiB (the edited and
 * optimised copies of the generated `full` model take 2.8 GB in fp32 and 0.7 GB in int8).
 */
export const DEFAULT_MODEL_CACHE: ModelCacheOptions = { dir: join(tmpdir(), 'earshot-model-cache'), maxBytes: 6 * 1024 ** 3 };

export class ModelCache {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly graceMs: number;

  constructor(options: ModelCacheOptions) {
    this.dir = options.dir;
    this.maxBytes = options.maxBytes;
    this.graceMs = options.graceMs ?? 60_000;
  }

  /** The directory of entry `name` (touched as used), or null when there is none. */
  async find(name: string): Promise<string | null> {
    const path = join(this.dir, name);
    const info = await stat(path).catch(() => null);
    if (!info?.isDirectory()) return null;
    const now = new Date();
    await utimes(path, now, now).catch(() => undefined);
    return path;
  }

  /**
   * Makes entry `name`: `write` fills a private directory, which is then renamed into place.
   * When another process published the same entry first, its copy is kept and ours dropped.
   * @returns the entry's directory and what `write` returned
   * @throws whatever `write` throws (the private directory is removed), or the file system's
   *   error when the cache directory is not writable
   */
  async publish<T>(name: string, source: EntrySource, write: (dir: string) => Promise<T>): Promise<{ dir: string; value: T }> {
    await mkdir(this.dir, { recursive: true });
    const tmp = join(this.dir, `${TMP_PREFIX}${randomUUID()}`);
    await mkdir(tmp);
    try {
      const value = await write(tmp);
      await writeFile(join(tmp, SOURCE_FILE), JSON.stringify(source));
      const dir = join(this.dir, name);
      try {
        await rename(tmp, dir);
      } catch (err) {
        // ENOTEMPTY / EEXIST: another process published it first; theirs is as good as ours.
        if (!(await stat(dir).catch(() => null))?.isDirectory()) throw err;
        await rm(tmp, { recursive: true, force: true });
      }
      return { dir, value };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true }).catch(() => undefined);
      throw err;
    }
  }

  /**
   * Removes stale entries (their source model changed or is gone) and private directories of
   * writers that died, then the least recently used entries (and files of the older single-file
   * layout, by modification time) until the rest fit in `maxBytes`.
   * Entries in `keep` and entries used within the grace period are never removed.
   */
  async evict(keep: readonly string[] = []): Promise<EvictionReport> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const now = Date.now();
    const removed: EvictionReport['removed'] = [];
    const live: { name: string; bytes: number; usedMs: number }[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      const info = await stat(path).catch(() => null);
      if (!info) continue;
      const bytes = info.isDirectory() ? await dirBytes(path) : info.size;
      if (name.startsWith(TMP_PREFIX)) {
        if (now - info.mtimeMs > ABANDONED_TMP_MS && (await this.remove(name))) removed.push({ name, bytes, why: 'partial' });
        continue;
      }
      const recent = keep.includes(name) || now - info.mtimeMs < this.graceMs;
      // A plain file is the single-file layout of an older version, which a process of that
      // version may still load: it only goes when the size bound needs its room.
      if (info.isDirectory() && !(await sourceIsCurrent(path))) {
        if (!recent && (await this.remove(name))) removed.push({ name, bytes, why: 'stale' });
        else live.push({ name, bytes, usedMs: info.mtimeMs });
        continue;
      }
      live.push({ name, bytes, usedMs: info.mtimeMs });
    }
    live.sort((a, b) => b.usedMs - a.usedMs); // most recently used first
    let keptBytes = 0;
    for (const e of live) {
      const protectedEntry = keep.includes(e.name) || now - e.usedMs < this.graceMs;
      if (!protectedEntry && keptBytes + e.bytes > this.maxBytes && (await this.remove(e.name))) {
        removed.push({ name: e.name, bytes: e.bytes, why: 'size' });
        continue;
      }
      keptBytes += e.bytes;
    }
    return { removed, keptBytes };
  }

  /** Removes entry `name` (one that failed to load); false when it was not there. */
  discard(name: string): Promise<boolean> {
    return this.remove(name);
  }

  /** Renames `name` away (atomic: a reader sees it whole or not at all), then deletes it. */
  private async remove(name: string): Promise<boolean> {
    const doomed = join(this.dir, `${TMP_PREFIX}${randomUUID()}`);
    try {
      await rename(join(this.dir, name), doomed);
    } catch {
      return false; // already removed by another process
    }
    await rm(doomed, { recursive: true, force: true });
    return true;
  }
}

async function sourceIsCurrent(entry: string): Promise<boolean> {
  let source: EntrySource;
  try {
    source = JSON.parse(await readFile(join(entry, SOURCE_FILE), 'utf8')) as EntrySource;
  } catch {
    return false;
  }
  const info = await stat(source.path).catch(() => null);
  return info !== null && info.size === source.size && info.mtimeMs === source.mtimeMs;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await dirBytes(p) : ((await stat(p).catch(() => null))?.size ?? 0);
  }
  return total;
}
