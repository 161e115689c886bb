/**
 * The deployment files stay consistent with the code:
 * - docker-compose.yml passes Debian's `docker-compose config -q` (1.29 flags unknown keys);
 * - every environment variable the compose services and the Kubernetes manifests give to an
 *   Earshot process is a name of the config schemas (packages/core/src/config/*-config.ts), and
 *   the values parse with those schemas;
 * - infra/*.yaml validate with kubernetes-models / @kubernetes-models/keda (offline JSON schemas;
 *   note they do not flag unknown fields), references between them resolve, and drain timeouts
 *   fit in the grace periods;
 * - the KEDA Prometheus query uses the metric and queue states the API exports.
 */
import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { ConfigMap, Secret } from 'kubernetes-models/v1';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { QUEUE_STATES } from '@earshot/api/middleware/metrics';
import { processEnv } from '@earshot/core/config/env';
import { ENGINE_ENV, loadEngineConfig } from '@earshot/core/config/engine-config';
import { HTTP_ENV, loadHttpConfig } from '@earshot/core/config/http-config';
import { SERVICE_ENV, loadServiceConfig } from '@earshot/core/config/service-config';
import { WORKER_ENV, loadWorkerConfig } from '@earshot/core/config/worker-config';
import { REPO_ROOT } from './setup/paths.js';

const run = promisify(execFile);
const COMPOSE_FILE = join(REPO_ROOT, 'docker-compose.yml');
const INFRA_DIR = join(REPO_ROOT, 'infra');
/** Compose services that run Earshot code (the rest are Redis, MinIO and its bucket job). */
const EARSHOT_SERVICES = ['api', 'webhooks', 'worker', 'worker-gpu'];

const KNOWN_ENV = new Set<string>([SERVICE_ENV, ENGINE_ENV, HTTP_ENV, WORKER_ENV].flatMap((m) => Object.values(m)));

/** Parses `env` with every config schema; throws the schema's message on a bad value. */
function loadAllConfigs(env: Record<string, string>): void {
  loadServiceConfig(env);
  loadEngineConfig(env);
  loadHttpConfig(env);
  loadWorkerConfig(env);
}

type ComposeService = { environment?: Record<string, string | number | boolean | null>; stop_grace_period?: string };

async function composeBinary(): Promise<boolean> {
  try {
    await run('docker-compose', ['version', '--short']);
    return true;
  } catch {
    return false;
  }
}
const hasCompose = await composeBinary();

/** The compose services with anchors merged and `${VAR:-default}` resolved (by docker-compose itself when present). */
async function composeServices(): Promise<Record<string, ComposeService>> {
  // A clean environment, so the defaults in the file are what gets checked.
  const env = { PATH: processEnv().PATH ?? '/usr/bin:/bin' };
  if (hasCompose) {
    const { stdout } = await run('docker-compose', ['-f', COMPOSE_FILE, 'config'], { env, cwd: REPO_ROOT });
    return (parse(stdout) as { services: Record<string, ComposeService> }).services;
  }
  const raw = parse(await readFile(COMPOSE_FILE, 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
  return raw.services;
}

function stringEnv(environment: ComposeService['environment']): Record<string, string> {
  return Object.fromEntries(Object.entries(environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** Go-style duration of compose (`150s`, `2m30s`) in ms. */
function durationMs(text: string): number {
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) {
    ms += Number(n) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit as 'ms' | 's' | 'm' | 'h'];
  }
  return ms;
}

describe('docker-compose.yml', () => {
  const composeCheck = `passes \`docker-compose config -q\`${hasCompose ? '' : ' [SKIPPED: the docker-compose binary is not installed]'}`;
  it.skipIf(!hasCompose)(composeCheck, async () => {
    const result = await run('docker-compose', ['-f', COMPOSE_FILE, 'config', '-q'], { cwd: REPO_ROOT });
    expect(result.stderr.trim()).toBe('');
  });

  it('gives Earshot services only variables of the config schemas, with values they accept', async () => {
    const services = await composeServices();
    for (const name of EARSHOT_SERVICES) {
      const service = services[name];
      expect(service, `service ${name}`).toBeDefined();
      const env = stringEnv(service?.environment);
      const unknown = Object.keys(env).filter((k) => !KNOWN_ENV.has(k));
      expect(unknown, `unknown variables in service ${name}`).toEqual([]);
      expect(() => loadAllConfigs(env), `service ${name}`).not.toThrow();
    }
    expect(stringEnv(services['worker-gpu']?.environment).EARSHOT_PROVIDER).toBe('cuda');
    expect(stringEnv(services.worker?.environment).EARSHOT_MODEL_DIR).toBe('/models/sensevoice');
  });

  it('lets workers drain before they are killed', async () => {
    const services = await composeServices();
    for (const name of ['worker', 'worker-gpu']) {
      const service = services[name];
      const drainMs = loadWorkerConfig(stringEnv(service?.environment)).drainTimeoutMs;
      expect(durationMs(service?.stop_grace_period ?? '10s'), name).toBeGreaterThan(drainMs);
    }
  });
});

interface Manifest {
  file: string;
  object: { apiVersion: string; kind: string; metadata?: { name?: string } } & Record<string, unknown>;
}

async function infraManifests(): Promise<Manifest[]> {
  const files = (await readdir(INFRA_DIR)).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  const manifests: Manifest[] = [];
  for (const file of files) {
    for (const doc of parseAllDocuments(await readFile(join(INFRA_DIR, file), 'utf8'))) {
      if (doc.errors.length) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const object = doc.toJS() as Manifest['object'] | null;
      if (object) manifests.push({ file, object });
    }
  }
  return manifests;
}

type Container = {
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
};
type PodDeployment = { spec: { template: { spec: { containers: Container[]; terminationGracePeriodSeconds?: number } } } };

describe('infra/ Kubernetes manifests', () => {
  it('validate against the Kubernetes and KEDA schemas', async () => {
    const manifests = await infraManifests();
    expect(manifests.length).toBeGreaterThan(0);
    const kinds = new Set<string>();
    for (const { file, object } of manifests) {
      const key = `${object.apiVersion} ${object.kind}`;
      kinds.add(key);
      const where = `${file}: ${key} ${object.metadata?.name}`;
      switch (key) {
        case 'apps/v1 Deployment':
          expect(() => new Deployment(object as never).validate(), where).not.toThrow();
          break;
        case 'keda.sh/v1alpha1 ScaledObject':
          expect(() => new ScaledObject(object as never).validate(), where).not.toThrow();
          break;
        case 'v1 ConfigMap':
          expect(() => new ConfigMap(object as never).validate(), where).not.toThrow();
          break;
        case 'v1 Secret':
          expect(() => new Secret(object as never).validate(), where).not.toThrow();
          break;
        default:
          throw new Error(`${where}: no schema for this kind in the test; add it`);
      }
    }
    expect(kinds).toContain('apps/v1 Deployment');
    expect(kinds).toContain('keda.sh/v1alpha1 ScaledObject');
  });

  it('the validator rejects a broken manifest (so the check above means something)', () => {
    const bad = { apiVersion: 'keda.sh/v1alpha1', kind: 'ScaledObject', metadata: { name: 'x' }, spec: { minReplicaCount: 'zero', triggers: [{}] } };
    expect(() => new ScaledObject(bad as never).validate()).toThrow();
  });

  it('gives workers only config-schema variables with accepted values, from ConfigMaps/Secrets defined here', async () => {
    const manifests = await infraManifests();
    const sources = new Map<string, Record<string, string>>();
    for (const { object } of manifests) {
      if (object.kind === 'ConfigMap') sources.set(`configmap/${object.metadata?.name}`, (object.data ?? {}) as Record<string, string>);
      if (object.kind === 'Secret') sources.set(`secret/${object.metadata?.name}`, (object.stringData ?? {}) as Record<string, string>);
    }
    for (const [name, data] of sources) {
      expect(Object.keys(data).filter((k) => !KNOWN_ENV.has(k)), `unknown keys in ${name}`).toEqual([]);
    }
    const deployments = manifests.filter((m) => m.object.kind === 'Deployment');
    expect(deployments.map((d) => d.object.metadata?.name).sort()).toEqual(['earshot-webhooks', 'earshot-worker', 'earshot-worker-gpu']);
    for (const { file, object } of deployments) {
      const pod = (object as unknown as PodDeployment).spec.template.spec;
      for (const container of pod.containers) {
        const env: Record<string, string> = {};
        for (const from of container.envFrom ?? []) {
          const ref = from.configMapRef ? `configmap/${from.configMapRef.name}` : `secret/${from.secretRef?.name}`;
          expect(sources.has(ref), `${file}: envFrom ${ref} is defined in infra/`).toBe(true);
          Object.assign(env, sources.get(ref));
        }
        for (const { name, value } of container.env ?? []) {
          expect(KNOWN_ENV.has(name), `${file}: env ${name} is a config variable`).toBe(true);
          env[name] = value ?? '';
        }
        expect(() => loadAllConfigs(env), file).not.toThrow();
        // Workers drain their jobs; the webhook process waits for its attempts in flight.
        const isWorker = object.metadata?.name?.startsWith('earshot-worker') ?? false;
        const drainMs = isWorker ? loadWorkerConfig(env).drainTimeoutMs : loadHttpConfig(env).shutdownTimeoutMs;
        expect((pod.terminationGracePeriodSeconds ?? 30) * 1000, `${file}: grace period > drain timeout`).toBeGreaterThan(drainMs);
      }
    }
  });

  it('scales existing Deployments on the metric and states the API exports', async () => {
    const manifests = await infraManifests();
    const raw = new Map(await Promise.all([...new Set(manifests.map((m) => m.file))].map(async (f) => [f, await readFile(join(INFRA_DIR, f), 'utf8')] as const)));
    const deployments = new Set(manifests.filter((m) => m.object.kind === 'Deployment').map((m) => m.object.metadata?.name));
    const scaled = manifests.filter((m) => m.object.kind === 'ScaledObject');
    expect(scaled.length).toBeGreaterThanOrEqual(2);
    const triggerTypes = new Set<string>();
    for (const { file, object } of scaled) {
      const spec = object.spec as {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        triggers: { type: string; metricType?: string; metadata: Record<string, string> }[];
      };
      expect(deployments.has(spec.scaleTargetRef.name), `${file}: target ${spec.scaleTargetRef.name}`).toBe(true);
      expect(spec.minReplicaCount).toBe(0);
      for (const trigger of spec.triggers) {
        triggerTypes.add(trigger.type);
        if (trigger.type === 'prometheus') {
          // Work, not job count: the policy's answer, copied one to one into replicas.
          expect(trigger.metadata.query).toBe('max(earshot_desired_workers{queue="transcription"})');
          expect([trigger.metricType, trigger.metadata.threshold]).toEqual(['AverageValue', '1']);
          // The documented job-count fallback names states the API exports.
          const fallback = /earshot_queue_jobs\{queue="transcription",state=~"([^"]+)"\}/.exec(raw.get(file) ?? '');
          expect(fallback, `${file}: documents the job-count fallback`).not.toBeNull();
          for (const state of fallback?.[1]?.split('|') ?? []) expect(QUEUE_STATES as readonly string[]).toContain(state);
        }
        if (trigger.type === 'redis') expect(trigger.metadata.listName).toBe('bull:transcription:wait');
      }
    }
    expect([...triggerTypes].sort()).toEqual(['prometheus', 'redis']);
  });
});
