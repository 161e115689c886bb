/**
 * SIGTERM/SIGINT handling shared by every Earshot process: the first signal starts `shutdown`
 * once and the process exits when it resolves (status 0, or 1 if it failed or reported failure);
 * a second signal exits at once (Ctrl-C twice); `timeoutMs` bounds the whole shutdown.
 */
import type { Logger } from 'pino';

export interface ShutdownSignalOptions {
  logger: Logger;
  /** Runs once, on the first signal; resolves to false when something could not be released. */
  shutdown: (signal: NodeJS.Signals) => Promise<boolean | void>;
  /** Exit with status 1 if the shutdown takes longer. @defaultValue no limit */
  timeoutMs?: number;
  /** Status of an exit forced by a second signal. @defaultValue 130 */
  secondSignalExitCode?: number;
  /** @defaultValue ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
}

/** Installs the handlers; returns a function that removes them. */
export function handleShutdownSignals(options: ShutdownSignalOptions): () => void {
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const { logger } = options;
  let shuttingDown = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (shuttingDown) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(options.secondSignalExitCode ?? 130);
    }
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    if (options.timeoutMs !== undefined) {
      const timeoutMs = options.timeoutMs;
      setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown timed out: exiting');
        process.exit(1);
      }, timeoutMs).unref();
    }
    options
      .shutdown(signal)
      .then((ok) => process.exit(ok === false ? 1 : (process.exitCode ?? 0)))
      .catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exit(1);
      });
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
