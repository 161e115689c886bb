/**
 * `earshot-model.json`: what a directory's generated files are (size, seed, generator version, file
 * sizes and hashes), so generation can be skipped when the same model is already there.
 */
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelSizeName } from './model-size.js';

export const MANIFEST_FILE = 'earshot-model.json';

export interface ManifestFile {
  /** File name inside the model directory. */
  readonly file: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface ModelManifest {
  readonly generator: '@earshot/modelgen';
  readonly generatorVersion: string;
  readonly size: ModelSizeName;
  readonly seed: number;
  /** Generated with tagged query slots (tagged-slots.ts). */
  readonly tagged?: boolean;
  readonly parameterCount: number;
  readonly model: ManifestFile;
  readonly int8Model?: ManifestFile;
  readonly fp16Model?: ManifestFile;
  readonly tokens: ManifestFile;
}

function isManifestFile(value: unknown): value is ManifestFile {
  const file = value as Partial<ManifestFile> | null;
  return typeof file === 'object' && file !== null && typeof file.file === 'string' && typeof file.bytes === 'number' && typeof file.sha256 === 'string';
}

function isManifest(value: unknown): value is ModelManifest {
  const m = value as Partial<ModelManifest> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.generator === '@earshot/modelgen' &&
    typeof m.generatorVersion === 'string' &&
    (m.size === 'tiny' || m.size === 'full') &&
    typeof m.seed === 'number' &&
    typeof m.parameterCount === 'number' &&
    isManifestFile(m.model) &&
    isManifestFile(m.tokens) &&
    (m.int8Model === undefined || isManifestFile(m.int8Model)) &&
    (m.fp16Model === undefined || isManifestFile(m.fp16Model))
  );
}

/** The directory's manifest, or undefined when absent or unreadable (then everything is regenerated). */
export async function readManifest(dir: string): Promise<ModelManifest | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
    return isManifest(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** True when the file exists with the recorded size (hashes are not recomputed: 1 GB takes seconds). */
export async function fileMatches(dir: string, entry: ManifestFile | undefined): Promise<boolean> {
  if (!entry) return false;
  try {
    return (await stat(join(dir, entry.file))).size === entry.bytes;
  } catch {
    return false;
  }
}

export async function writeManifest(dir: string, manifest: ModelManifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  const tempPath = `${path}.partial-${process.pid}`;
  await writeFile(tempPath, `${JSON.stringify(manifest, null, 2)}\n`);
  await rename(tempPath, path);
}
