/**
 * Errors on the OpenAI-compatible routes answer in OpenAI's shape, so the official SDKs raise
 * their typed errors (BadRequestError, AuthenticationError, ...):
 *
 *   { error: { message, type, param, code, job_id?, job_url? } }
 *
 * `code` is Earshot's stable error code (VALIDATION_FAILED, AUDIO_CORRUPT, SYNC_TIMEOUT, ...);
 * `type` is OpenAI's class for the status (invalid_request_error, authentication_error,
 * not_found_error, server_error, ...); `param` is the first invalid field, else null. A
 * SYNC_TIMEOUT (504) names the job that goes on (`job_id`, `job_url`) and is sent with
 * `x-should-retry: false`: a retrying SDK would only start the same transcription again.
 */
import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { AppError } from '@earshot/core/errors/app-error';
import { errorHandler, publicDetail } from '../middleware/problem.js';

export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 409) return 'conflict_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

export function toOpenAiError(error: AppError): { error: Record<string, unknown> } {
  const details = error.details ?? {};
  const errors = Array.isArray(details.errors) ? (details.errors as { path?: unknown }[]) : [];
  const param = typeof errors[0]?.path === 'string' && errors[0].path !== '' ? errors[0].path : null;
  const job = typeof details.jobId === 'string' ? { job_id: details.jobId, job_url: details.jobUrl } : {};
  return { error: { message: publicDetail(error), type: openAiErrorType(error.httpStatus), param, code: error.code, ...job } };
}

export function sendOpenAiError(res: Response, error: AppError): void {
  if (error.httpStatus === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="earshot"');
  if (error.code === 'SYNC_TIMEOUT') res.setHeader('x-should-retry', 'false');
  if (error.httpStatus === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', '5');
  res.status(error.httpStatus).json(toOpenAiError(error));
}

/** The OpenAI routes' error middleware: the common handler, answering in OpenAI's shape. */
export function openAiErrorHandler(logger: Logger): ErrorRequestHandler {
  return errorHandler(logger, (res, _req, error) => sendOpenAiError(res, error));
}
