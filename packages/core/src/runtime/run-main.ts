import { isAppError } from '../errors/app-error.js';

/**
 * Runs a process's `main` and turns a failure to start into one line on stderr and exit status 1:
 * `<name> failed to start: CODE: message` for an AppError (a bad setting, a missing model), the
 * stack for anything else.
 */
export function runMain(name: string, main: () => Promise<void>): void {
  main().catch((err: unknown) => {
    const message = isAppError(err) ? `${err.code}: ${err.message}` : err instanceof Error ? (err.stack ?? err.message) : String(err);
    process.stderr.write(`${name} failed to start: ${message}\n`);
    process.exit(1);
  });
}
