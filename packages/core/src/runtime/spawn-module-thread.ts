import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../errors/app-error.js';
import { fromSerialized, type SerializedError } from '../model/thread-protocol.js';

/**
 * A worker thread running the module `jsEntry` (a `…/name.js` URL beside the caller). When the
 * caller runs from its .ts source (vitest, tsx) there is no .js: the thread then loads the
 * `.ts` sibling through tsx's loader, registered inside the thread, because Node 20 does not
 * apply `--import` hooks from a worker's execArgv.
 */
export function spawnModuleThread(jsEntry: URL, workerData: unknown): Worker {
  if (existsSync(fileURLToPath(jsEntry))) return new Worker(jsEntry, { workerData });
  const ts = jsEntry.href.replace(/\.js$/, '.ts');
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The first messages of a module thread that loads something: it answers `ready` or `failed`. */
type StartMessage = { type: string; error?: SerializedError };

/**
 * Waits for a freshly spawned thread's `ready` message and returns it. A `failed` message rejects
 * with the thread's own AppError; the thread crashing or exiting first rejects with `failCode`
 * naming `what` ("inference thread", "VAD thread"), and the thread is terminated. Only the
 * listeners added here are removed afterwards: removeAllListeners() would also stop the worker's
 * message port, and later messages would never arrive.
 */
export async function waitForThreadReady<M extends StartMessage>(worker: Worker, what: string, failCode: ErrorCode): Promise<Extract<M, { type: 'ready' }>> {
  const listeners: { message?: (m: M) => void; error?: (e: Error) => void; exit?: (c: number) => void } = {};
  return new Promise<Extract<M, { type: 'ready' }>>((resolve, reject) => {
    listeners.message = (msg) => {
      if (msg.type === 'ready') resolve(msg as Extract<M, { type: 'ready' }>);
      else if (msg.type === 'failed' && msg.error) reject(fromSerialized(msg.error));
    };
    listeners.error = (err) => reject(new AppError(failCode, `${what} failed to start: ${err.message}`, { cause: err }));
    listeners.exit = (code) => reject(new AppError(failCode, `${what} exited with code ${code} while loading`));
    worker.on('message', listeners.message).on('error', listeners.error).on('exit', listeners.exit);
  })
    .catch(async (err: unknown) => {
      await worker.terminate();
      throw err;
    })
    .finally(() => {
      worker.off('message', listeners.message!).off('error', listeners.error!).off('exit', listeners.exit!);
    });
}
