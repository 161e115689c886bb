import { basename } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../errors/app-error.js';
import { ctcGreedy } from '../decoding/ctc-greedy.js';
import { readOnnxMetadata } from './onnx-metadata.js';
import { FEATURE_DIM, parseSenseVoiceMetadata, type SenseVoiceMetadata } from './model-metadata.js';
import type { BatchItem, InferenceRunner, ItemDecode, RuntimeOptions } from './inference-runner.js';

/** Number of query frames SenseVoice prepends (language, emotion, event, ITN). */
export const QUERY_FRAMES = 4;

/**
 * A SenseVoice model (sherpa-onnx export contract, spec §1) in an onnxruntime
 * session, in this thread. Inputs are fed by position (x, x_length, language,
 * text_norm) and output 0 is the logits, as sherpa-onnx does, so exports with
 * other input names (FunASR's `speech`, ...) work too.
 */
export class SenseVoiceSession implements InferenceRunner {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly metadata: SenseVoiceMetadata,
    readonly executionProvider: string,
    readonly file: string,
  ) {}

  static async create(modelPath: string, options: RuntimeOptions): Promise<SenseVoiceSession> {
    const metadata = parseSenseVoiceMetadata(await readOnnxMetadata(modelPath), basename(modelPath));
    const providers: ort.InferenceSession.ExecutionProviderConfig[] =
      options.provider === 'cuda' ? [{ name: 'cuda', deviceId: options.deviceId }, 'cpu'] : ['cpu'];
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(modelPath, {
        executionProviders: providers,
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
      });
    } catch (err) {
      const hint =
        options.provider === 'cuda'
          ? ' (the CUDA provider needs onnxruntime-node installed with ONNXRUNTIME_NODE_INSTALL=cuda12 and a CUDA 12 runtime)'
          : '';
      throw new AppError('MODEL_INVALID', `onnxruntime could not load ${modelPath}: ${(err as Error).message}${hint}`, {
        cause: err,
      });
    }
    if (session.inputNames.length !== 4 || session.outputNames.length < 1) {
      await session.release();
      throw new AppError(
        'MODEL_INVALID',
        `${basename(modelPath)} has ${session.inputNames.length} inputs / ${session.outputNames.length} outputs; a SenseVoice model has 4 inputs (x, x_length, language, text_norm) and logits first`,
      );
    }
    return new SenseVoiceSession(session, metadata, options.provider, basename(modelPath));
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
    let logits: ort.Tensor;
    try {
      const out = await this.session.run({
        [xName]: new ort.Tensor('float32', x, [n, maxFrames, FEATURE_DIM]),
        [lenName]: new ort.Tensor('int32', lengths, [n]),
        [langName]: new ort.Tensor('int32', languages, [n]),
        [tnName]: new ort.Tensor('int32', textNorms, [n]),
      });
      logits = out[this.session.outputNames[0]!]!;
    } catch (err) {
      throw new AppError('INFERENCE_FAILED', `inference failed on a batch of ${n}: ${(err as Error).message}`, { cause: err });
    }
    const [outN, outT, vocab] = logits.dims as [number, number, number];
    if (logits.dims.length !== 3 || outN !== n || outT !== maxFrames + QUERY_FRAMES) {
      throw new AppError('INFERENCE_FAILED', `unexpected logits shape [${logits.dims.join(', ')}] for input [${n}, ${maxFrames}, 560]`);
    }
    const data = logits.data as Float32Array;
    const stride = outT * vocab;
    const decodes = items.map((item, i) => {
      const valid = item.frames + QUERY_FRAMES;
      const slice = data.subarray(i * stride, i * stride + valid * vocab);
      return ctcGreedy(slice, valid, vocab, { blankId: this.metadata.blankId, bannedIds: item.bannedIds ?? [] });
    });
    logits.dispose?.();
    return decodes;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
