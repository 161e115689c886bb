import type { ModelCacheOptions } from './model-cache.js';
import type { SenseVoiceMetadata } from './model-metadata.js';

/** One segment's input to a batch: LFR+CMVN features `(frames, 560)` and its query ids. */
export interface BatchItem {
  features: Float32Array;
  frames: number;
  /** Row of the query-embedding table for `language` (from metadata). */
  languageId: number;
  /** Row for `text_norm` (metadata with_itn / without_itn). */
  textNormId: number;
  /** Token ids never chosen by greedy search (FunASR `ban_emo_unk`). */
  bannedIds?: readonly number[];
}

/** Greedy CTC output for one item: emitted ids and the logit frame (0-based, queries included) of each. */
export interface ItemDecode {
  ids: number[];
  frames: number[];
  /**
   * Log-softmax over the runner's `queryTagIds` for each query frame (language, emotion,
   * event, ITN): `(4, queryTagIds.length)` row-major. Not in transcripts yet (tag confidence).
   */
  queryLogProbs?: Float32Array;
}

/**
 * Runs padded batches through a SenseVoice model and greedy-decodes them.
 * Decoding happens next to the model so that logits (25,055 floats per frame)
 * never cross a thread boundary.
 */
export interface InferenceRunner {
  readonly metadata: SenseVoiceMetadata;
  /** Execution provider actually in use ("cpu", "cuda", "webgpu"). */
  readonly executionProvider: string;
  /** Columns of `ItemDecode.queryLogProbs`, in order (none when empty or absent). */
  readonly queryTagIds?: readonly number[];
  decodeBatch(items: readonly BatchItem[]): Promise<ItemDecode[]>;
  close(): Promise<void>;
}

/** How a runner decodes, chosen when its session is created. */
export interface DecodeOptions {
  /** Tag ids whose log-softmax per query frame each ItemDecode carries. @defaultValue [] */
  queryTagIds?: readonly number[];
  /**
   * Argmax and tag log-softmax inside the graph (model/decode-graph.ts), so only ids leave
   * onnxruntime; false copies the logits out and decodes them in JavaScript (the reference
   * the in-graph path is tested against). @defaultValue true
   */
  inGraph?: boolean;
}

/**
 * onnxruntime execution providers a model can run on. `cuda` needs onnxruntime-node installed with
 * `ONNXRUNTIME_NODE_INSTALL=cuda12` and a CUDA 12 runtime; `webgpu` is in the npm package (Dawn,
 * Vulkan on Linux) and needs a Vulkan driver whose adapter Dawn accepts.
 */
export const EXECUTION_PROVIDERS = ['cpu', 'cuda', 'webgpu'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];

/** Providers that run the model on a GPU: no int8 kernels there (see `RuntimeOptions.forceInt8OnGpu`). */
export function isGpuProvider(provider: ExecutionProvider): boolean {
  return provider !== 'cpu';
}

export interface RuntimeOptions {
  /** intra-op threads; 0 lets onnxruntime choose. @defaultValue 0 */
  threads: number;
  /** @defaultValue 'cpu' */
  provider: ExecutionProvider;
  /** CUDA device for provider 'cuda'. @defaultValue 0 */
  deviceId: number;
  /**
   * Let onnxruntime's intra-op threads busy-wait between ops (onnxruntime's own default). Off
   * gives the CPU back to the front end between ops. @defaultValue false
   */
  intraOpSpinning?: boolean;
  /**
   * Where derived models (decode graph appended, session-optimised copy) are kept between starts,
   * and how large that directory may grow; null keeps nothing (every start edits the model in
   * memory). @defaultValue DEFAULT_MODEL_CACHE (model-cache.ts)
   */
  modelCache?: ModelCacheOptions | null;
  /**
   * On the CPU provider, write the session's optimised model to the cache once and load that
   * copy on later starts (session-loader.ts). @defaultValue true
   */
  optimizedModelCache?: boolean;
  /**
   * Load an int8 (dynamically quantized) model on a GPU provider anyway. Refused by default: GPU
   * providers have no int8 kernels, so its MatMulInteger nodes run on the CPU and every layer
   * copies its activations between devices. @defaultValue false
   */
  forceInt8OnGpu?: boolean;
}
