/**
 * The WebGPU execution provider (in onnxruntime-node's npm package: Dawn, Vulkan on Linux), run on
 * the SwiftShader Vulkan driver so that CI without a GPU tests the same code path a GPU worker
 * takes: the whole engine through `webgpu` is token-exact with the CPU provider on the parity
 * corpus, batches of several segments included; no adapter → PROVIDER_UNAVAILABLE; int8 refused.
 * Kept short on purpose: SwiftShader runs the tiny model at ~20 ms per LFR frame after a one-off
 * shader compilation of several seconds, so one session is shared by every case.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngineConfig, type EngineConfig } from '@earshot/core/config/engine-config';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { AppError } from '@earshot/core/errors/app-error';
import type { BatchReport } from '@earshot/core/model/dynamic-batcher';
import { SenseVoiceSession } from '@earshot/core/model/sense-voice-session';
import type { Transcript } from '@earshot/core/results/transcript';
import { generateModel } from '@earshot/modelgen/generate';
import { REPO_ROOT, TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR } from './setup/paths.js';
import { useSwiftShaderVulkan } from './support/swiftshader.js';

const GPU_RUNTIME = { threads: 1, provider: 'webgpu' as const, deviceId: 0 };

/** Parity-corpus files with speech, short (SwiftShader is slow): 6 + 6 + 11 s, two VAD segments each. */
const FILES = ['en.wav', 'zh.wav', 'en-zh-silence.wav'];

/** What must be identical across providers: every token, tag and timeline (not timings or provider). */
function comparable(t: Transcript): unknown {
  return {
    language: t.language,
    text: t.text,
    richText: t.richText,
    segments: t.segments,
    emotionTimeline: t.emotionTimeline,
    eventTimeline: t.eventTimeline,
  };
}

async function transcribeAll(engine: Engine): Promise<Transcript[]> {
  // Concurrently: the batcher groups segments of different files into one batch.
  return Promise.all(FILES.map((f) => engine.transcribe(readFileSync(join(TEST_AUDIO_DIR, f)), { language: 'auto' })));
}

describe('webgpu provider (SwiftShader Vulkan)', () => {
  let cpu: Engine;
  let gpu: Engine;
  const gpuBatches: BatchReport[] = [];

  beforeAll(async () => {
    useSwiftShaderVulkan();
    // batchDelayMs lets the three files' segments meet in one batch.
    const base = { modelDir: TAGGED_TINY_MODEL_DIR, threads: 1, batchDelayMs: 300 };
    cpu = await loadEngine(loadEngineConfig({}, { ...base, provider: 'cpu' }));
    gpu = await loadEngine(loadEngineConfig({}, { ...base, provider: 'webgpu' }), { onBatch: (r) => gpuBatches.push(r) });
  });
  afterAll(async () => {
    await Promise.all([cpu?.close(), gpu?.close()]);
  });

  it('runs the whole engine token-exact with the CPU provider, batches of several segments included', async () => {
    const [fromCpu, fromGpu] = [await transcribeAll(cpu), await transcribeAll(gpu)];
    expect(fromGpu.map((t) => t.model.executionProvider)).toEqual(FILES.map(() => 'webgpu'));
    expect(fromCpu.map((t) => t.model.executionProvider)).toEqual(FILES.map(() => 'cpu'));
    for (const [i, file] of FILES.entries()) {
      expect(fromGpu[i]!.segments.length, file).toBeGreaterThanOrEqual(2);
      expect(comparable(fromGpu[i]!), file).toEqual(comparable(fromCpu[i]!));
    }
    // The tagged model's query slots carry real tags, so the comparison covers them too.
    expect(fromGpu[0]!.segments[0]!.language).toBe('en');
    expect(gpuBatches.every((b) => b.ok)).toBe(true);
    expect(Math.max(...gpuBatches.map((b) => b.items))).toBeGreaterThan(1);
  });
});

describe('webgpu provider without an adapter', () => {
  it('fails with PROVIDER_UNAVAILABLE, naming what is missing', async () => {
    // A fresh process whose Vulkan loader finds no driver at all (an ICD file that does not exist).
    const script = [
      "import { loadEngineConfig } from '@earshot/core/config/engine-config';",
      "import { loadEngine } from '@earshot/core/engine/load-engine';",
      'try {',
      `  await loadEngine(loadEngineConfig({}, { modelDir: ${JSON.stringify(TAGGED_TINY_MODEL_DIR)}, provider: 'webgpu' }), { inferenceThread: false });`,
      "  console.log(JSON.stringify({ code: 'LOADED' }));",
      '} catch (e) { console.log(JSON.stringify({ code: e.code, message: e.message })); }',
    ].join('\n');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: REPO_ROOT, env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/no_icd.json' } },
    );
    const result = JSON.parse(stdout.trim().split('\n').at(-1)!) as { code: string; message: string };
    expect(result.code).toBe('PROVIDER_UNAVAILABLE');
    expect(result.message).toContain('VK_ICD_FILENAMES');
  });
});

describe('cuda provider on an install without its binaries', () => {
  it('fails with PROVIDER_UNAVAILABLE, naming ONNXRUNTIME_NODE_INSTALL', async () => {
    const ortBin = join(REPO_ROOT, 'node_modules', 'onnxruntime-node', 'bin', 'napi-v6', process.platform, process.arch);
    const cudaInstalled = existsSync(join(ortBin, 'libonnxruntime_providers_cuda.so'));
    const err = await SenseVoiceSession.create(join(TAGGED_TINY_MODEL_DIR, 'model.onnx'), { ...GPU_RUNTIME, provider: 'cuda' }).then(
      async (s) => {
        await s.close();
        return null;
      },
      (e: unknown) => e,
    );
    if (cudaInstalled) return; // a CUDA host: loading (or a driver error) is not what this case is about
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('PROVIDER_UNAVAILABLE');
    expect((err as AppError).message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
  });
});

describe('int8 and fp16 models on the webgpu provider', () => {
  let dir: string;
  beforeAll(async () => {
    useSwiftShaderVulkan();
    dir = mkdtempSync(join(tmpdir(), 'earshot-gpu-models-'));
    await generateModel({ size: 'tiny', seed: 1, outDir: dir, int8: true, fp16: true });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('refuses an int8 model unless forced', async () => {
    const load = loadEngine(loadEngineConfig({}, { modelDir: dir, modelFile: 'model.int8.onnx', provider: 'webgpu' }), {
      inferenceThread: false,
    });
    const err = await load.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_OPTIONS');
    expect((err as AppError).message).toContain('--force-int8-on-gpu');

    const forced = await SenseVoiceSession.create(join(dir, 'model.int8.onnx'), { ...GPU_RUNTIME, forceInt8OnGpu: true });
    expect(forced.file).toBe('model.int8.onnx');
    expect(forced.executionProvider).toBe('webgpu');
    await forced.close();
  });

  it('refuses an fp16 model at load time where the adapter has no shader-f16 (SwiftShader)', async () => {
    const created = SenseVoiceSession.create(join(dir, 'model.fp16.onnx'), GPU_RUNTIME).then(
      async (s) => {
        await s.close();
        return null;
      },
      (e: unknown) => e,
    );
    const err = await created;
    if (!process.env.VK_ICD_FILENAMES?.includes('swiftshader')) {
      // A real GPU's driver: loads where it has shader-f16, else the same typed refusal.
      expect(err === null || (err as AppError).code === 'PROVIDER_UNAVAILABLE').toBe(true);
      return;
    }
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('PROVIDER_UNAVAILABLE');
    expect((err as AppError).message).toContain('shader-f16');
  });
});
