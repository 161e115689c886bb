/**
 * Fault suite, a job whose worker keeps dying: BullMQ gives up on a job that stalled more often than
 * EARSHOT_WORKER_MAX_STALLED_COUNT allows and fails it itself, outside the processor ("job stalled
 * more than allowable limit"). The suite's invariant still holds: the job record must end `failed`
 * (not stay `processing` for ever) and the receiver must get `job.failed`.
 *
 * With 0 allowed stalls one SIGKILL is enough; with the default (2) it takes three worker deaths,
 * e.g. an input that gets the worker OOM-killed every time. Its own stack (queue): the stalled check
 * is throttled per queue by the last worker's stalled interval, which other files set to 30 s.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jobsInFlight } from '../support/child-logs.js';
import { createEarshotStack, type EarshotStack } from '../support/earshot-stack.js';
import { waitFor } from '../support/wait-for.js';

let stack: EarshotStack;

beforeAll(async () => {
  stack = await createEarshotStack({ name: 'faults-stalls' });
  await stack.startApi();
});

afterAll(async () => {
  await stack?.close();
});

describe('fault suite: stalled-job limit', () => {
  it('a job that stalls more often than EARSHOT_WORKER_MAX_STALLED_COUNT allows ends failed: the record says so and job.failed is sent', async () => {
    const noStalls = { EARSHOT_WORKER_MAX_STALLED_COUNT: '0' };
    const first = await stack.startWorker(noStalls, 'stall-a');
    const answer = await stack.api.submitJson({ audio: { url: stack.audio.urlOf('long-45s.wav') }, webhook: { url: stack.hookUrl('/hooks/stall-limit') } });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const id = answer.id ?? '';
    await waitFor('the worker to start the job', () => jobsInFlight(first).includes(id), { intervalMs: 20, context: stack.context });
    first.process.kill('SIGKILL');
    await first.exited;

    // The next worker's stalled check finds the dead worker's job once its lock (3 s) has expired.
    await stack.startWorker(noStalls, 'stall-b');
    const failedReason = await waitFor('BullMQ to fail the stalled job', async () => (await stack.queue().getJob(id))?.failedReason, {
      timeoutMs: 15_000,
      context: stack.context,
    });
    console.info(`[faults/stalls] BullMQ failedReason: ${failedReason}`);

    const job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: 5000 });
    expect(job.status).toBe('failed');
    expect(job.error).not.toBeNull();
    await stack.expectSettledOnce({ timeoutMs: 10_000 });
  });
});
