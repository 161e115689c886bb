/**
 * What the routes share: the dependencies given to createApp plus the few objects derived from
 * them once (upload registry, source rules, submission deps).
 *
 * Words: a **tenant** is who an API key belongs to (jobs and uploads are scoped to it); a **job
 * record** (JobStore) is the client-visible state of a job, apart from the BullMQ job that
 * carries it through the queue; an **upload** (uploads/upload-registry.ts) is a storage slot for
 * audio PUT before its job is created.
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AutoscaleConfig } from '@earshot/core/config/autoscale-config';
import type { ApiKey, HttpConfig } from '@earshot/core/config/http-config';
import type { ServiceConfig } from '@earshot/core/config/service-config';
import type { JobStore } from '@earshot/core/jobs/job-store';
import type { TranscriptionJobData } from '@earshot/core/queue/transcription-queue';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import type { WebhookAttemptsStore } from '@earshot/core/webhooks/attempts-store';
import type { SourceRules } from './jobs/resolve-source.js';
import type { MeasureAudio } from './jobs/measure-audio.js';
import type { SubmitDeps } from './jobs/submit-job.js';
import { UploadRegistry } from './uploads/upload-registry.js';

export interface ApiConfig {
  service: ServiceConfig;
  http: HttpConfig;
  /** The keys in force: `http.apiKeys`, or the development key main.ts generated. */
  apiKeys: readonly ApiKey[];
  /** The scaling policy behind `earshot_desired_workers`. @defaultValue the EARSHOT_AUTOSCALE_* defaults */
  autoscale?: AutoscaleConfig;
}

export interface AppDeps {
  store: BlobStore;
  jobs: JobStore;
  queue: Queue<TranscriptionJobData>;
  webhookAttempts: WebhookAttemptsStore;
  /** Earshot's own Redis client (job records, uploads, readiness). */
  redis: Redis;
  config: ApiConfig;
  logger: Logger;
  /** true once shutdown started: /readyz answers 503 so load balancers stop sending traffic. */
  isDraining?: () => boolean;
  /** Reads a new job's audio duration from its container (jobs/measure-audio.ts); unknown when absent. */
  measureAudio?: MeasureAudio;
  /**
   * Aborted when shutdown starts: open event streams end (an EventSource reconnects, with
   * Last-Event-ID, to an instance still serving) and synchronous waits answer at once.
   */
  closing?: AbortSignal;
  /** Heartbeat (and idle check) interval of event streams. @defaultValue 15000 */
  eventsHeartbeatMs?: number;
}

export interface AppContext extends AppDeps {
  uploads: UploadRegistry;
  sourceRules: SourceRules;
  submitDeps: SubmitDeps;
}

export function createAppContext(deps: AppDeps): AppContext {
  const { service, http } = deps.config;
  const uploads = new UploadRegistry(deps.redis, service.keyPrefix);
  return {
    ...deps,
    uploads,
    sourceRules: {
      store: deps.store,
      uploads,
      storagePrefix: service.storagePrefix,
      s3SourceBuckets: http.s3SourceBuckets,
      maxUploadBytes: http.maxUploadBytes,
    },
    submitDeps: {
      jobs: deps.jobs,
      queue: deps.queue,
      uploads,
      retry: { attempts: service.jobAttempts, backoffMs: service.jobBackoffMs },
      measureAudio: deps.measureAudio ?? (async () => null),
      logger: deps.logger,
    },
  };
}
