/**
 * One error type for every expected failure in Earshot. The `code` is stable
 * and documented (clients switch on it); `retryable` tells the worker whether
 * BullMQ should try again (false ⇒ UnrecoverableError); `httpStatus` is what
 * the API answers when the error reaches a client directly.
 */
export const ERROR_CODES = {
  // audio input (never retryable: the same bytes fail the same way)
  AUDIO_EMPTY: { httpStatus: 422, retryable: false },
  AUDIO_CORRUPT: { httpStatus: 422, retryable: false },
  AUDIO_UNSUPPORTED_FORMAT: { httpStatus: 415, retryable: false },
  AUDIO_SILENT: { httpStatus: 422, retryable: false },
  AUDIO_TOO_LONG: { httpStatus: 422, retryable: false },
  AUDIO_TOO_LARGE: { httpStatus: 413, retryable: false },
  DECODER_UNAVAILABLE: { httpStatus: 500, retryable: false },
  // model
  MODEL_NOT_FOUND: { httpStatus: 500, retryable: false },
  MODEL_INVALID: { httpStatus: 500, retryable: false },
  VAD_MODEL_INVALID: { httpStatus: 500, retryable: false },
  INFERENCE_FAILED: { httpStatus: 500, retryable: true },
  /** The configured execution provider cannot run here (no WebGPU adapter, no CUDA runtime). */
  PROVIDER_UNAVAILABLE: { httpStatus: 500, retryable: false },
  // options and requests
  INVALID_OPTIONS: { httpStatus: 400, retryable: false },
  VALIDATION_FAILED: { httpStatus: 400, retryable: false },
  UNAUTHORIZED: { httpStatus: 401, retryable: false },
  NOT_FOUND: { httpStatus: 404, retryable: false },
  CONFLICT: { httpStatus: 409, retryable: false },
  IDEMPOTENCY_KEY_REUSED: { httpStatus: 409, retryable: false },
  JOB_NOT_FINISHED: { httpStatus: 409, retryable: false },
  JOB_ALREADY_FINISHED: { httpStatus: 409, retryable: false },
  RESULT_NOT_AVAILABLE: { httpStatus: 404, retryable: false },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, retryable: false },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, retryable: false },
  REQUEST_TIMEOUT: { httpStatus: 408, retryable: false },
  HEADERS_TOO_LARGE: { httpStatus: 431, retryable: false },
  /** A synchronous request (POST /v1/audio/transcriptions) waited EARSHOT_SYNC_TIMEOUT_S; its job goes on. */
  SYNC_TIMEOUT: { httpStatus: 504, retryable: false },
  // infrastructure
  STORAGE_ERROR: { httpStatus: 503, retryable: true },
  /** The storage backend cannot be reached (connection refused or reset, timeout, 5xx). */
  STORAGE_UNAVAILABLE: { httpStatus: 503, retryable: true },
  SOURCE_FETCH_FAILED: { httpStatus: 422, retryable: true },
  SOURCE_NOT_FOUND: { httpStatus: 422, retryable: false },
  QUEUE_UNAVAILABLE: { httpStatus: 503, retryable: true },
  JOB_CANCELED: { httpStatus: 409, retryable: false },
  /** The job's worker died while running it more often than EARSHOT_WORKER_MAX_STALLED_COUNT allows. */
  WORKER_LOST: { httpStatus: 500, retryable: false },
  INTERNAL: { httpStatus: 500, retryable: true },
} as const satisfies Record<string, { httpStatus: number; retryable: boolean }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface AppErrorOptions {
  cause?: unknown;
  /** Overrides the code's default. */
  retryable?: boolean;
  /** Overrides the code's default. */
  httpStatus?: number;
  /** Extra machine-readable detail, copied into problem JSON and job errors. */
  details?: Record<string, unknown>;
}

export class AppError extends Error {
  override readonly name = 'AppError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly httpStatus: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, options: AppErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? ERROR_CODES[code].retryable;
    this.httpStatus = options.httpStatus ?? ERROR_CODES[code].httpStatus;
    this.details = options.details;
  }

  /** The `{ code, message }` shape stored on failed jobs and sent to clients. */
  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}

/** Wraps anything thrown into an AppError, keeping AppErrors as they are. */
export function toAppError(err: unknown, fallback: ErrorCode = 'INTERNAL'): AppError {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new AppError(fallback, message, { cause: err });
}
