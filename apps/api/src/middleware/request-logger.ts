/**
 * pino-http with request ids: a client's `X-Request-Id` is kept when it is a sane token
 * (1..128 of `[A-Za-z0-9._:-]`), otherwise a UUID is generated; either way it is echoed in the
 * `X-Request-Id` response header, logged on every line of the request (`req.log`) and put in
 * problem JSON. Authorization headers and upload tokens never reach the logs.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The URL as logged: query values of secrets-bearing parameters replaced by `***`. */
export function redactUrlForLog(url: string): string {
  return url.replace(/([?&](?:token|X-Amz-Signature|X-Amz-Credential)=)[^&]*/gi, '$1***');
}

export function requestLogger(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    customLogLevel(_req, res, err) {
      // The client hung up before the answer was complete (a download closed early): its choice, not our fault.
      if (err && !res.writableFinished) return 'info';
      // A backend outage answers 503 on every request; the outage itself is logged once per reconnect attempt.
      if (res.statusCode === 503) return 'warn';
      if (err || res.statusCode >= 500) return 'error';
      return 'info';
    },
    // Health probes and scrapes every few seconds would drown everything else.
    autoLogging: { ignore: (req) => ['/healthz', '/readyz', '/metrics'].includes((req.url ?? '').split('?')[0] ?? '') },
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string; headers?: Record<string, unknown> }) => ({
        id: req.id,
        method: req.method,
        url: redactUrlForLog(req.url),
        remoteAddress: req.remoteAddress,
        userAgent: req.headers?.['user-agent'],
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}
