import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { EXECUTION_PROVIDERS } from '../model/inference-runner.js';
import { parseEnv, type EnvSource } from './env.js';

/** A boolean from the environment ('true'/'false', '1'/'0' ...) or from overrides (already a boolean). */
const flag = z.union([z.boolean(), z.stringbool()]);

/** Model, runtime and batching settings shared by the CLI and the worker. */
export const EngineConfigSchema = z.object({
  /** Directory holding model.onnx and/or model.int8.onnx plus tokens.txt (sherpa-onnx layout). */
  modelDir: z.string().optional(),
  /**
   * Which ONNX file in modelDir: 'auto' picks model.int8.onnx on CPU when present
   * (faster there) and model.onnx, else model.fp16.onnx, on GPU providers (cuda, webgpu:
   * onnxruntime has no GPU int8 kernels, so int8 on a GPU is slower than fp32).
   * @defaultValue 'auto'
   */
  modelFile: z.string().default('auto'),
  /** intra-op threads for the model; 0 = onnxruntime's choice (all cores). @defaultValue 0 */
  threads: z.coerce.number().int().min(0).max(256).default(0),
  /**
   * Let the model's intra-op threads busy-wait between ops (onnxruntime's default). Off by
   * default: measured on a busy 2-core worker, spinning took 40 % more CPU per audio second
   * and ran slower (README, "Cold start and session options"). @defaultValue false
   */
  intraOpSpinning: flag.default(false),
  /** Execution provider: cpu, cuda or webgpu. @defaultValue 'cpu' */
  provider: z.enum(EXECUTION_PROVIDERS).default('cpu'),
  /** Load an int8 model on a GPU provider (refused otherwise: no GPU int8 kernels). @defaultValue false */
  forceInt8OnGpu: flag.default(false),
  /** @defaultValue 0 */
  cudaDeviceId: z.coerce.number().int().min(0).default(0),
  /**
   * Directory of derived models kept between starts (the model with the decode graph, the
   * session-optimised copy); 'none' keeps nothing. @defaultValue `$TMPDIR/earshot-model-cache`
   */
  modelCacheDir: z.string().optional(),
  /** Size the model cache is evicted down to (least recently used first). @defaultValue 6144 */
  modelCacheMaxMb: z.coerce.number().int().min(0).default(6144),
  /** Write the CPU session's optimised model once and load it on later starts. @defaultValue true */
  optimizedModelCache: flag.default(true),
  /** Seconds of padded audio per batch (FunASR batch_size_s). @defaultValue 60 */
  batchSizeS: z.coerce.number().positive().max(3600).default(60),
  /** @defaultValue 32 */
  maxBatchItems: z.coerce.number().int().min(1).max(1024).default(32),
  /**
   * Largest share of a batch that may be padding (model/dynamic-batcher.ts); 1 = no limit.
   * @defaultValue 0.2 on the CPU provider, 1 on GPU providers ({@link batchMaxPaddingOf})
   */
  batchMaxPadding: z.coerce.number().min(0).max(1).optional(),
  /** How long a segment may wait for others to share its batch. @defaultValue 0 */
  batchDelayMs: z.coerce.number().int().min(0).max(10_000).default(0),
  /** ffmpeg binary for non-WAV input; 'none' disables it (WAV only). @defaultValue 'ffmpeg' */
  ffmpegPath: z.string().default('ffmpeg'),
  /** Longest accepted audio in seconds. @defaultValue 14400 (4 h) */
  maxAudioS: z.coerce.number().positive().default(4 * 3600),
  /**
   * Worker threads computing features (fbank, LFR, CMVN) off the event loop, overlapped with
   * inference; 0 computes them inline on the main thread.
   * @defaultValue {@link defaultFrontendThreads}: one per core beyond the first, at most 4
   */
  frontendThreads: z.coerce.number().int().min(0).max(64).default(() => defaultFrontendThreads()),
});

/**
 * Feature threads for this machine: cores − 1 (one core is the model's and the event loop's),
 * at least 1, at most 4 (features run at hundreds of times real time per thread, so a few
 * threads keep any model fed).
 */
export function defaultFrontendThreads(cores: number = availableParallelism()): number {
  return Math.max(1, Math.min(4, cores - 1));
}

export type EngineConfig = z.infer<typeof EngineConfigSchema>;

export const ENGINE_ENV = {
  modelDir: 'EARSHOT_MODEL_DIR',
  modelFile: 'EARSHOT_MODEL_FILE',
  threads: 'EARSHOT_THREADS',
  intraOpSpinning: 'EARSHOT_INTRA_OP_SPINNING',
  provider: 'EARSHOT_PROVIDER',
  forceInt8OnGpu: 'EARSHOT_FORCE_INT8_ON_GPU',
  cudaDeviceId: 'EARSHOT_CUDA_DEVICE',
  modelCacheDir: 'EARSHOT_MODEL_CACHE_DIR',
  modelCacheMaxMb: 'EARSHOT_MODEL_CACHE_MAX_MB',
  optimizedModelCache: 'EARSHOT_OPTIMIZED_MODEL_CACHE',
  batchSizeS: 'EARSHOT_BATCH_SIZE_S',
  maxBatchItems: 'EARSHOT_MAX_BATCH_ITEMS',
  batchMaxPadding: 'EARSHOT_BATCH_MAX_PADDING',
  batchDelayMs: 'EARSHOT_BATCH_DELAY_MS',
  ffmpegPath: 'EARSHOT_FFMPEG',
  maxAudioS: 'EARSHOT_MAX_AUDIO_S',
  frontendThreads: 'EARSHOT_FRONTEND_THREADS',
} as const;

/**
 * The padding limit of a configuration: as set, else 0.2 on a CPU (padding is computed, so a
 * 30 s chunk batched with a 5 s one costs nearly two chunks) and none on a GPU (a batch costs
 * about as much as one item there).
 */
export function batchMaxPaddingOf(config: Pick<EngineConfig, 'batchMaxPadding' | 'provider'>): number {
  return config.batchMaxPadding ?? (config.provider === 'cpu' ? 0.2 : 1);
}

export function loadEngineConfig(env: EnvSource, overrides: Partial<EngineConfig> = {}): EngineConfig {
  const fromEnv = parseEnv(EngineConfigSchema, ENGINE_ENV, env);
  return EngineConfigSchema.parse({ ...fromEnv, ...stripUndefined(overrides) });
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
