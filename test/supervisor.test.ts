/**
 * The host supervisor (`npm run workers`, apps/worker/dist/supervisor.js) with real processes:
 * min 0, max 2, a burst of jobs. Nothing runs before the burst; worker processes start when the
 * work arrives (the policy on audio seconds, cold start and drain target), every job completes
 * once, and the supervisor is back at 0 processes after the idle period. The decisions it logged
 * are printed for the record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODEL_DIR } from './setup/paths.js';
import { logEntries } from './support/child-logs.js';
import type { Child } from './support/child-processes.js';
import { createEarshotStack, type EarshotStack } from './support/earshot-stack.js';
import { waitFor } from './support/wait-for.js';

const IDLE_S = 4;
let stack: EarshotStack;
let supervisor: Child;

beforeAll(async () => {
  stack = await createEarshotStack({
    name: 'supervisor',
    env: {
      EARSHOT_AUTOSCALE_MIN_WORKERS: '0',
      EARSHOT_AUTOSCALE_MAX_WORKERS: '2',
      EARSHOT_AUTOSCALE_IDLE_S: String(IDLE_S),
      EARSHOT_AUTOSCALE_COOLDOWN_S: '2',
      EARSHOT_AUTOSCALE_COLD_START_S: '2',
      EARSHOT_AUTOSCALE_TARGET_DRAIN_S: '8',
      // A 2-core test machine with the tiny model: about 20 audio seconds per second per worker.
      EARSHOT_AUTOSCALE_THROUGHPUT_PRIOR: '20',
      EARSHOT_SUPERVISOR_INTERVAL_MS: '300',
      // What the supervisor's workers get.
      EARSHOT_MODEL_DIR: TINY_MODEL_DIR,
      EARSHOT_THREADS: '1',
      EARSHOT_WORKER_CONCURRENCY: '2',
      EARSHOT_WORKER_METRICS_HOST: '127.0.0.1',
    },
  });
  await stack.startApi();
  supervisor = await stack.group.start('supervisor', 'apps/worker/dist/supervisor.js', stack.env(), 'supervisor started');
}, 120_000);

afterAll(async () => {
  await stack?.close();
});

const started = (): number => logEntries(supervisor, 'worker process started').length;
const exited = (): number => logEntries(supervisor, 'worker process exited').length;

describe('host supervisor', () => {
  it('starts workers for a burst, completes every job once, and returns to zero processes when idle', async () => {
    // Idle and empty: no worker process, no model in memory.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(started()).toBe(0);

    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await stack.api.submitFile(stack.audioFile('en-60s.wav'), { options: JSON.stringify({ webhook: { url: stack.hookUrl('/hooks/supervisor') } }) });
      expect(answer.status, answer.text).toBe(202);
      ids.push(answer.id ?? '');
    }
    await waitFor('a worker process to start', () => started() > 0, { timeoutMs: 10_000, context: stack.context });
    for (const id of ids) await stack.api.waitForStatus(id, ['completed'], { timeoutMs: 120_000 });

    // The burst asked for the maximum; never more.
    const ups = logEntries(supervisor).filter((e) => typeof e.msg === 'string' && e.msg.startsWith('scaling up'));
    expect(ups.length).toBeGreaterThan(0);
    expect(Math.max(...ups.map((e) => Number(e.desired)))).toBe(2);
    expect(started()).toBeLessThanOrEqual(2 + 1); // a recycled or crashed worker may be replaced once

    // Back to zero after the idle period: every started process exited, drained (exit code 0).
    await waitFor('the supervisor to stop every worker', () => started() > 0 && exited() === started(), { timeoutMs: (IDLE_S + 20) * 1000, context: stack.context });
    for (const e of logEntries(supervisor, 'worker process exited')) expect(e.code).toBe(0);
    const downs = logEntries(supervisor).filter((e) => typeof e.msg === 'string' && e.msg.startsWith('scaling down'));
    expect(downs.at(-1)?.desired).toBe(0);

    await stack.expectSettledOnce();
    const decisions = logEntries(supervisor).filter((e) => typeof e.msg === 'string' && /^scaling (up|down)/.test(e.msg));
    console.log(`[supervisor] decisions:\n${decisions.map((d) => `  ${d.msg} — desired ${d.desired}, current ${d.current}, backlog ${d.backlogAudioS} audio-s, ${d.waitingJobs} waiting, ${d.activeJobs} running, ${d.throughput} audio-s/s (${d.throughputSource})`).join('\n')}`);
  }, 240_000);
});
