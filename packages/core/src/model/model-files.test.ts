import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadEngineConfig } from '../config/engine-config.js';
import { AppError } from '../errors/app-error.js';
import { isGpuProvider } from './inference-runner.js';
import { autoModelFiles, resolveModelFiles } from './model-files.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A model directory holding empty files of these names plus tokens.txt (the choice only looks at names). */
function modelDir(files: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'earshot-files-'));
  dirs.push(dir);
  for (const f of [...files, 'tokens.txt']) writeFileSync(join(dir, f), '');
  return dir;
}

const chosen = (dir: string, provider: 'cpu' | 'cuda' | 'webgpu', file = 'auto'): string =>
  basename(resolveModelFiles(dir, file, provider).modelPath);

describe('model file choice', () => {
  it("'auto' prefers int8 on the CPU and fp32, then fp16, on GPU providers, never int8", () => {
    const all = modelDir(['model.onnx', 'model.int8.onnx', 'model.fp16.onnx']);
    expect(chosen(all, 'cpu')).toBe('model.int8.onnx');
    expect(chosen(all, 'cuda')).toBe('model.onnx');
    expect(chosen(all, 'webgpu')).toBe('model.onnx');
    const fp16AndInt8 = modelDir(['model.int8.onnx', 'model.fp16.onnx']);
    expect(chosen(fp16AndInt8, 'webgpu')).toBe('model.fp16.onnx');
    expect(chosen(fp16AndInt8, 'cpu')).toBe('model.int8.onnx');
    expect(autoModelFiles('cuda')).not.toContain('model.int8.onnx');
  });

  it('explains a GPU provider with only an int8 file, naming the way to force it', () => {
    const int8Only = modelDir(['model.int8.onnx']);
    let err: unknown;
    try {
      chosen(int8Only, 'webgpu');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('MODEL_NOT_FOUND');
    expect((err as AppError).message).toContain('--force-int8-on-gpu');
    // By name the file is resolved; the session refuses it unless forced (test/webgpu.test.ts).
    expect(chosen(int8Only, 'webgpu', 'model.int8.onnx')).toBe('model.int8.onnx');
    expect(chosen(int8Only, 'cpu')).toBe('model.int8.onnx');
  });
});

describe('provider configuration', () => {
  it('accepts webgpu and the int8 override from the environment, and rejects unknown providers', () => {
    const config = loadEngineConfig({ EARSHOT_PROVIDER: 'webgpu', EARSHOT_FORCE_INT8_ON_GPU: 'true' });
    expect(config.provider).toBe('webgpu');
    expect(config.forceInt8OnGpu).toBe(true);
    expect(loadEngineConfig({}).forceInt8OnGpu).toBe(false);
    expect(loadEngineConfig({ EARSHOT_FORCE_INT8_ON_GPU: 'false' }).forceInt8OnGpu).toBe(false);
    expect(loadEngineConfig({}, { forceInt8OnGpu: true }).forceInt8OnGpu).toBe(true);
    expect(() => loadEngineConfig({ EARSHOT_PROVIDER: 'metal' })).toThrow(/EARSHOT_PROVIDER/);
    expect([isGpuProvider('cpu'), isGpuProvider('cuda'), isGpuProvider('webgpu')]).toEqual([false, true, true]);
  });
});
