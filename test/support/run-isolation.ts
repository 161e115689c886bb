/**
 * What keeps one test file's Earshot children apart from every other file's on the shared Redis
 * and S3 server: a random run id in every queue name and key or storage prefix, and an environment
 * that inherits no Earshot, S3 or Redis setting from the machine running the tests. Also the build
 * the children run (apps/…/dist), brought up to date once per test file.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Redis } from 'ioredis';
import { processEnv } from '@earshot/core/config/env';
import { REPO_ROOT } from '../setup/paths.js';
import { deleteKeys } from './redis-keys.js';

/** The Redis test files share (each under its own prefixes). */
export const SHARED_REDIS_URL = 'redis://127.0.0.1:6379';

export interface RunNames {
  /** Random hex id of the run, part of every name below. */
  run: string;
  queue: string;
  webhookQueue: string;
  /** BullMQ's key prefix. */
  queuePrefix: string;
  /** Earshot's own Redis keys (job records, idempotency keys). */
  keyPrefix: string;
  storagePrefix: string;
}

/** Names of a fresh run of `name`: queue `<name>-<run>`, key prefix `earshot-<name>:<run>:`, and so on. */
export function runNames(name: string): RunNames {
  const run = randomBytes(4).toString('hex');
  return {
    run,
    queue: `${name}-${run}`,
    webhookQueue: `${name}-webhooks-${run}`,
    queuePrefix: `bull-${name}-${run}`,
    keyPrefix: `earshot-${name}:${run}:`,
    storagePrefix: `${name}-${run}/`,
  };
}

/**
 * The environment every child of the run starts from: this machine's minus any Earshot/S3/Redis
 * settings, then the run's Redis, queue names and prefixes (not storage: that is the caller's).
 */
export function runEnv(names: RunNames, redisUrl: string): Record<string, string> {
  const inherited = Object.entries(processEnv()).filter(
    (e): e is [string, string] => e[1] !== undefined && !/^(EARSHOT_|S3_|REDIS_URL$)/.test(e[0]),
  );
  return {
    ...Object.fromEntries(inherited),
    REDIS_URL: redisUrl,
    EARSHOT_KEY_PREFIX: names.keyPrefix,
    EARSHOT_QUEUE_PREFIX: names.queuePrefix,
    EARSHOT_QUEUE: names.queue,
    EARSHOT_WEBHOOK_QUEUE: names.webhookQueue,
    EARSHOT_LOG_LEVEL: 'info',
  };
}

/** Deletes every Redis key of the run (Earshot's and BullMQ's). */
export async function deleteRunKeys(redis: Redis, names: RunNames): Promise<void> {
  await deleteKeys(redis, `${names.keyPrefix}*`);
  await deleteKeys(redis, `${names.queuePrefix}:*`);
}

const builds = new Map<string, Promise<unknown>>();

/**
 * Children run the built apps: (re)builds what is stale in `projects`, once per test file
 * (tsc -b is incremental, and builds the projects they reference).
 */
export function buildApps(projects: readonly string[] = ['packages/core', 'apps/api', 'apps/worker']): Promise<unknown> {
  const key = projects.join(' ');
  let built = builds.get(key);
  if (!built) {
    built = promisify(execFile)('npx', ['tsc', '-b', ...projects], { cwd: REPO_ROOT, timeout: 240_000 }).catch((err: unknown) => {
      const { stdout = '', stderr = '' } = err as { stdout?: string; stderr?: string };
      throw new Error(`the apps do not build (npx tsc -b ${key}):\n${stdout}${stderr}`.trim(), { cause: err });
    });
    builds.set(key, built);
  }
  return built;
}
