import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

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
