/**
 * The API's HTTP server. Two things Node does not do by itself:
 * - the request timeout really applies: Node checks it only every `connectionsCheckingInterval`
 *   (30 s by default) and never before `headersTimeout` (60 s), so a shorter
 *   EARSHOT_REQUEST_TIMEOUT_MS needs both set to match;
 * - requests the HTTP parser refuses (broken chunking, contradictory lengths, oversized headers,
 *   a body that stalls past the timeout) are answered with problem JSON and a stable code like
 *   every other error, instead of Node's bare status line.
 */
import { createServer, STATUS_CODES, type RequestListener, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { ErrorCode } from '@earshot/core/errors/app-error';
import { PROBLEM_CONTENT_TYPE } from '../middleware/problem.js';

export interface HttpServerOptions {
  /** Longest time a request may take, body included; 0: no limit. */
  requestTimeoutMs: number;
  logger: Logger;
}

/** Node's default headersTimeout, kept unless the request timeout is shorter. */
const HEADERS_TIMEOUT_MS = 60_000;

export function createHttpServer(app: RequestListener, options: HttpServerOptions): Server {
  const { requestTimeoutMs } = options;
  const limited = requestTimeoutMs > 0;
  const server = createServer(
    {
      requestTimeout: requestTimeoutMs,
      headersTimeout: limited ? Math.min(HEADERS_TIMEOUT_MS, requestTimeoutMs) : HEADERS_TIMEOUT_MS,
      // Check often enough that a timeout fires within about a quarter of its length.
      connectionsCheckingInterval: limited ? Math.max(250, Math.min(30_000, Math.round(requestTimeoutMs / 4))) : 30_000,
    },
    app,
  );
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => answerClientError(err, socket, options.logger));
  return server;
}

function answerClientError(err: NodeJS.ErrnoException, socket: Duplex, logger: Logger): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, detail] = classify(err);
  logger.debug({ code: err.code, status }, 'request refused by the HTTP parser');
  const body = JSON.stringify({ type: `urn:earshot:problem:${code}`, title: STATUS_CODES[status] ?? 'Error', status, detail, code });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\n` +
      `Content-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

function classify(err: NodeJS.ErrnoException): [number, ErrorCode, string] {
  switch (err.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'REQUEST_TIMEOUT', 'the request took longer than the server allows (EARSHOT_REQUEST_TIMEOUT_MS)'];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'HEADERS_TOO_LARGE', 'the request headers are too large'];
    default:
      return [400, 'VALIDATION_FAILED', `malformed HTTP request (${err.code ?? 'parse error'})`];
  }
}
