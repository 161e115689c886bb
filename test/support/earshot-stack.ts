/**
 * One isolated Earshot deployment for an integration test file: the API, workers and the separate
 * webhook deliverer as child processes (the built apps/…/dist), a verified webhook receiver, a
 * local audio host for `url` sources, a fresh bucket, and queue names / key prefixes of its own,
 * so it shares Redis and the S3 server with other test files without seeing their data.
 *
 * The children are started by the test, each with the environment it needs (`startWorker({...})`
 * with a short lock for a crash test, say); `close()` stops them all and removes every key, object
 * and temp file the stack made.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { generateWebhookSecret } from '@earshot/core/webhooks/sign';
import { TEST_AUDIO_DIR, TINY_MODEL_DIR } from '../setup/paths.js';
import { makeTestBucket, type TestBucket } from '../setup/s3.js';
import { startAudioHost, type AudioHost } from './audio-host.js';
import { API_READY, createChildGroup, DELIVERER_READY, WORKER_READY, type Child, type ChildGroup } from './child-processes.js';
import { createApiClient, type EarshotApiClient, type JobResource } from './earshot-api-client.js';
import { freePort } from './free-port.js';
import { expectEveryAcceptedJobSettledOnce, type SettledOnceCheck } from './job-invariants.js';
import { buildApps, deleteRunKeys, runEnv, runNames, SHARED_REDIS_URL, type RunNames } from './run-isolation.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** Environment over a child's defaults; `undefined` removes a default (the service's own applies). */
export type EnvOverrides = Record<string, string | undefined>;

export interface EarshotStackOptions {
  /** Names the run's prefixes and log files, e.g. 'faults-redis'. */
  name: string;
  /** The tenant of the API key. @defaultValue 'faults' */
  tenant?: string;
  /** Redis of the services (and of the test's own connection). @defaultValue SHARED_REDIS_URL */
  redisUrl?: string;
  /** S3 endpoint the services use; the bucket is made on the shared test server. @defaultValue that server */
  s3Endpoint?: string;
  /** Environment for every child, over the defaults (e.g. EARSHOT_WEBHOOK_SCHEDULE_MS). */
  env?: EnvOverrides;
}

export interface EarshotStack {
  readonly names: RunNames;
  readonly tenant: string;
  /** The API key of `tenant` (the API's only key). */
  readonly apiKey: string;
  /** The `whsec_…` secret the services sign webhooks with. */
  readonly webhookSecret: string;
  readonly bucket: TestBucket;
  readonly group: ChildGroup;
  readonly api: EarshotApiClient;
  readonly receiver: WebhookReceiver;
  readonly audio: AudioHost;
  /** The test's own connection to the services' Redis. */
  readonly redis: Redis;
  /** A temp dir of this run (removed by close). */
  readonly tmpDir: string;
  /** The environment every child gets, plus `extra`. */
  env(extra?: EnvOverrides): Record<string, string>;
  startApi(extra?: EnvOverrides): Promise<Child>;
  startWorker(extra?: EnvOverrides, name?: string): Promise<Child>;
  /** `node apps/api/dist/webhooks.js`, the webhook deliverer as its own process. */
  startDeliverer(extra?: EnvOverrides): Promise<Child>;
  /** The transcription queue (pause/resume, counts). */
  queue(): Queue;
  /** The webhook delivery queue (a delivery job's id is its event id, the `webhook-id`). */
  webhookQueue(): Queue;
  /** `receiver.url + path` */
  hookUrl(path: string): string;
  /** Path of a generated test audio file. */
  audioFile(name: string): string;
  /** job-invariants.ts over everything this stack's API accepted. */
  expectSettledOnce(options?: Partial<Pick<SettledOnceCheck, 'timeoutMs' | 'duplicateGraceMs' | 'webhooks'>>): Promise<JobResource[]>;
  /** The children's log tails, for failure messages. */
  context(): string;
  close(): Promise<void>;
}

export async function createEarshotStack(options: EarshotStackOptions): Promise<EarshotStack> {
  const names = runNames(options.name);
  const tenant = options.tenant ?? 'faults';
  const apiKey = `${options.name}-key-${randomBytes(12).toString('hex')}`;
  const webhookSecret = generateWebhookSecret();
  const redisUrl = options.redisUrl ?? SHARED_REDIS_URL;
  const group = createChildGroup(names.run, `earshot-${options.name}-logs`);
  const context = (): string => group.tails(25);

  await buildApps();
  const [bucket, tmpDir, receiver, audio, apiPort] = await Promise.all([
    makeTestBucket(),
    mkdtemp(join(tmpdir(), `earshot-${options.name}-`)),
    startWebhookReceiver({ secret: webhookSecret }),
    startAudioHost(TEST_AUDIO_DIR),
    freePort(),
  ]);
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', () => undefined); // the Redis fault test kills it on purpose
  const api = createApiClient({ baseUrl: apiUrl, apiKey, context });
  let queue: Queue | undefined;
  let webhookQueue: Queue | undefined;

  function env(extra: EnvOverrides = {}): Record<string, string> {
    const merged: EnvOverrides = {
      ...runEnv(names, redisUrl),
      EARSHOT_STORAGE: 's3',
      S3_BUCKET: bucket.bucket,
      S3_ENDPOINT: options.s3Endpoint ?? bucket.endpoint,
      S3_REGION: bucket.region,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: bucket.accessKeyId,
      S3_SECRET_ACCESS_KEY: bucket.secretAccessKey,
      EARSHOT_STORAGE_PREFIX: names.storagePrefix,
      EARSHOT_DATA_DIR: tmpDir,
      EARSHOT_PUBLIC_URL: apiUrl,
      EARSHOT_WEBHOOK_SECRETS: webhookSecret,
      // The receiver and the audio host are on 127.0.0.1.
      EARSHOT_ALLOW_PRIVATE_NETWORK: 'true',
      // Bounded cases: fast webhook retries with a short per-attempt timeout, quick job retries.
      EARSHOT_WEBHOOK_SCHEDULE_MS: '0,250,500,1000,2000',
      EARSHOT_WEBHOOK_TIMEOUT_MS: '500',
      EARSHOT_JOB_ATTEMPTS: '6',
      EARSHOT_JOB_BACKOFF_MS: '300',
      ...options.env,
      ...extra,
    };
    return Object.fromEntries(Object.entries(merged).filter((e): e is [string, string] => e[1] !== undefined));
  }

  const stack: EarshotStack = {
    names,
    tenant,
    apiKey,
    webhookSecret,
    bucket,
    group,
    api,
    receiver,
    audio,
    redis,
    tmpDir,
    env,
    startApi: (extra = {}) =>
      group.start(
        'api',
        'apps/api/dist/main.js',
        env({
          EARSHOT_HOST: '127.0.0.1',
          EARSHOT_PORT: String(apiPort),
          EARSHOT_API_KEYS: `${apiKey}:${tenant}`,
          EARSHOT_ALLOW_HTTP_SOURCES: 'true',
          ...extra,
        }),
        API_READY,
      ),
    startWorker: (extra = {}, name = 'worker') =>
      group.start(
        name,
        'apps/worker/dist/main.js',
        env({
          EARSHOT_MODEL_DIR: TINY_MODEL_DIR,
          EARSHOT_THREADS: '1',
          EARSHOT_WORKER_CONCURRENCY: '2',
          EARSHOT_WORKER_METRICS_HOST: '127.0.0.1',
          EARSHOT_WORKER_METRICS_PORT: '0',
          // A killed worker's jobs are recovered within seconds.
          EARSHOT_WORKER_LOCK_DURATION_MS: '3000',
          EARSHOT_WORKER_STALLED_INTERVAL_MS: '1000',
          EARSHOT_WORKER_DRAIN_TIMEOUT_MS: '10000',
          ...extra,
        }),
        WORKER_READY,
      ),
    startDeliverer: (extra = {}) => group.start('webhooks', 'apps/api/dist/webhooks.js', env(extra), DELIVERER_READY),
    queue() {
      queue ??= new Queue(names.queue, { connection: redis, prefix: names.queuePrefix });
      return queue;
    },
    webhookQueue() {
      webhookQueue ??= new Queue(names.webhookQueue, { connection: redis, prefix: names.queuePrefix });
      return webhookQueue;
    },
    hookUrl: (path) => `${receiver.url}${path}`,
    audioFile: (name) => join(TEST_AUDIO_DIR, name),
    expectSettledOnce: (overrides = {}) =>
      expectEveryAcceptedJobSettledOnce({
        api,
        deliveries: receiver.deliveries,
        storage: { client: bucket.client, bucket: bucket.bucket, prefix: names.storagePrefix, tenant },
        context,
        ...overrides,
      }),
    context,
    async close() {
      await group.stopAll();
      await Promise.all([receiver.close(), audio.close()]);
      await Promise.all([queue, webhookQueue].map((q) => q?.close().catch(() => undefined)));
      if (redis.status === 'ready') await deleteRunKeys(redis, names);
      redis.disconnect();
      await bucket.cleanup();
      await rm(tmpDir, { recursive: true, force: true });
    },
  };
  return stack;
}
