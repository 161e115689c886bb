import { z } from 'zod';
import { parseEnv, type EnvSource } from './env.js';

/** Tenant ids become storage key segments (storage/keys.ts): 1..128 of `[A-Za-z0-9._-]`, starting alphanumeric. */
const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
/** Shortest accepted API key: short keys are guessable. */
export const MIN_API_KEY_LENGTH = 16;

export interface ApiKey {
  key: string;
  tenant: string;
}

/** `key:tenant,key2:tenant2` → ApiKey[]; the key is everything before the last `:`. */
const apiKeyList = z.string().transform((text, ctx): ApiKey[] => {
  const keys: ApiKey[] = [];
  for (const [index, entry] of text.split(',').map((s) => s.trim()).filter((s) => s.length > 0).entries()) {
    const colon = entry.lastIndexOf(':');
    const key = colon > 0 ? entry.slice(0, colon) : '';
    const tenant = colon > 0 ? entry.slice(colon + 1) : '';
    if (key.length < MIN_API_KEY_LENGTH || /\s/.test(key)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1}: expected key:tenant with a key of at least ${MIN_API_KEY_LENGTH} non-space characters` });
    } else if (!TENANT_PATTERN.test(tenant)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1}: tenant must be 1..128 of [A-Za-z0-9._-], starting with a letter or digit` });
    } else if (keys.some((k) => k.key === key)) {
      ctx.addIssue({ code: 'custom', message: `entry ${index + 1}: duplicate key` });
    } else {
      keys.push({ key, tenant });
    }
  }
  if (keys.length === 0 && text.trim() !== '') ctx.addIssue({ code: 'custom', message: 'no usable key:tenant pair' });
  return keys;
});

const bucketList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0));

/** Settings of the HTTP API process (apps/api). Shared settings live in service-config.ts. */
export const HttpConfigSchema = z.object({
  /** Interface to listen on. @defaultValue '0.0.0.0' (containers); use 127.0.0.1 to stay local */
  host: z.string().min(1).default('0.0.0.0'),
  /** @defaultValue 8080 */
  port: z.coerce.number().int().min(0).max(65_535).default(8080),
  /**
   * API keys as `key:tenant` pairs, comma-separated. Unset: the API generates a development key
   * (tenant `dev`), prints it and writes it to `<dataDir>/dev-api-key` (reused on the next start).
   */
  apiKeys: apiKeyList.optional(),
  /**
   * Largest accepted audio upload (multipart or PUT /v1/uploads/:id). Matches the worker's
   * EARSHOT_SOURCE_MAX_BYTES default: workers decode audio in memory, so raise both together.
   * @defaultValue 1073741824 (1 GiB)
   */
  maxUploadBytes: z.coerce.number().int().min(1).max(5 * 1024 ** 4).default(1024 ** 3),
  /**
   * Accept plain `http://` audio URLs (the worker fetches them). Off by default: plain-HTTP URLs
   * are how a client reaches cloud metadata services and other internal endpoints through the
   * worker (SSRF); turn it on for local development. https is always accepted.
   * @defaultValue false
   */
  allowHttpSources: z.stringbool().default(false),
  /**
   * Buckets `s3://` sources may name (comma-separated). Unset: any bucket the service's
   * credentials can read, except other tenants' objects in the service's own bucket.
   */
  s3SourceBuckets: bucketList.optional(),
  /** Lifetime of upload URLs from POST /v1/uploads. @defaultValue 3600 */
  uploadUrlExpiresS: z.coerce.number().int().min(60).max(7 * 24 * 3600).default(3600),
  /** Run the webhook delivery worker inside the API process. @defaultValue true */
  webhookWorker: z.stringbool().default(true),
  /** Parallel webhook deliveries of that worker. @defaultValue 10 */
  webhookConcurrency: z.coerce.number().int().min(1).max(1000).default(10),
  /** pino level. @defaultValue 'info' */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * Longest time one request may take, uploads included (Node's default of 300 s cuts off large
   * uploads on slow links); 0 disables the limit. @defaultValue 3600000 (1 h)
   */
  requestTimeoutMs: z.coerce.number().int().min(0).default(3_600_000),
  /** Graceful shutdown budget; after it the process exits with status 1. @defaultValue 25000 */
  shutdownTimeoutMs: z.coerce.number().int().min(0).default(25_000),
  /**
   * Age after which a submission that wrote its job record but never confirmed its enqueue (Redis
   * died in between) is finished by the API's sweeper; it runs every half of this, at most 30 s.
   * @defaultValue 60
   */
  submissionSweepS: z.coerce.number().min(1).max(3600).default(60),
  /**
   * How long `POST /v1/audio/transcriptions` (the OpenAI-compatible, synchronous face of the
   * queue) waits for its job; past that it answers 504 naming the job, which goes on and can be
   * polled. @defaultValue 300
   */
  syncTimeoutS: z.coerce.number().positive().max(86_400).default(300),
});

export type HttpConfig = z.infer<typeof HttpConfigSchema>;

export const HTTP_ENV = {
  host: 'EARSHOT_HOST',
  port: 'EARSHOT_PORT',
  apiKeys: 'EARSHOT_API_KEYS',
  maxUploadBytes: 'EARSHOT_MAX_UPLOAD_BYTES',
  allowHttpSources: 'EARSHOT_ALLOW_HTTP_SOURCES',
  s3SourceBuckets: 'EARSHOT_S3_SOURCE_BUCKETS',
  uploadUrlExpiresS: 'EARSHOT_UPLOAD_URL_EXPIRES_S',
  webhookWorker: 'EARSHOT_API_WEBHOOK_WORKER',
  webhookConcurrency: 'EARSHOT_WEBHOOK_CONCURRENCY',
  logLevel: 'EARSHOT_LOG_LEVEL',
  requestTimeoutMs: 'EARSHOT_REQUEST_TIMEOUT_MS',
  shutdownTimeoutMs: 'EARSHOT_SHUTDOWN_TIMEOUT_MS',
  submissionSweepS: 'EARSHOT_SUBMISSION_SWEEP_S',
  syncTimeoutS: 'EARSHOT_SYNC_TIMEOUT_S',
} as const;

export function loadHttpConfig(env: EnvSource): HttpConfig {
  return parseEnv(HttpConfigSchema, HTTP_ENV, env);
}
