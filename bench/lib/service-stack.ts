/**
 * Earshot's service as the benchmark runs it: the built API and worker processes (apps/…/dist,
 * started and watched as the integration tests do, test/support/child-processes.ts), the fs store
 * in a temp dir, the local Redis under queue names and key prefixes of this run only
 * (test/support/run-isolation.ts), and a verifying webhook receiver. `close()` stops the processes
 * and removes the run's keys and files.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { Redis } from 'ioredis';
import { generateWebhookSecret } from '@earshot/core/webhooks/sign';
import { API_READY, createChildGroup, WORKER_READY, type Child, type ChildGroup } from '../../test/support/child-processes.js';
import { createApiClient, type EarshotApiClient } from '../../test/support/earshot-api-client.js';
import { freePort } from '../../test/support/free-port.js';
import { buildApps, deleteRunKeys, runEnv, runNames, SHARED_REDIS_URL, type RunNames } from '../../test/support/run-isolation.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../test/support/webhook-receiver.js';

export interface ServiceStack {
  readonly names: RunNames;
  readonly api: EarshotApiClient;
  readonly receiver: WebhookReceiver;
  readonly group: ChildGroup;
  /** The environment a worker of this run starts from (Redis, queue, store), plus `extra`. */
  workerEnv(extra?: Record<string, string>): Record<string, string>;
  startApi(): Promise<Child>;
  /** Starts `node apps/worker/dist/main.js`; resolves when it logs that it is ready. */
  startWorker(extra?: Record<string, string>, name?: string): Promise<Child>;
  /**
   * POST /v1/jobs, multipart, with `bytes` as the file and a webhook to the receiver. `sentAt`
   * (Date.now()) is taken just before the request leaves.
   */
  submit(bytes: Uint8Array, fileName: string, options?: Record<string, unknown>): Promise<{ id: string; sentAt: number }>;
  close(): Promise<void>;
}

/** `name` names the run's prefixes (and its log files under $TMPDIR/earshot-bench-logs). */
export async function createServiceStack(name: string): Promise<ServiceStack> {
  await buildApps();
  const names = runNames(name);
  const apiKey = `bench-${randomBytes(12).toString('hex')}`;
  const secret = generateWebhookSecret();
  const [dataDir, receiver, apiPort] = await Promise.all([mkdtemp(join(tmpdir(), `earshot-bench-${name}-`)), startWebhookReceiver({ secret }), freePort()]);
  const group = createChildGroup(names.run, 'earshot-bench-logs');
  // An interrupted benchmark (run.ts exits on SIGINT/SIGTERM) leaves no API or worker behind.
  const killLeftovers = (): void => {
    for (const c of group.children) if (c.process.exitCode === null && c.process.signalCode === null) c.process.kill('SIGKILL');
  };
  process.once('exit', killLeftovers);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const api = createApiClient({ baseUrl: apiUrl, apiKey, context: () => group.tails(25) });

  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    ...runEnv(names, SHARED_REDIS_URL),
    EARSHOT_STORAGE: 'fs',
    EARSHOT_DATA_DIR: dataDir,
    EARSHOT_PUBLIC_URL: apiUrl,
    EARSHOT_WEBHOOK_SECRETS: secret,
    // The receiver is on 127.0.0.1.
    EARSHOT_ALLOW_PRIVATE_NETWORK: 'true',
    ...extra,
  });

  const workerEnv = (extra: Record<string, string> = {}): Record<string, string> =>
    env({ EARSHOT_WORKER_METRICS_HOST: '127.0.0.1', EARSHOT_WORKER_METRICS_PORT: '0', ...extra });

  return {
    names,
    api,
    receiver,
    group,
    workerEnv,
    startApi: () =>
      group.start('api', 'apps/api/dist/main.js', env({ EARSHOT_HOST: '127.0.0.1', EARSHOT_PORT: String(apiPort), EARSHOT_API_KEYS: `${apiKey}:bench` }), API_READY),
    startWorker(extra = {}, workerName = 'worker') {
      return group.start(workerName, 'apps/worker/dist/main.js', workerEnv(extra), WORKER_READY, 300_000);
    },
    async submit(bytes, fileName, options = {}) {
      const form = new FormData();
      form.append('options', JSON.stringify({ webhook: { url: `${receiver.url}/hook` }, ...options }));
      form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), basename(fileName));
      const sentAt = Date.now();
      const answer = await api.submit({ body: form });
      if (answer.status !== 202 || !answer.id) throw new Error(`POST /v1/jobs: ${answer.status} ${answer.text}`);
      return { id: answer.id, sentAt };
    },
    async close() {
      await group.stopAll();
      process.removeListener('exit', killLeftovers);
      await receiver.close();
      const redis = new Redis(SHARED_REDIS_URL, { maxRetriesPerRequest: null });
      try {
        await deleteRunKeys(redis, names);
      } finally {
        redis.disconnect();
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
