import { z } from 'zod';
import { parseEnv, type EnvSource } from './env.js';

const stringList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** Everything the API and the worker share: Redis, queue, storage, webhooks. */
const ServiceEnvSchema = z.object({
  /** @defaultValue 'redis://127.0.0.1:6379' */
  redisUrl: z.string().default('redis://127.0.0.1:6379'),
  /** Prefix of Earshot's own Redis keys (job records, idempotency, webhook attempts). @defaultValue 'earshot:' */
  keyPrefix: z.string().default('earshot:'),
  /** BullMQ prefix. @defaultValue 'bull' */
  queuePrefix: z.string().default('bull'),
  /** @defaultValue 'transcription' */
  queueName: z.string().default('transcription'),
  /** @defaultValue 'webhooks' */
  webhookQueueName: z.string().default('webhooks'),
  /** 'fs' (embedded default) or 's3'. @defaultValue 'fs' */
  storage: z.enum(['fs', 's3']).default('fs'),
  /** Root directory of the fs store. @defaultValue './data' */
  dataDir: z.string().default('./data'),
  s3Bucket: z.string().optional(),
  s3Endpoint: z.string().optional(),
  /** @defaultValue 'us-east-1' */
  s3Region: z.string().default('us-east-1'),
  /** Path-style URLs (MinIO, radosgw). @defaultValue true */
  s3ForcePathStyle: z.stringbool().default(true),
  s3AccessKeyId: z.string().optional(),
  s3SecretAccessKey: z.string().optional(),
  /** Key prefix inside the bucket / data dir. @defaultValue '' */
  storagePrefix: z.string().default(''),
  /** Standard Webhooks secrets (`whsec_…`), comma-separated; the first signs, all are sent (rotation). */
  webhookSecrets: stringList.optional(),
  /** Webhook retry delays in ms, comma-separated. @defaultValue Standard Webhooks example schedule */
  webhookScheduleMs: stringList.transform((xs) => xs.map(Number)).pipe(z.array(z.number().int().min(0))).optional(),
  /** Time limit of one webhook attempt (connect to last byte of the answer). @defaultValue 15000 */
  webhookTimeoutMs: z.coerce.number().int().min(100).max(300_000).default(15_000),
  /**
   * Let audio URLs and webhook receivers resolve to loopback/private/link-local addresses.
   * Off by default (server-side request forgery: a client URL could reach internal services or
   * cloud metadata); turn on for local development and tests. @defaultValue false
   */
  allowPrivateNetwork: z.stringbool().default(false),
  /** Transcription attempts for retryable failures. @defaultValue 3 */
  jobAttempts: z.coerce.number().int().min(1).max(20).default(3),
  /** @defaultValue 5000 */
  jobBackoffMs: z.coerce.number().int().min(0).default(5000),
  /** Base URL clients reach the API at; used for links in job resources and webhooks. @defaultValue 'http://127.0.0.1:8080' */
  publicUrl: z.url().default('http://127.0.0.1:8080'),
  /** Days a finished job's record and results are kept. @defaultValue 30 */
  retentionDays: z.coerce.number().positive().default(30),
});

/**
 * The service configuration plus the settings derived from it, computed here once so every
 * process agrees: `retentionS` is the whole number of seconds a finished job is kept (Redis
 * `EXPIRE` takes integers only; at least 1).
 */
export const ServiceConfigSchema = ServiceEnvSchema.transform((c) => ({
  ...c,
  retentionS: Math.max(1, Math.round(c.retentionDays * 86_400)),
}));
export type ServiceConfig = z.infer<typeof ServiceConfigSchema>;

export const SERVICE_ENV = {
  redisUrl: 'REDIS_URL',
  keyPrefix: 'EARSHOT_KEY_PREFIX',
  queuePrefix: 'EARSHOT_QUEUE_PREFIX',
  queueName: 'EARSHOT_QUEUE',
  webhookQueueName: 'EARSHOT_WEBHOOK_QUEUE',
  storage: 'EARSHOT_STORAGE',
  dataDir: 'EARSHOT_DATA_DIR',
  s3Bucket: 'S3_BUCKET',
  s3Endpoint: 'S3_ENDPOINT',
  s3Region: 'S3_REGION',
  s3ForcePathStyle: 'S3_FORCE_PATH_STYLE',
  s3AccessKeyId: 'S3_ACCESS_KEY_ID',
  s3SecretAccessKey: 'S3_SECRET_ACCESS_KEY',
  storagePrefix: 'EARSHOT_STORAGE_PREFIX',
  webhookSecrets: 'EARSHOT_WEBHOOK_SECRETS',
  webhookScheduleMs: 'EARSHOT_WEBHOOK_SCHEDULE_MS',
  webhookTimeoutMs: 'EARSHOT_WEBHOOK_TIMEOUT_MS',
  allowPrivateNetwork: 'EARSHOT_ALLOW_PRIVATE_NETWORK',
  jobAttempts: 'EARSHOT_JOB_ATTEMPTS',
  jobBackoffMs: 'EARSHOT_JOB_BACKOFF_MS',
  retentionDays: 'EARSHOT_RETENTION_DAYS',
  publicUrl: 'EARSHOT_PUBLIC_URL',
} as const satisfies Record<keyof z.input<typeof ServiceEnvSchema>, string>;

export function loadServiceConfig(env: EnvSource): ServiceConfig {
  return parseEnv(ServiceConfigSchema, SERVICE_ENV, env);
}
