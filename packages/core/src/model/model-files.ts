import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AppError } from '../errors/app-error.js';
import { isGpuProvider, type ExecutionProvider } from './inference-runner.js';

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
 * The files 'auto' tries, best first. CPU: int8 (dynamic quantization is faster there), then fp32.
 * GPU providers: fp32, then fp16 (`npm run model:generate -- --fp16`; worth choosing by name where
 * the GPU has fast fp16), never int8 (no GPU int8 kernels; `forceInt8OnGpu` + an explicit name).
 */
export function autoModelFiles(provider: ExecutionProvider): readonly string[] {
  return isGpuProvider(provider) ? ['model.onnx', 'model.fp16.onnx'] : ['model.int8.onnx', 'model.onnx'];
}

/**
 * Picks the ONNX file inside a sherpa-onnx style model directory: `modelFile` by name, or for
 * 'auto' the first of `autoModelFiles(provider)` that exists.
 */
export function resolveModelFiles(dir: string, modelFile: string, provider: ExecutionProvider): ModelFiles {
  const root = resolve(dir);
  if (!existsSync(root) || !statSync(root).isDirectory()) {
    throw new AppError('MODEL_NOT_FOUND', `model directory ${root} does not exist\n${HOW_TO_GET_A_MODEL}`);
  }
  let modelPath: string;
  if (modelFile === 'auto') {
    const order = autoModelFiles(provider);
    const found = order.map((f) => join(root, f)).find((p) => existsSync(p));
    if (!found) {
      const int8Only = isGpuProvider(provider) && existsSync(join(root, 'model.int8.onnx'));
      throw new AppError(
        'MODEL_NOT_FOUND',
        int8Only
          ? `${root} has only model.int8.onnx, which the ${provider} provider does not run (no GPU int8 kernels): add model.onnx, or pass --model-file model.int8.onnx with --force-int8-on-gpu (EARSHOT_FORCE_INT8_ON_GPU=true)`
          : `no ${order.join(' or ')} in ${root}\n${HOW_TO_GET_A_MODEL}`,
      );
    }
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
