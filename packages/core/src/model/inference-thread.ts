/**
 * Worker-thread entry that hosts a SenseVoiceSession. onnxruntime-node runs
 * inference synchronously on the calling thread (seconds per batch for the
 * full model), which would stall the event loop and with it BullMQ lock
 * renewal and HTTP; here it runs off the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError, toAppError } from '../errors/app-error.js';
import { SenseVoiceSession } from './sense-voice-session.js';
import type { SerializedError, ThreadInit, ThreadRequest, ThreadResponse } from './thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('inference-thread must run in a worker thread');
const init = workerData as ThreadInit;

const post = (msg: ThreadResponse): void => port.postMessage(msg);

SenseVoiceSession.create(init.modelPath, init.runtime, init.decode).then(
  (session) => {
    post({ type: 'ready', metadataRaw: { ...session.metadata.raw }, executionProvider: session.executionProvider });
    port.on('message', (msg: ThreadRequest) => {
      if (msg.type === 'close') {
        void session.close().finally(() => port.close());
        return;
      }
      session.decodeBatch(msg.items).then(
        (decodes) => port.postMessage(
          { type: 'result', id: msg.id, decodes } satisfies ThreadResponse,
          decodes.flatMap((d) => (d.queryLogProbs ? [d.queryLogProbs.buffer as ArrayBuffer] : [])),
        ),
        (err: unknown) => post({ type: 'error', id: msg.id, error: serialize(err) }),
      );
    });
  },
  (err: unknown) => post({ type: 'failed', error: serialize(err) }),
);

function serialize(err: unknown): SerializedError {
  const e = err instanceof AppError ? err : toAppError(err, 'INFERENCE_FAILED');
  return { code: e.code, message: e.message, details: e.details };
}
