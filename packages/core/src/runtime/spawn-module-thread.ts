import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread on the module `name` (without extension) next to `base` (a module's
 * `import.meta.url`): dist/…/name.js at run time. When the caller runs from its .ts source
 * (vitest, tsx) the thread loads the .ts entry through tsx's loader, registered inside the
 * thread: Node 20 does not apply `--import` hooks from a worker's execArgv.
 */
export function spawnModuleThread(base: string, name: string, workerData: unknown): Worker {
  const js = new URL(`./${name}.js`, base);
  if (existsSync(fileURLToPath(js))) return new Worker(js, { workerData });
  const ts = new URL(`./${name}.ts`, base).href;
  const bootstrap = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts)}); })`;
  return new Worker(bootstrap, { eval: true, workerData });
}
