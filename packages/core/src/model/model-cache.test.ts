import { mkdtemp, mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelCache, type EntrySource } from './model-cache.js';

let root: string;
let source: EntrySource;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'earshot-model-cache-test-'));
  const model = join(root, 'model.onnx');
  await writeFile(model, 'model bytes');
  const info = await stat(model);
  source = { path: model, size: info.size, mtimeMs: info.mtimeMs };
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const cacheIn = (maxBytes: number, graceMs = 0): ModelCache => new ModelCache({ dir: join(root, 'cache'), maxBytes, graceMs });
const listing = async (c: ModelCache): Promise<string[]> => (await readdir(c.dir)).sort();

/** Publishes an entry holding one file of `bytes` bytes, last used `ageS` seconds ago. */
async function entry(c: ModelCache, name: string, bytes: number, ageS: number, from = source): Promise<void> {
  await c.publish(name, from, (dir) => writeFile(join(dir, 'model.onnx'), Buffer.alloc(bytes)));
  const at = new Date(Date.now() - ageS * 1000);
  await utimes(join(c.dir, name), at, at);
}

describe('ModelCache', () => {
  it('publishes an entry whole: nothing is visible until the rename, and a failed write leaves nothing', async () => {
    const c = cacheIn(1e9);
    expect(await c.find('a')).toBeNull();
    const { dir, value } = await c.publish('a', source, async (tmp) => {
      await writeFile(join(tmp, 'model.onnx'), 'x');
      expect(await c.find('a')).toBeNull(); // still private
      return 42;
    });
    expect(value).toBe(42);
    expect(await c.find('a')).toBe(dir);
    expect(await readdir(dir)).toEqual(['model.onnx', 'source.json']);
    await expect(c.publish('b', source, () => Promise.reject(new Error('disk full')))).rejects.toThrow('disk full');
    expect(await listing(c)).toEqual(['a']);
  });

  it('lets several processes publish the same entry at once: one copy stays, every caller gets it', async () => {
    const c = cacheIn(1e9);
    const results = await Promise.all(
      [1, 2, 3, 4].map((n) => c.publish('same', source, (tmp) => writeFile(join(tmp, 'model.onnx'), `writer ${n}`))),
    );
    expect(new Set(results.map((r) => r.dir)).size).toBe(1);
    expect(await listing(c)).toEqual(['same']);
  });

  it('marks an entry used when found, and evicts the least recently used beyond the size bound', async () => {
    const c = cacheIn(2500);
    await entry(c, 'old', 1000, 300);
    await entry(c, 'mid', 1000, 200);
    await entry(c, 'new', 1000, 100);
    expect(await c.find('old')).not.toBeNull(); // now the most recently used
    const report = await c.evict();
    expect(report.removed.map((r) => [r.name, r.why])).toEqual([['mid', 'size']]);
    expect(await listing(c)).toEqual(['new', 'old']);
    expect(report.keptBytes).toBeGreaterThan(2000);
    expect(report.keptBytes).toBeLessThanOrEqual(2500);
  });

  it('never evicts the entries in use (keep) nor one used within the grace period', async () => {
    const c = cacheIn(0, 60_000);
    await entry(c, 'kept', 1000, 300);
    await entry(c, 'recent', 1000, 10);
    await entry(c, 'idle', 1000, 300);
    const report = await c.evict(['kept']);
    expect(report.removed.map((r) => r.name)).toEqual(['idle']);
    expect(await listing(c)).toEqual(['kept', 'recent']);
  });

  it('removes entries whose model changed or is gone and abandoned private directories; files of the older layout only for room', async () => {
    const c = cacheIn(1e9);
    const other = join(root, 'other.onnx');
    await writeFile(other, 'other model');
    const info = await stat(other);
    await entry(c, 'of-other', 10, 300, { path: other, size: info.size, mtimeMs: info.mtimeMs });
    await entry(c, 'current', 10, 300);
    await entry(c, 'changed', 10, 300, { ...source, size: source.size + 1 });
    await rm(other);
    await writeFile(join(c.dir, 'model.0123456789abcdef.onnx'), 'a cache file of the older layout');
    await mkdir(join(c.dir, '.tmp-dead-writer'));
    const old = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(c.dir, '.tmp-dead-writer'), old, old);
    await utimes(join(c.dir, 'model.0123456789abcdef.onnx'), old, old);
    await mkdir(join(c.dir, '.tmp-live-writer')); // another process writing right now
    const report = await c.evict();
    expect(report.removed.map((r) => `${r.name}:${r.why}`).sort()).toEqual(
      ['.tmp-dead-writer:partial', 'changed:stale', 'of-other:stale'].sort(),
    );
    expect(await listing(c)).toEqual(['.tmp-live-writer', 'current', 'model.0123456789abcdef.onnx']);
    const tight = new ModelCache({ dir: c.dir, maxBytes: 0, graceMs: 0 });
    expect((await tight.evict(['current'])).removed.map((r) => `${r.name}:${r.why}`)).toEqual(['model.0123456789abcdef.onnx:size']);
  });

  it('treats a missing cache directory as empty', async () => {
    expect(await cacheIn(0).evict()).toEqual({ removed: [], keptBytes: 0 });
  });
});
