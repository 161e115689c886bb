/**
 * Fault suite, webhooks: receivers that fail in each way a real one does, and a deliverer process
 * killed with SIGKILL. The job itself always stays completed, and every attempt of one event
 * carries the same `webhook-id`.
 *
 *   - 500, then 200: retried, two attempts listed (retrying, delivered);
 *   - connection refused (nothing listens), then a receiver appears on that port: delivered;
 *   - no answer at all: each attempt ends after EARSHOT_WEBHOOK_TIMEOUT_MS (500 ms here), then delivered;
 *   - 410 Gone: delivery stops after exactly one attempt;
 *   - the API with its deliverer off (EARSHOT_API_WEBHOOK_WORKER=false) and the separate
 *     `webhooks.js` process killed with SIGKILL between two attempts, and during one: after its
 *     restart the webhook still arrives, under one id.
 *
 * Retries follow EARSHOT_WEBHOOK_SCHEDULE_MS '0,250,500,1000,2000' (support/earshot-stack.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Child } from '../support/child-processes.js';
import type { WebhookAttemptResource } from '../support/earshot-api-client.js';
import { createEarshotStack, type EarshotStack } from '../support/earshot-stack.js';
import { freePort } from '../support/free-port.js';
import { sleep, waitFor } from '../support/wait-for.js';
import { deliveriesFor, startWebhookReceiver, type WebhookDelivery } from '../support/webhook-receiver.js';

const ATTEMPT_TIMEOUT_MS = 500;

let stack: EarshotStack;
let api: Child;

beforeAll(async () => {
  stack = await createEarshotStack({ name: 'faults-webhooks', env: { EARSHOT_WEBHOOK_TIMEOUT_MS: String(ATTEMPT_TIMEOUT_MS) } });
  [api] = await Promise.all([stack.startApi(), stack.startWorker()]);
});

afterAll(async () => {
  await stack?.close();
});

function figure(name: string, value: unknown): void {
  console.info(`[faults/webhooks] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

/** A completed job (short audio) whose webhook goes to `url`. */
async function completedJob(url: string): Promise<string> {
  const answer = await stack.api.submitJson({ audio: { url: stack.audio.urlOf('en.wav') }, webhook: { url } });
  expect(answer.status, JSON.stringify(answer.body)).toBe(202);
  const id = answer.id ?? '';
  const job = await stack.api.waitForStatus(id, ['completed', 'failed'], { timeoutMs: 30_000 });
  expect(job.status, JSON.stringify(job.error)).toBe('completed');
  return id;
}

function completedHooks(id: string): WebhookDelivery[] {
  return deliveriesFor(stack.receiver.deliveries, id, 'job.completed');
}

/** The job's attempts once `done` holds for them. */
function attemptsWhen(id: string, what: string, done: (attempts: WebhookAttemptResource[]) => boolean): Promise<WebhookAttemptResource[]> {
  return waitFor(what, async () => {
    const attempts = await stack.api.webhookAttempts(id);
    return done(attempts) ? attempts : null;
  }, { timeoutMs: 20_000, intervalMs: 25, context: stack.context });
}

const lastOutcome = (outcome: WebhookAttemptResource['outcome']) => (attempts: WebhookAttemptResource[]) => attempts.at(-1)?.outcome === outcome;

/** Every attempt and every received request of the job's job.completed event share one id. */
function expectOneEventId(id: string, attempts: WebhookAttemptResource[]): void {
  const hooks = completedHooks(id);
  expect(hooks.length).toBeGreaterThan(0);
  expect(hooks.every((d) => d.verified)).toBe(true);
  expect(new Set([...hooks.map((d) => d.id), ...attempts.map((a) => a.eventId)])).toEqual(new Set([hooks[0]?.id]));
}

describe('fault suite: webhook receivers and the webhook deliverer', () => {
  it('a receiver answering 500, then 200: retried with the same webhook-id, both attempts listed', async () => {
    stack.receiver.script('/hooks/500', [500]);
    const id = await completedJob(stack.hookUrl('/hooks/500'));
    const attempts = await attemptsWhen(id, 'the retried delivery', lastOutcome('delivered'));
    expect(attempts.map((a) => [a.statusCode, a.outcome])).toEqual([
      [500, 'retrying'],
      [200, 'delivered'],
    ]);
    expectOneEventId(id, attempts);
    expect(completedHooks(id).map((d) => d.answered)).toEqual([500, 200]);
    expect((await stack.api.getJob(id)).status).toBe('completed');
    await stack.expectSettledOnce();
  });

  it('connection refused, then a receiver appears on that port: delivered with the same webhook-id', async () => {
    const port = await freePort();
    const id = await completedJob(`http://127.0.0.1:${port}/hooks/late`);
    const refused = await attemptsWhen(id, 'a refused attempt', (a) => a.length > 0);
    const late = await startWebhookReceiver({ secret: stack.webhookSecret, port, deliveries: stack.receiver.deliveries });
    try {
      const attempts = await attemptsWhen(id, 'the delivery to the late receiver', lastOutcome('delivered'));
      figure('case 5 refused: attempts until the receiver came up', attempts.length);
      expect(refused[0]).toMatchObject({ statusCode: null, outcome: 'retrying' });
      expect(refused[0]?.error).toMatch(/ECONNREFUSED/);
      expect(attempts.slice(0, -1).every((a) => a.statusCode === null && a.outcome === 'retrying')).toBe(true);
      expectOneEventId(id, attempts);
      expect(completedHooks(id)).toHaveLength(1);
      expect((await stack.api.getJob(id)).status).toBe('completed');
      await stack.expectSettledOnce();
    } finally {
      await late.close();
    }
  });

  it(`a receiver that never answers: each attempt ends after EARSHOT_WEBHOOK_TIMEOUT_MS (${ATTEMPT_TIMEOUT_MS} ms), then delivered`, async () => {
    stack.receiver.script('/hooks/hang', ['hang', 'hang']);
    const id = await completedJob(stack.hookUrl('/hooks/hang'));
    const attempts = await attemptsWhen(id, 'the delivery after two timeouts', lastOutcome('delivered'));
    figure('case 5 timeout: attempt durations (ms)', attempts.map((a) => a.durationMs));
    expect(attempts.map((a) => [a.statusCode, a.outcome])).toEqual([
      [null, 'retrying'],
      [null, 'retrying'],
      [200, 'delivered'],
    ]);
    for (const timedOut of attempts.slice(0, 2)) {
      expect(timedOut.error).toMatch(/timeout/i);
      expect(timedOut.durationMs).toBeGreaterThanOrEqual(ATTEMPT_TIMEOUT_MS - 50);
      expect(timedOut.durationMs).toBeLessThan(ATTEMPT_TIMEOUT_MS + 1500);
    }
    expectOneEventId(id, attempts);
    expect(completedHooks(id).map((d) => d.answered)).toEqual([null, null, 200]);
    expect((await stack.api.getJob(id)).status).toBe('completed');
    await stack.expectSettledOnce();
  });

  it('a receiver answering 410 Gone: delivery stops after exactly one attempt', async () => {
    stack.receiver.script('/hooks/gone', [410]);
    const id = await completedJob(stack.hookUrl('/hooks/gone'));
    await attemptsWhen(id, 'the 410 attempt', (a) => a.length > 0);
    await sleep(1500); // the next two attempts of the schedule would have come by now
    const attempts = await stack.api.webhookAttempts(id);
    expect(attempts.map((a) => [a.statusCode, a.outcome])).toEqual([[410, 'gone']]);
    expect(completedHooks(id).map((d) => d.answered)).toEqual([410]);
    expectOneEventId(id, attempts);
    expect((await stack.api.getJob(id)).status).toBe('completed');
    await stack.expectSettledOnce();
  });

  it('the separate deliverer process (API deliverer off) killed with SIGKILL between attempts and during one: the webhook still arrives once', async () => {
    await stack.group.stop(api);
    api = await stack.startApi({ EARSHOT_API_WEBHOOK_WORKER: 'false' });
    let deliverer = await stack.startDeliverer();

    // Between attempts: the receiver asks for a retry in 2 s; the deliverer dies while the retry waits.
    stack.receiver.script('/hooks/deliverer', [{ status: 503, headers: { 'retry-after': '2' } }]);
    const between = await completedJob(stack.hookUrl('/hooks/deliverer'));
    const first = await waitFor('the first attempt', () => completedHooks(between)[0], { timeoutMs: 20_000, intervalMs: 20, context: stack.context });
    await waitFor('the delivery to wait for its retry', async () => (await (await stack.webhookQueue().getJob(first.id))?.getState()) === 'delayed', {
      timeoutMs: 10_000,
      intervalMs: 20,
      context: stack.context,
    });
    deliverer.process.kill('SIGKILL');
    await deliverer.exited;
    await sleep(2500); // the retry fell due while no deliverer ran (the API's is off)
    expect(completedHooks(between), 'nothing delivers while the deliverer is down').toHaveLength(1);
    const restartAt = Date.now();
    deliverer = await stack.startDeliverer();
    await waitFor('the retry after the restart', () => completedHooks(between).some((d) => d.answered === 200), { timeoutMs: 20_000, context: stack.context });
    figure('case 5 deliverer killed between attempts: restart → delivered (ms)', Math.max(...completedHooks(between).map((d) => d.receivedAt)) - restartAt);
    expect(completedHooks(between).map((d) => d.answered)).toEqual([503, 200]);
    expectOneEventId(between, await stack.api.webhookAttempts(between));

    // During an attempt: the receiver holds the request; the deliverer dies before its 500 ms timeout.
    stack.receiver.script('/hooks/deliverer-inflight', ['hang']);
    const during = await completedJob(stack.hookUrl('/hooks/deliverer-inflight'));
    await waitFor('the attempt to reach the receiver', () => completedHooks(during).length === 1, { timeoutMs: 20_000, intervalMs: 5, context: stack.context });
    deliverer.process.kill('SIGKILL');
    await deliverer.exited;
    const killedAt = Date.now();
    deliverer = await stack.startDeliverer();
    await waitFor('the attempt again, after the dead deliverer’s lock expired', () => completedHooks(during).some((d) => d.answered === 200), {
      timeoutMs: 30_000,
      context: stack.context,
    });
    figure('case 5 deliverer killed during an attempt: kill → delivered (ms)', Math.max(...completedHooks(during).map((d) => d.receivedAt)) - killedAt);
    expect(completedHooks(during).map((d) => d.answered)).toEqual([null, 200]);
    expectOneEventId(during, await stack.api.webhookAttempts(during));

    await stack.expectSettledOnce();
  });
});
