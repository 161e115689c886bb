/**
 * Feeding a request body into a consumer stream (a HashingLimiter, the multipart parser) so that
 * no failure goes unheard, whatever the timing:
 *
 * - a client that hangs up (before this call or during it) is reported once through `onAbandoned`,
 *   which must destroy whatever reads the body, so the blob store's put fails and stores nothing;
 * - when the consumer fails or closes early, the request is unpiped and the rest of its body is
 *   read and thrown away, so the problem answer can still be sent on a usable connection.
 *
 * Node only emits 'error' on a request when someone listens (`finished` does here); without this,
 * an aborted request just stops, and a consumer waiting for its end would wait forever.
 */
import type { IncomingMessage } from 'node:http';
import { finished, type Writable } from 'node:stream';
import { AppError } from '@earshot/core/errors/app-error';

export interface BodyFeed {
  /** Stops feeding the consumer and drains the rest of the body. Idempotent. */
  stop(): void;
}

/** What a body that will never arrive in full becomes (nobody reads the answer, but logs and cleanup do). */
export function bodyAbandoned(cause?: unknown): AppError {
  return new AppError('VALIDATION_FAILED', 'the request body ended early (client disconnected)', cause === undefined ? {} : { cause });
}

export function feedRequestBody(req: IncomingMessage, dest: Writable, onAbandoned: (err: AppError) => void): BodyFeed {
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    req.unpipe(dest);
    if (!req.destroyed && !req.readableEnded) req.resume();
  };
  // Also fires (on the next tick) when the request was aborted before this call.
  finished(req, { writable: false }, (err) => {
    if (err) onAbandoned(bodyAbandoned(err));
  });
  dest.on('error', stop);
  dest.once('close', () => {
    if (!req.readableEnded) stop();
  });
  req.pipe(dest);
  return { stop };
}
