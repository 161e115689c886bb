import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../errors/app-error.js';
import { ctcGreedy, ctcGreedyFromCandidates } from '../decoding/ctc-greedy.js';
import { queryTagLogProbs } from '../decoding/query-tags.js';
import { CANDIDATES, IDS_OUTPUT, QUERY_LOG_PROBS_OUTPUT } from './decode-graph.js';
import { readOnnxMetadata } from './onnx-metadata.js';
import { createOrtSession, type SessionOrigin } from './session-loader.js';
import { sessionOptionsFor } from './session-options.js';
import { isInt8Model } from './onnx-op-types.js';
import { FEATURE_DIM, parseSenseVoiceMetadata, type SenseVoiceMetadata } from './model-metadata.js';
import {
  isGpuProvider,
  type BatchItem,
  type DecodeOptions,
  type ExecutionProvider,
  type InferenceRunner,
  type ItemDecode,
  type RuntimeOptions,
} from './inference-runner.js';

/** Number of query frames SenseVoice prepends (language, emotion, event, ITN). */
export const QUERY_FRAMES = 4;

/**
 * A SenseVoice model (sherpa-onnx export contract, spec §1) in an onnxruntime
 * session, in this thread. Inputs are fed by position (x, x_length, language,
 * text_norm) and output 0 is the logits, as sherpa-onnx does, so exports with
 * other input names (FunASR's `speech`, ...) work too.
 *
 * By default the session's graph is the file's plus decode nodes (decode-graph.ts): a run
 * returns two candidate ids per frame and the query frames' tag log-probabilities instead of
 * the logits. The edit is made at load time (a tail appended to the file's bytes, no decoding of
 * the weights) and kept in the model cache with the session's optimised copy (session-loader.ts).
 */
export class SenseVoiceSession implements InferenceRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly metadata: SenseVoiceMetadata,
    readonly executionProvider: string,
    readonly file: string,
    readonly queryTagIds: readonly number[],
    private readonly inGraph: boolean,
    /** Where the session came from: the cached optimised copy on a warm start (session-loader.ts). */
    readonly origin: SessionOrigin,
  ) {}

  static async create(modelPath: string, options: RuntimeOptions, decode: DecodeOptions = {}): Promise<SenseVoiceSession> {
    const metadata = parseSenseVoiceMetadata(await readOnnxMetadata(modelPath), basename(modelPath));
    const queryTagIds = [...(decode.queryTagIds ?? [])];
    for (const id of queryTagIds) {
      if (!Number.isInteger(id) || id < 0 || id >= metadata.vocabSize) {
        throw new AppError(
          'MODEL_INVALID',
          `query tag id ${id} is outside the model's vocabulary [0, ${metadata.vocabSize}) (does tokens.txt belong to ${basename(modelPath)}?)`,
        );
      }
    }
    if (isGpuProvider(options.provider) && !options.forceInt8OnGpu && (await isInt8Model(modelPath))) {
      throw new AppError(
        'INVALID_OPTIONS',
        `${basename(modelPath)} is an int8 (dynamically quantized) model, which the ${options.provider} provider would run mostly on the CPU (no GPU int8 kernels): use the fp32 or fp16 model, or force it with --force-int8-on-gpu (EARSHOT_FORCE_INT8_ON_GPU=true)`,
      );
    }
    const inGraph = decode.inGraph !== false;
    let session: ort.InferenceSession;
    let origin: SessionOrigin;
    try {
      ({ session, origin } = await createOrtSession({ modelPath, runtime: options, sessionOptions: sessionOptionsFor(options), inGraph, queryTagIds }));
    } catch (err) {
      if (err instanceof AppError) throw err;
      throw sessionError(err, modelPath, options.provider);
    }
    if (session.inputNames.length !== 4 || session.outputNames.length < 1) {
      await session.release();
      throw new AppError(
        'MODEL_INVALID',
        `${basename(modelPath)} has ${session.inputNames.length} inputs / ${session.outputNames.length} outputs; a SenseVoice model has 4 inputs (x, x_length, language, text_norm) and logits first`,
      );
    }
    const runner = new SenseVoiceSession(session, metadata, options.provider, basename(modelPath), queryTagIds, inGraph, origin);
    if (options.provider === 'webgpu') await runner.warmUp();
    return runner;
  }

  /**
   * One run of a one-frame input, at load time. WebGPU compiles its shaders on first use and
   * finds out only then that an op cannot run on the adapter: a float16 model on an adapter
   * without `shader-f16` (SwiftShader has none) loads, then fails every batch. So the worker
   * pays the first compilation before it reports ready, and such a model is refused at start.
   */
  private async warmUp(): Promise<void> {
    const m = this.metadata;
    try {
      await this.decodeBatch([{ features: new Float32Array(FEATURE_DIM), frames: 1, languageId: m.languageIds.auto, textNormId: m.withoutItn }]);
    } catch (err) {
      await this.session.release();
      const cause = err instanceof AppError && err.cause instanceof Error ? err.cause : err;
      if (/requires f16 but the device does not support it/i.test((cause as Error).message)) {
        throw new AppError(
          'PROVIDER_UNAVAILABLE',
          `${this.file} computes in float16 and this WebGPU adapter has no shader-f16 feature (SwiftShader has none): use the fp32 model.onnx here`,
          { cause: err },
        );
      }
      throw err;
    }
  }

  /** Pads items into `[N, Tmax, 560]` (zeros after CMVN), runs the model, greedy-decodes each item. */
  async decodeBatch(items: readonly BatchItem[]): Promise<ItemDecode[]> {
    if (items.length === 0) return [];
    const n = items.length;
    const maxFrames = Math.max(...items.map((it) => it.frames));
    const x = new Float32Array(n * maxFrames * FEATURE_DIM);
    const lengths = new Int32Array(n);
    const languages = new Int32Array(n);
    const textNorms = new Int32Array(n);
    items.forEach((item, i) => {
      if (item.features.length !== item.frames * FEATURE_DIM) {
        throw new AppError('INFERENCE_FAILED', `batch item ${i}: ${item.features.length} values for ${item.frames} frames`);
      }
      x.set(item.features, i * maxFrames * FEATURE_DIM);
      lengths[i] = item.frames;
      languages[i] = item.languageId;
      textNorms[i] = item.textNormId;
    });
    const [xName, lenName, langName, tnName] = this.session.inputNames as [string, string, string, string];
    const feeds = {
      [xName]: new ort.Tensor('float32', x, [n, maxFrames, FEATURE_DIM]),
      [lenName]: new ort.Tensor('int32', lengths, [n]),
      [langName]: new ort.Tensor('int32', languages, [n]),
      [tnName]: new ort.Tensor('int32', textNorms, [n]),
    };
    const fetches = this.inGraph
      ? [IDS_OUTPUT, ...(this.queryTagIds.length > 0 ? [QUERY_LOG_PROBS_OUTPUT] : [])]
      : [this.session.outputNames[0]!];
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run(feeds, fetches);
    } catch (err) {
      throw new AppError('INFERENCE_FAILED', `inference failed on a batch of ${n}: ${(err as Error).message}`, { cause: err });
    }
    try {
      return this.inGraph ? this.decodeIds(items, maxFrames, out) : this.decodeLogits(items, maxFrames, out[fetches[0]!]!);
    } finally {
      for (const t of Object.values(out)) t.dispose?.();
    }
  }

  /** Greedy CTC from the graph's candidates `[N, T+4, 2]`; log-probs `[N, 4, K]` copied per item. */
  private decodeIds(items: readonly BatchItem[], maxFrames: number, out: ort.InferenceSession.ReturnType): ItemDecode[] {
    const ids = out[IDS_OUTPUT]!;
    const outT = maxFrames + QUERY_FRAMES;
    expectDims(ids, [items.length, outT, CANDIDATES], maxFrames);
    const k = this.queryTagIds.length;
    const logProbs = k > 0 ? out[QUERY_LOG_PROBS_OUTPUT]! : null;
    if (logProbs) expectDims(logProbs, [items.length, QUERY_FRAMES, k], maxFrames);
    const data = ids.data as Int32Array;
    const stride = outT * CANDIDATES;
    return items.map((item, i) => {
      const valid = item.frames + QUERY_FRAMES;
      const candidates = data.subarray(i * stride, i * stride + valid * CANDIDATES);
      const greedy = ctcGreedyFromCandidates(candidates, valid, CANDIDATES, {
        blankId: this.metadata.blankId,
        bannedIds: item.bannedIds ?? [],
      });
      if (!logProbs) return greedy;
      const per = QUERY_FRAMES * k;
      return { ...greedy, queryLogProbs: (logProbs.data as Float32Array).slice(i * per, (i + 1) * per) };
    });
  }

  /** The reference path: greedy CTC and tag log-softmax over logits copied out of onnxruntime. */
  private decodeLogits(items: readonly BatchItem[], maxFrames: number, logits: ort.Tensor): ItemDecode[] {
    const vocab = logits.dims[2] ?? 0;
    expectDims(logits, [items.length, maxFrames + QUERY_FRAMES, vocab], maxFrames);
    const data = logits.data as Float32Array;
    const stride = (maxFrames + QUERY_FRAMES) * vocab;
    return items.map((item, i) => {
      const valid = item.frames + QUERY_FRAMES;
      const slice = data.subarray(i * stride, i * stride + valid * vocab);
      const greedy = ctcGreedy(slice, valid, vocab, { blankId: this.metadata.blankId, bannedIds: item.bannedIds ?? [] });
      if (this.queryTagIds.length === 0) return greedy;
      return { ...greedy, queryLogProbs: queryTagLogProbs(slice, vocab, this.queryTagIds, QUERY_FRAMES) };
    });
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

/** PROVIDER_UNAVAILABLE when the provider itself cannot start here, else MODEL_INVALID. */
function sessionError(err: unknown, modelPath: string, provider: ExecutionProvider): AppError {
  const message = (err as Error).message;
  if (provider === 'webgpu' && /WebGPU (?:adapter|device)/i.test(message)) {
    return new AppError(
      'PROVIDER_UNAVAILABLE',
      `the webgpu provider found no usable GPU adapter (${message.trim()}); it needs a Vulkan driver that Dawn accepts: the GPU vendor's, or on a machine without a GPU SwiftShader (VK_ICD_FILENAMES=…/vk_swiftshader_icd.json, e.g. from Debian's chromium package)`,
      { cause: err },
    );
  }
  if (provider === 'cuda' && /cuda/i.test(message)) {
    return new AppError(
      'PROVIDER_UNAVAILABLE',
      `the cuda provider cannot start (${message.trim()}); it needs onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12 and a CUDA 12 runtime`,
      { cause: err },
    );
  }
  return new AppError('MODEL_INVALID', `onnxruntime could not load ${modelPath}: ${message}`, { cause: err });
}

function expectDims(t: ort.Tensor, dims: number[], maxFrames: number): void {
  if (t.dims.length !== dims.length || t.dims.some((d, i) => d !== dims[i])) {
    throw new AppError(
      'INFERENCE_FAILED',
      `unexpected output shape [${t.dims.join(', ')}] for input [${dims[0]}, ${maxFrames}, 560] (expected [${dims.join(', ')}])`,
    );
  }
}
