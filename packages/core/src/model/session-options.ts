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
    ...cpuTuning(runtime),
  };
}

function executionProviders(runtime: RuntimeOptions): ort.InferenceSession.ExecutionProviderConfig[] {
  return runtime.provider === 'cuda' ? [{ name: 'cuda', deviceId: runtime.deviceId }, 'cpu'] : ['cpu'];
}

/**
 * Spinning: onnxruntime's intra-op threads busy-wait for the next op between ops by default,
 * which on a worker also running decode, VAD and features takes CPU from them; off unless asked
 * for (bench/session-options.ts: 40 % more CPU per audio second with it on a busy 2-core host).
 */
function cpuTuning(runtime: RuntimeOptions): Pick<ort.InferenceSession.SessionOptions, 'extra'> {
  return { extra: { session: { intra_op: { allow_spinning: runtime.intraOpSpinning === true ? '1' : '0' } } } };
}
