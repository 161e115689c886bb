/**
 * Polling with a deadline, for integration tests that watch real processes: `waitFor` probes until
 * the probe returns something truthy, and on timeout throws with `context()` (e.g. the children's
 * log tails) in the message, so a failure says what the processes were doing.
 */

export interface WaitOptions {
  /** @defaultValue 30000 */
  timeoutMs?: number;
  /** @defaultValue 100 */
  intervalMs?: number;
  /** Appended to the timeout error. */
  context?: () => string;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${options.context ? `\n${options.context()}` : ''}`);
    }
    await sleep(options.intervalMs ?? 100);
  }
}
