import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '../errors/app-error.js';
import type { ExecutionProvider } from './inference-runner.js';

export interface ModelFiles {
  modelPath: string;
  tokensPath: string;
}

/** Where the official sherpa-onnx release is expected when no directory is configured. */
export const DEFAULT_MODEL_DIRS = ['models/sensevoice', 'models/sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17'];

export const HOW_TO_GET_A_MODEL = [
  'No SenseVoice model found. Either:',
  '  - fetch the official sherpa-onnx SenseVoiceSmall export (needs internet):',
  '      npm run model:download -- --out models/sensevoice',
  '  - or generate a synthetic model with the same contract and RANDOM weights',
  '    (for tests and benchmarks only; its output is not a transcription):',
  '      npm run model:generate -- --size tiny --out models/synthetic-tiny',
  'then pass --model DIR or set EARSHOT_MODEL_DIR.',
].join('\n');

/**
 * Picks the ONNX file inside a sherpa-onnx style model directory.
 * `modelFile` 'auto': model.int8.onnx on CPU if present (faster there), model.onnx on
 * CUDA if present (no CUDA int8 kernels); otherwise whichever exists.
 */
export function resolveModelFiles(dir: string, modelFile: string, provider: ExecutionProvider): ModelFiles {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new AppError('MODEL_NOT_FOUND', `model directory ${root} does not exist\n${HOW_TO_GET_A_MODEL}`);
  }
  let modelPath: string;
  if (modelFile === 'auto') {
    const order = provider === 'cuda' ? ['model.onnx', 'model.int8.onnx'] : ['model.int8.onnx', 'model.onnx'];
    const found = order.map((f) => join(root, f)).find((p) => existsSync(p));
    if (!found) throw new AppError('MODEL_NOT_FOUND', `no model.onnx or model.int8.onnx in ${root}\n${HOW_TO_GET_A_MODEL}`);
    modelPath = found;
  } else {
    modelPath = resolve(root, modelFile);
    if (!existsSync(modelPath)) throw new AppError('MODEL_NOT_FOUND', `model file ${modelPath} does not exist`);
  }
  const tokensPath = join(root, 'tokens.txt');
  if (!existsSync(tokensPath)) {
    throw new AppError('MODEL_NOT_FOUND', `${root} has no tokens.txt (the sherpa-onnx vocabulary file)`);
  }
  return { modelPath, tokensPath };
}

/** The configured directory, or the first default one that exists, or null. */
export function findModelDir(configured: string | undefined, cwd = process.cwd()): string | null {
  if (configured) return resolve(cwd, configured);
  for (const d of DEFAULT_MODEL_DIRS) {
    const p = resolve(cwd, d);
    if (existsSync(p)) return p;
  }
  return null;
}
