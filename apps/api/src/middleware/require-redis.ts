/**
 * Answers 503 QUEUE_UNAVAILABLE at once while the API's Redis connection is down, before a route
 * starts work it could not finish (see runtime/fail-fast-redis.ts for why waiting is worse).
 */
import type { RequestHandler } from 'express';
import type { Redis } from 'ioredis';
import { AppError } from '@earshot/core/errors/app-error';

export function requireRedis(redis: Redis): RequestHandler {
  return (_req, _res, next) => {
    if (redis.status === 'ready') next();
    else next(new AppError('QUEUE_UNAVAILABLE', `Redis is unreachable (connection ${redis.status})`));
  };
}
