/**
 * Unauthenticated probes:
 *   GET /healthz  200 { status: 'ok' } while the process serves HTTP (liveness);
 *   GET /readyz   200 when Redis answers PING and the blob store passes check(), else 503
 *                 problem JSON naming the failing check (readiness; also 503 while shutting down);
 *   GET /metrics  Prometheus text format (middleware/metrics.ts).
 */
import { Router } from 'express';
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { AppError } from '@earshot/core/errors/app-error';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { sendProblem } from '../middleware/problem.js';

export interface HealthDeps {
  redis: Redis;
  store: BlobStore;
  registry: Registry;
  isDraining?: () => boolean;
  /** Per-check time limit. @defaultValue 3000 */
  checkTimeoutMs?: number;
}

type CheckResult = 'ok' | string;

async function withTimeout(work: Promise<unknown>, ms: number): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve(`no answer within ${ms} ms`), ms);
  });
  try {
    return await Promise.race([work.then((): CheckResult => 'ok'), timeout]);
  } catch (err) {
    return err instanceof AppError ? err.code : 'failed';
  } finally {
    clearTimeout(timer);
  }
}

export function createHealthRouter(deps: HealthDeps): Router {
  const router = Router();
  const timeoutMs = deps.checkTimeoutMs ?? 3000;

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (req, res) => {
    res.setHeader('Cache-Control', 'no-store');
    if (deps.isDraining?.()) {
      sendProblem(res, req, new AppError('QUEUE_UNAVAILABLE', 'shutting down'), { checks: { shutdown: 'draining' } });
      return;
    }
    const [redis, storage] = await Promise.all([withTimeout(deps.redis.ping(), timeoutMs), withTimeout(deps.store.check(), timeoutMs)]);
    const checks = { redis, storage };
    if (redis !== 'ok' || storage !== 'ok') {
      const code = redis !== 'ok' ? 'QUEUE_UNAVAILABLE' : 'STORAGE_UNAVAILABLE';
      sendProblem(res, req, new AppError(code, 'not ready', { httpStatus: 503 }), { checks });
      return;
    }
    res.json({ status: 'ok', checks });
  });

  router.get('/metrics', async (_req, res) => {
    const body = await deps.registry.metrics();
    res.setHeader('Content-Type', deps.registry.contentType);
    res.send(body);
  });

  return router;
}
