/**
 * Worker-thread entry hosting a SileroBatch: samples arrive in blocks per stream, the thread
 * steps every ready stream together (one ONNX call per 32 ms step for all of them) and sends
 * back each block's probabilities. onnxruntime runs the model on the calling thread, so here
 * it never holds up the main thread's event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { AppError, toAppError } from '../errors/app-error.js';
import type { SerializedError } from '../model/thread-protocol.js';
import { SileroBatch } from './silero-batch.js';
import type { VadThreadInit, VadThreadRequest, VadThreadResponse } from './vad-thread-protocol.js';

const port = parentPort;
if (!port) throw new Error('vad-thread must run in a worker thread');
const init = workerData as VadThreadInit;
/** Longest run of steps without letting queued messages (new blocks, drops) in. */
const YIELD_EVERY_MS = 2;

const post = (msg: VadThreadResponse, transfer: ArrayBuffer[] = []): void => port.postMessage(msg, transfer);

SileroBatch.create({ modelPath: init.modelPath, maxBatch: init.maxBatch }).then(
  (batch) => {
    let pumping: Promise<void> | undefined;
    let closing = false;
    const pump = (): void => {
      pumping ??= drain().finally(() => (pumping = undefined));
    };
    const drain = async (): Promise<void> => {
      let lastYield = performance.now();
      while (!closing && batch.readyCount > 0) {
        try {
          const results = await batch.step();
          if (results.length > 0) post({ type: 'blocks', results }, results.map((r) => r.probabilities.buffer as ArrayBuffer));
        } catch (err) {
          const streamIds = err instanceof AppError && Array.isArray(err.details?.streamIds) ? (err.details.streamIds as number[]) : [];
          post({ type: 'error', streamIds, error: serialize(err) });
        }
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          lastYield = performance.now();
        }
      }
    };
    port.on('message', (msg: VadThreadRequest) => {
      switch (msg.type) {
        case 'feed':
          batch.feed(msg.streamId, msg.samples, msg.last);
          pump();
          break;
        case 'drop':
          for (const id of msg.streamIds) batch.drop(id);
          break;
        case 'counters':
          post({ type: 'counters', id: msg.id, counters: { ...batch.counters } });
          break;
        case 'close':
          closing = true; // the step in flight ends, then the session is released
          void Promise.resolve(pumping)
            .then(() => batch.close())
            .finally(() => port.close());
          break;
      }
    });
    post({ type: 'ready' });
  },
  (err: unknown) => post({ type: 'failed', error: serialize(err) }),
);

function serialize(err: unknown): SerializedError {
  const e = err instanceof AppError ? err : toAppError(err, 'INFERENCE_FAILED');
  return { code: e.code, message: e.message, details: e.details };
}
