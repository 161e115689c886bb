/**
 * Orderly shutdown as a stack of releasers, shared by every Earshot process (API, webhooks,
 * worker, supervisor). Everything a process opens pushes how to release it as soon as it exists;
 * `release` runs them newest first, so what was started last (the HTTP server, the BullMQ worker)
 * stops before what it uses (queues, the store, Redis). A releaser that throws is logged and the
 * rest still run. Releasing twice, or pushing after the release, is a programming error and throws.
 */
import type { Logger } from 'pino';

export type Releaser = () => Promise<unknown> | unknown;

export interface ReleaseStack {
  push(name: string, release: Releaser): void;
  /** Runs every releaser, newest first. Resolves to false if any of them failed. */
  release(): Promise<boolean>;
}

export function createReleaseStack(logger: Logger): ReleaseStack {
  const stack: { name: string; release: Releaser }[] = [];
  let released = false;
  return {
    push(name, release) {
      if (released) throw new Error(`cannot add releaser "${name}": already released`);
      stack.push({ name, release });
    },
    async release() {
      if (released) throw new Error('release stack released twice');
      released = true;
      let ok = true;
      for (let entry = stack.pop(); entry; entry = stack.pop()) {
        const started = performance.now();
        try {
          await entry.release();
          logger.debug({ resource: entry.name, ms: Math.round(performance.now() - started) }, 'released');
        } catch (err) {
          ok = false;
          logger.error({ err, resource: entry.name }, 'release failed');
        }
      }
      return ok;
    },
  };
}
