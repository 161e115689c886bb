import { AppError, type ErrorCode } from '../errors/app-error.js';
import type { BatchItem, DecodeOptions, ItemDecode, RuntimeOptions } from './inference-runner.js';

/** Messages between ThreadedRunner (main thread) and inference-thread. */
export interface ThreadInit {
  modelPath: string;
  runtime: RuntimeOptions;
  decode?: DecodeOptions;
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  details: Record<string, unknown> | undefined;
}

export type ThreadRequest = { type: 'decode'; id: number; items: BatchItem[] } | { type: 'close' };

export type ThreadResponse =
  | { type: 'ready'; metadataRaw: Record<string, string>; executionProvider: string }
  | { type: 'failed'; error: SerializedError }
  | { type: 'result'; id: number; decodes: ItemDecode[] }
  | { type: 'error'; id: number; error: SerializedError };

/** The AppError a thread serialised (code, message, details; the stack stays in the thread). */
export function fromSerialized(e: SerializedError): AppError {
  return new AppError(e.code, e.message, e.details ? { details: e.details } : {});
}
