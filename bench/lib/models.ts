/**
 * The generated models the benchmark runs (synthetic weights: they measure speed, never accuracy),
 * generated on first use like bench/engine.ts does, and left alone when present (they may be a
 * shared read-only cache).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { generateModel } from '@earshot/modelgen/generate';
import { CACHE_DIR, TAGGED_TINY_MODEL_DIR, TINY_MODEL_DIR } from '../../test/setup/paths.js';
import type { FullModelVariant } from './report.js';

export const FULL_MODEL_DIR = join(CACHE_DIR, 'models', 'full');
export const FP32_FILE = 'model.onnx';
export const INT8_FILE = 'model.int8.onnx';

/** The file of a variant of the full model. */
export function variantFile(variant: FullModelVariant): string {
  return variant === 'fp32' ? FP32_FILE : INT8_FILE;
}

/** The full-size model (seed 1) with `file` (fp32 or int8) in it; generated when missing (about a minute). */
export async function fullModel(file: string): Promise<string> {
  if (!existsSync(join(FULL_MODEL_DIR, file)) || !existsSync(join(FULL_MODEL_DIR, 'tokens.txt'))) {
    await generateModel({ size: 'full', seed: 1, outDir: FULL_MODEL_DIR, int8: file === INT8_FILE });
  }
  return FULL_MODEL_DIR;
}

/** The tiny model (`tagged`: with real tag slots, as the memory figures of issue 8 used). */
export async function tinyModel(tagged: boolean): Promise<string> {
  const dir = tagged ? TAGGED_TINY_MODEL_DIR : TINY_MODEL_DIR;
  if (!existsSync(join(dir, FP32_FILE)) || !existsSync(join(dir, 'tokens.txt'))) {
    await generateModel({ size: 'tiny', seed: 1, outDir: dir, tagged });
  }
  return dir;
}
