/**
 * RFC 9457 problem details for every error the API answers, with Earshot's stable `code`:
 *
 *   { type, title, status, detail, code, instance, requestId, errors? }
 *
 * `type` is `urn:earshot:problem:<code>` (a stable identifier, not a web page). Expected
 * failures are `AppError`s; anything else is logged with its stack and answered as a bare
 * 500 INTERNAL. For 5xx answers the detail is generic: backend messages (bucket names,
 * socket errors) stay in the logs.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { z } from 'zod';
import { AppError, isAppError, type ErrorCode } from '@earshot/core/errors/app-error';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface ValidationIssue {
  /** Dotted path of the offending field (`audio.url`, `vad.threshold`); '' for the whole body. */
  path: string;
  message: string;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  instance: string;
  requestId: string;
  errors?: ValidationIssue[];
  details?: Record<string, unknown>;
  [extension: string]: unknown;
}

/** A 400 VALIDATION_FAILED listing every zod issue, with paths under `pathPrefix`. */
export function validationError(error: z.ZodError, what: string, pathPrefix: readonly (string | number)[] = []): AppError {
  const errors: ValidationIssue[] = error.issues.map((issue) => ({
    path: [...pathPrefix, ...issue.path].map(String).join('.'),
    message: issue.message,
  }));
  const first = errors[0];
  const summary = first ? `${first.path === '' ? what : first.path}: ${first.message}` : 'invalid';
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : '';
  return new AppError('VALIDATION_FAILED', `invalid ${what}: ${summary}${more}`, { details: { errors } });
}

/** Parses `value` with `schema` or throws a VALIDATION_FAILED listing the issues. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, pathPrefix: readonly (string | number)[] = []): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw validationError(parsed.error, what, pathPrefix);
  return parsed.data;
}

/**
 * Errors thrown by Express' body parsers carry a `type` and a status; those without a known type
 * (a broken gzip body, a malformed %-escape in the path) still carry a client-error status.
 */
function fromBodyParser(err: unknown): AppError | null {
  if (typeof err !== 'object' || err === null) return null;
  const type = 'type' in err && typeof err.type === 'string' ? err.type : '';
  switch (type) {
    case 'entity.parse.failed':
      return new AppError('VALIDATION_FAILED', 'the request body is not valid JSON', { cause: err, details: { errors: [{ path: '', message: 'malformed JSON' }] } });
    case 'entity.too.large':
      return new AppError('PAYLOAD_TOO_LARGE', 'the JSON body is too large', { cause: err });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding or charset (send UTF-8 JSON)', { cause: err });
    case 'request.aborted':
    case 'request.size.invalid':
      return new AppError('VALIDATION_FAILED', 'the request body was incomplete', { cause: err });
    default:
      return fromClientHttpError(err);
  }
}

/** An http-errors error (`status` 4xx, `expose`) that nothing above named: its status picks the code. */
function fromClientHttpError(err: object): AppError | null {
  const status = 'status' in err && typeof err.status === 'number' ? err.status : 0;
  if (status < 400 || status > 499 || !('expose' in err) || err.expose !== true) return null;
  if (status === 413) return new AppError('PAYLOAD_TOO_LARGE', 'the request body is too large', { cause: err });
  if (status === 415) return new AppError('UNSUPPORTED_MEDIA_TYPE', 'unsupported body encoding or charset', { cause: err });
  // `expose` marks the message as safe to show (zlib's "incorrect header check", "Failed to decode param").
  const message = 'message' in err && typeof err.message === 'string' ? err.message.slice(0, 200) : 'unreadable request';
  return new AppError('VALIDATION_FAILED', `the request could not be read: ${message}`, { cause: err, details: { errors: [{ path: '', message }] } });
}

/** Redis being unreachable (ioredis gave up on a command, or the connection is closed) is a 503, not a bug. */
function fromRedis(err: unknown): AppError | null {
  if (!(err instanceof Error)) return null;
  const code = (err as { code?: unknown }).code;
  // `Command timed out`: the commandTimeout of runtime/fail-fast-redis.ts (Redis connected but not answering).
  if (err.name === 'MaxRetriesPerRequestError' || /Connection is closed|Stream isn't writeable|Command timed out/.test(err.message) || code === 'ECONNREFUSED') {
    return new AppError('QUEUE_UNAVAILABLE', 'Redis is unreachable', { cause: err });
  }
  return null;
}

export function requestIdOf(req: Request): string {
  return req.id === undefined ? '' : String(req.id);
}

export function toProblem(error: AppError, req: Request): Problem {
  const status = error.httpStatus;
  const problem: Problem = {
    type: `urn:earshot:problem:${error.code}`,
    title: STATUS_CODES[status] ?? 'Error',
    status,
    detail: publicDetail(error),
    code: error.code,
    instance: req.originalUrl.split('?')[0] ?? req.originalUrl,
    requestId: requestIdOf(req),
  };
  if ((status < 500 || error.code === 'SYNC_TIMEOUT') && error.details) {
    const { errors, ...rest } = error.details;
    if (Array.isArray(errors)) problem.errors = errors as ValidationIssue[];
    if (Object.keys(rest).length > 0) problem.details = rest;
  }
  return problem;
}

function genericDetail(code: ErrorCode): string {
  switch (code) {
    case 'STORAGE_ERROR':
    case 'STORAGE_UNAVAILABLE':
      return 'storage is unavailable; retry later';
    case 'QUEUE_UNAVAILABLE':
      return 'the job queue is unavailable; retry later';
    default:
      return 'internal error; retry later or report the requestId';
  }
}

/** Answers `error` as problem JSON; `extensions` adds members (kept even for 5xx, so only pass what is safe to show). */
export function sendProblem(res: Response, req: Request, error: AppError, extensions: Record<string, unknown> = {}): void {
  const problem = { ...toProblem(error, req), ...extensions };
  if (problem.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="earshot"');
  const retryAfterS = error.details?.retryAfterS;
  if (typeof retryAfterS === 'number') res.setHeader('Retry-After', String(retryAfterS));
  if (problem.status === 503 && !res.hasHeader('Retry-After')) res.setHeader('Retry-After', '5');
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** Whatever a route threw, as the AppError the client is answered with. */
export function appErrorOf(err: unknown): AppError {
  return isAppError(err) ? err : (fromBodyParser(err) ?? fromRedis(err) ?? new AppError('INTERNAL', 'unexpected error', { cause: err }));
}

export function logRequestError(log: Logger, err: unknown, error: AppError): void {
  // An outage of a backend is expected (and logged by its client): one warn line, no stack.
  if (error.code === 'QUEUE_UNAVAILABLE' || error.code === 'STORAGE_UNAVAILABLE') log.warn({ code: error.code, detail: error.message }, 'request failed: backend unavailable');
  else if (error.httpStatus >= 500 && error.code !== 'SYNC_TIMEOUT') log.error({ err, code: error.code }, 'request failed');
  else log.debug({ code: error.code, detail: error.message }, 'request rejected');
}

/** The detail a client may see: the message, except for 5xx (backend messages stay in the logs). */
export function publicDetail(error: AppError): string {
  return error.httpStatus >= 500 && error.code !== 'SYNC_TIMEOUT' ? genericDetail(error.code) : error.message;
}

/** Answers an error in one family of routes' shape (problem JSON, OpenAI's error object). */
export type SendError = (res: Response, req: Request, error: AppError) => void;

/**
 * An error-handling middleware: whatever was thrown becomes an AppError (appErrorOf), is logged
 * (logRequestError) and is answered by `send`; a half-sent answer is cut instead.
 */
export function errorHandler(logger: Logger, send: SendError): ErrorRequestHandler {
  // Express recognises error handlers by their four parameters, so `_next` must stay.
  return (err: unknown, req, res, _next) => {
    const error = appErrorOf(err);
    logRequestError(req.log ?? logger, err, error);
    if (res.headersSent) {
      // A streamed answer broke off half way: all we can do is cut the connection.
      res.destroy();
      return;
    }
    send(res, req, error);
  };
}

/** The last middleware: turns whatever was thrown into problem JSON. */
export function problemHandler(logger: Logger): ErrorRequestHandler {
  return errorHandler(logger, (res, req, error) => sendProblem(res, req, error));
}

/** Unknown routes: 404 problem JSON. */
export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError('NOT_FOUND', `no route for ${req.method} ${req.path}`));
};
