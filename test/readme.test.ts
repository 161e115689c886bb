/** Keeps the README true: its configuration table names exactly the variables the config schemas read. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AUTOSCALE_ENV } from '@earshot/core/config/autoscale-config';
import { CLIENT_ENV } from '@earshot/core/config/client-config';
import { SUPERVISOR_ENV } from '@earshot/core/config/supervisor-config';
import { ENGINE_ENV } from '@earshot/core/config/engine-config';
import { HTTP_ENV } from '@earshot/core/config/http-config';
import { SERVICE_ENV } from '@earshot/core/config/service-config';
import { WORKER_ENV } from '@earshot/core/config/worker-config';
import { REPO_ROOT } from './setup/paths.js';

describe('README', () => {
  const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
  const configVars = new Set<string>([ENGINE_ENV, SERVICE_ENV, HTTP_ENV, WORKER_ENV, AUTOSCALE_ENV, SUPERVISOR_ENV, CLIENT_ENV].flatMap((m) => Object.values(m)));
  const section = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Scaling'));

  it('documents every configuration variable', () => {
    const missing = [...configVars].filter((v) => !section.includes(`\`${v}\``));
    expect(missing).toEqual([]);
  });

  it('names no variable the configuration does not read', () => {
    const named = [...readme.matchAll(/`((?:EARSHOT|S3|REDIS)_[A-Z0-9_]+)`/g)].map((m) => m[1]!);
    const unknown = named.filter((v) => !configVars.has(v) && !v.startsWith('EARSHOT_TEST_') && v !== 'EARSHOT_PARITY_FULL_MODEL_DIR');
    expect(unknown).toEqual([]);
  });

  it('starts with the two commands', () => {
    const firstBlock = readme.slice(readme.indexOf('```bash'), readme.indexOf('```', readme.indexOf('```bash') + 7));
    expect(firstBlock).toContain('bash scripts/quickstart.sh');
    expect(firstBlock).toContain('npm test');
  });
});
