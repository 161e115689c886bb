import type * as ort from 'onnxruntime-node';
import type { RuntimeOptions } from './inference-runner.js';

/**
 * onnxruntime session options of a runtime, one function per concern so that each provider's
 * settings stay apart: `executionProviders` (which devices), `cpuTuning` (the CPU provider's
 * threads and spinning). Chosen by measurement (README, "Cold start and session options";
 * bench/session-options.ts).
 */
export function sessionOptionsFor(runtime: RuntimeOptions): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: executionProviders(runtime),
    intraOpNumThreads: runtime.threads,
    // The model is one chain of ops: a second inter-op pool would only add threads.
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    // Off: the CPU arena keeps the largest activations any batch shape ever needed (batches of
    // every shape pass through), about 500 MB with the tiny model on a 10-minute file (CLI peak
    // RSS 1,043 MB with the arena, 525 MB without; same transcript; README "Memory").
    enableCpuMemArena: false,
    ...cpuTuning(runtime),
  };
}

/**
 * The session's providers, GPU first with the CPU as fallback for the nodes a GPU provider does not
 * implement (shape arithmetic, the int64 bits of the front end). Outputs stay at onnxruntime's
 * default location, CPU memory: with the decode graph they are ids and a few hundred floats, read
 * at once, so keeping them on the GPU ('gpu-buffer') would only add a download call per output.
 * Weights are uploaded once, when the session is created; a run uploads only its features.
 */
function executionProviders(options: RuntimeOptions): ort.InferenceSession.ExecutionProviderConfig[] {
  switch (options.provider) {
    case 'cuda':
      return [{ name: 'cuda', deviceId: options.deviceId }, 'cpu'];
    case 'webgpu':
      return ['webgpu', 'cpu'];
    case 'cpu':
      return ['cpu'];
  }
}

/**
 * Spinning: onnxruntime's intra-op threads busy-wait for the next op between ops by default,
 * which on a worker also running decode, VAD and features takes CPU from them; off unless asked
 * for (bench/session-options.ts: 40 % more CPU per audio second with it on a busy 2-core host).
 */
function cpuTuning(runtime: RuntimeOptions): Pick<ort.InferenceSession.SessionOptions, 'extra'> {
  return { extra: { session: { intra_op: { allow_spinning: runtime.intraOpSpinning === true ? '1' : '0' } } } };
}
