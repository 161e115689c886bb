import { basename } from 'node:path';
import { batchMaxPaddingOf, type EngineConfig } from '../config/engine-config.js';
import { queryTagIds } from '../decoding/query-tags.js';
import { SymbolTable } from '../decoding/symbol-table.js';
import { AppError } from '../errors/app-error.js';
import { FeatureExtractor, featureOptionsOf } from '../features/compute-features.js';
import { FeaturePool } from '../features/feature-pool.js';
import { DynamicBatcher, type BatchReport } from '../model/dynamic-batcher.js';
import type { InferenceRunner, RuntimeOptions } from '../model/inference-runner.js';
import { DEFAULT_MODEL_CACHE } from '../model/model-cache.js';
import { resolveModelFiles, HOW_TO_GET_A_MODEL } from '../model/model-files.js';
import { SenseVoiceSession } from '../model/sense-voice-session.js';
import { ThreadedRunner } from '../model/threaded-runner.js';
import { ThreadedSileroDetector } from '../vad/threaded-silero-detector.js';
import { createEngine, type Engine } from './engine.js';

export interface LoadEngineOptions {
  /** Run the model in a worker thread (services: keeps the event loop free). @defaultValue true */
  inferenceThread?: boolean;
  /** Called after every model batch (metrics, benchmarks). */
  onBatch?: (report: BatchReport) => void;
  /** Where decoded PCM files go. @defaultValue the OS temp directory */
  tempDir?: string;
}

/**
 * The engine of a configuration: the model of `config.modelDir` (in a worker thread unless
 * `inferenceThread` is false), its tokens.txt, Silero VAD (in its own worker thread), the model's
 * feature extractor (a pool of `config.frontendThreads` threads, or inline for 0) and one dynamic
 * batcher. Apps call this; `createEngine` takes the parts instead.
 * @throws AppError MODEL_NOT_FOUND without a model directory, MODEL_INVALID when tokens.txt does
 *   not match the model.
 */
export async function loadEngine(config: EngineConfig, options: LoadEngineOptions = {}): Promise<Engine> {
  if (!config.modelDir) throw new AppError('MODEL_NOT_FOUND', HOW_TO_GET_A_MODEL);
  const files = resolveModelFiles(config.modelDir, config.modelFile, config.provider);
  const runtime = runtimeOptionsOf(config);
  const [symbols, vad] = await Promise.all([SymbolTable.fromFile(files.tokensPath), ThreadedSileroDetector.start()]);
  // Every result carries the query frames' log-probabilities over the tag pieces (tag confidence).
  const decode = { queryTagIds: queryTagIds(symbols) };
  let runner: InferenceRunner;
  try {
    runner =
      options.inferenceThread === false
        ? await SenseVoiceSession.create(files.modelPath, runtime, decode)
        : await ThreadedRunner.start(files.modelPath, runtime, decode);
  } catch (err) {
    await vad.close();
    throw err;
  }
  const meta = runner.metadata;
  if (symbols.size !== meta.vocabSize) {
    await Promise.all([runner.close(), vad.close()]);
    throw new AppError('MODEL_INVALID', `tokens.txt has ${symbols.size} tokens but the model's vocab_size is ${meta.vocabSize}`);
  }
  const featureOptions = featureOptionsOf(meta);
  // Inline validates the options here; a pool's threads build the same extractor.
  const inline = new FeatureExtractor(featureOptions);
  const features = config.frontendThreads > 0 ? new FeaturePool(featureOptions, config.frontendThreads) : inline;
  const batcher = new DynamicBatcher(
    runner,
    { batchSizeS: config.batchSizeS, maxBatchItems: config.maxBatchItems, maxDelayMs: config.batchDelayMs, maxPaddingShare: batchMaxPaddingOf(config) },
    options.onBatch,
  );
  return createEngine({
    runner,
    speechDetector: vad,
    features,
    batcher,
    symbols,
    config: { ...config, ...(options.tempDir !== undefined && { tempDir: options.tempDir }) },
    modelFile: basename(files.modelPath),
  });
}

/** The model runtime of a configuration (threads, provider, spinning, model cache). */
export function runtimeOptionsOf(config: EngineConfig): RuntimeOptions {
  const cacheDir = config.modelCacheDir ?? DEFAULT_MODEL_CACHE.dir;
  return {
    threads: config.threads,
    provider: config.provider,
    deviceId: config.cudaDeviceId,
    forceInt8OnGpu: config.forceInt8OnGpu,
    intraOpSpinning: config.intraOpSpinning,
    modelCache: cacheDir === 'none' ? null : { dir: cacheDir, maxBytes: config.modelCacheMaxMb * 1024 ** 2 },
    optimizedModelCache: config.optimizedModelCache,
  };
}
