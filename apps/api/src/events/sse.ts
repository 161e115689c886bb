/**
 * A server-sent-events answer (text/event-stream): events, comments (heartbeats) and a clean end.
 * `closed` turns true and `signal` aborts when the client goes away, so whatever feeds the
 * stream stops and releases what it holds.
 */
import type { Response } from 'express';

export interface SseStream {
  /** One event; `data` is sent as JSON on one `data:` line. */
  send(data: unknown, options?: { event?: string; id?: string | null }): void;
  /** A comment line (`: text`): keeps proxies and clients from timing the stream out. */
  comment(text: string): void;
  end(): void;
  readonly closed: boolean;
  /** Aborted when the client disconnects or the stream ended. */
  readonly signal: AbortSignal;
}

/** `closing`: the server's shutdown; the stream then ends. */
export function openSse(res: Response, closing?: AbortSignal): SseStream {
  const aborter = new AbortController();
  res.on('close', () => aborter.abort());
  if (closing) {
    const end = (): void => {
      if (!res.writableEnded) res.end();
    };
    if (closing.aborted) queueMicrotask(end);
    else closing.addEventListener('abort', end, { once: true });
    res.on('close', () => closing.removeEventListener('abort', end));
  }
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  // Proxies such as nginx buffer answers unless told not to; events must arrive as they happen.
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  const write = (text: string): void => {
    if (!aborter.signal.aborted && !res.writableEnded) res.write(text);
  };
  return {
    send(data, options = {}) {
      const lines = [];
      if (options.id) lines.push(`id: ${options.id}`);
      if (options.event) lines.push(`event: ${options.event}`);
      lines.push(`data: ${JSON.stringify(data)}`);
      write(`${lines.join('\n')}\n\n`);
    },
    comment(text) {
      write(`: ${text.replace(/\n/g, ' ')}\n\n`);
    },
    end() {
      if (!res.writableEnded) res.end();
      aborter.abort();
    },
    get closed() {
      return aborter.signal.aborted || res.writableEnded;
    },
    signal: aborter.signal,
  };
}
