import type { SerializedError } from '../model/thread-protocol.js';
import type { BlockResult, SileroBatch } from './silero-batch.js';

/** Messages between ThreadedSileroDetector (main thread) and vad-thread (which hosts a SileroBatch). */
export interface VadThreadInit {
  modelPath: string | undefined;
  maxBatch: number;
}

export type SileroCounters = SileroBatch['counters'];

export type VadThreadRequest =
  /** Samples of a stream (transferred); the first feed opens the stream. */
  | { type: 'feed'; streamId: number; samples: Float32Array; last: boolean }
  | { type: 'drop'; streamIds: number[] }
  | { type: 'counters'; id: number }
  | { type: 'close' };

export type VadThreadResponse =
  | { type: 'ready' }
  | { type: 'failed'; error: SerializedError }
  /** Blocks finished by one step (probabilities transferred). */
  | { type: 'blocks'; results: BlockResult[] }
  /** A step failed; its streams are gone from the thread. */
  | { type: 'error'; streamIds: number[]; error: SerializedError }
  | { type: 'counters'; id: number; counters: SileroCounters };
