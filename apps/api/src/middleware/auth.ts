/**
 * Bearer API keys. Each configured key maps to a tenant; every job, upload and storage key is
 * scoped to that tenant. Keys are looked up by their SHA-256, so the comparison never runs over
 * the secret itself (no timing signal about how much of a guess was right).
 */
import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import type { ApiKey } from '@earshot/core/config/http-config';
import { AppError } from '@earshot/core/errors/app-error';

export interface Authenticator {
  /** The tenant of `Authorization: Bearer <key>`, or null when the header is absent or wrong. */
  tenantFor(req: Request): string | null;
  /** Middleware: sets the tenant (see `tenantOf`) or answers 401 UNAUTHORIZED. */
  readonly require: RequestHandler;
}

const digest = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

export function createAuthenticator(keys: readonly ApiKey[]): Authenticator {
  if (keys.length === 0) throw new AppError('INVALID_OPTIONS', 'the API needs at least one API key');
  const tenants = new Map(keys.map((k) => [digest(k.key), k.tenant]));

  function tenantFor(req: Request): string | null {
    const header = req.headers.authorization;
    if (typeof header !== 'string') return null;
    const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) return null;
    return tenants.get(digest(match[1])) ?? null;
  }

  const require: RequestHandler = (req, res, next) => {
    const tenant = tenantFor(req);
    if (tenant === null) {
      const detail = req.headers.authorization === undefined ? 'missing Authorization: Bearer <api key> header' : 'invalid API key';
      next(new AppError('UNAUTHORIZED', detail));
      return;
    }
    setTenant(res, tenant);
    next();
  };

  return { tenantFor, require };
}

/** Records the tenant for `tenantOf` and adds it to the request's logger (every later line carries it). */
export function setTenant(res: Response, tenant: string): void {
  res.locals.tenant = tenant;
  const req = res.req as Request | undefined;
  if (req?.log) req.log = req.log.child({ tenant });
}

/** The authenticated tenant; only call behind `require` (or after `setTenant`). */
export function tenantOf(res: Response): string {
  const tenant: unknown = res.locals.tenant;
  if (typeof tenant !== 'string') throw new AppError('UNAUTHORIZED', 'not authenticated');
  return tenant;
}
