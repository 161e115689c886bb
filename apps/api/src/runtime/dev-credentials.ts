/**
 * Development credentials for `npm run dev`, where nothing is configured: an API key (tenant
 * `dev`) and a webhook signing secret, each generated once, kept in the data directory
 * (`dev-api-key`, `dev-webhook-secret`, mode 0600) so restarts and scripts reuse them, and
 * printed on start. Production sets EARSHOT_API_KEYS and EARSHOT_WEBHOOK_SECRETS instead.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ApiKey } from '@earshot/core/config/http-config';
import { MIN_API_KEY_LENGTH } from '@earshot/core/config/http-config';
import { assertWebhookSecret, generateWebhookSecret } from '@earshot/core/webhooks/sign';

export const DEV_TENANT = 'dev';
export const DEV_API_KEY_FILE = 'dev-api-key';
export const DEV_WEBHOOK_SECRET_FILE = 'dev-webhook-secret';

async function readOrCreate(path: string, isValid: (value: string) => boolean, generate: () => string): Promise<{ value: string; created: boolean }> {
  const existing = (await readFile(path, 'utf8').catch(() => '')).trim();
  if (isValid(existing)) return { value: existing, created: false };
  const value = generate();
  await mkdir(resolve(path, '..'), { recursive: true });
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  return { value, created: true };
}

export async function devApiKey(dataDir: string): Promise<ApiKey & { file: string; created: boolean }> {
  const file = resolve(join(dataDir, DEV_API_KEY_FILE));
  const { value, created } = await readOrCreate(
    file,
    (v) => v.length >= MIN_API_KEY_LENGTH && /^[A-Za-z0-9_-]+$/.test(v),
    () => `dev_${randomBytes(24).toString('base64url')}`,
  );
  return { key: value, tenant: DEV_TENANT, file, created };
}

export async function devWebhookSecret(dataDir: string): Promise<{ secret: string; file: string; created: boolean }> {
  const file = resolve(join(dataDir, DEV_WEBHOOK_SECRET_FILE));
  const isValid = (v: string): boolean => {
    try {
      assertWebhookSecret(v);
      return true;
    } catch {
      return false;
    }
  };
  const { value, created } = await readOrCreate(file, isValid, () => generateWebhookSecret());
  return { secret: value, file, created };
}
