/**
 * Shutdown as a stack of releasers: everything started pushes how to stop it, and `releaseAll`
 * runs them in reverse order (the HTTP server stops before the queues it feeds, the queues before
 * the Redis connection they use). Each releaser runs once; calling `releaseAll` twice is a bug.
 */
import type { Logger } from 'pino';

export interface Releasers {
  push(name: string, release: () => Promise<unknown> | unknown): void;
  /** Runs every releaser, newest first; a failing one is logged and the rest still run. Resolves to false if any failed. */
  releaseAll(): Promise<boolean>;
}

export function createReleasers(logger: Logger): Releasers {
  const stack: { name: string; release: () => Promise<unknown> | unknown }[] = [];
  let released = false;
  return {
    push(name, release) {
      if (released) throw new Error(`cannot register releaser "${name}" after release`);
      stack.push({ name, release });
    },
    async releaseAll() {
      if (released) throw new Error('releaseAll called twice');
      released = true;
      let ok = true;
      for (const { name, release } of stack.reverse()) {
        try {
          await release();
          logger.debug({ releaser: name }, 'released');
        } catch (err) {
          ok = false;
          logger.error({ err, releaser: name }, 'release failed');
        }
      }
      return ok;
    },
  };
}
