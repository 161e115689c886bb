/**
 * A real S3 server for integration tests. `ensureS3Server()` uses the server named by
 * EARSHOT_TEST_S3_ENDPOINT (+ _ACCESS_KEY, _SECRET_KEY, _REGION) when set, e.g. a MinIO in CI;
 * otherwise it starts the local radosgw with scripts/s3-server.sh (about 3 s, once: later runs
 * reuse it while it is up). The server is left running for the next test file; stop it with
 * `scripts/s3-server.sh stop` (or `stopS3Server()` from a global teardown).
 * `makeTestBucket()` gives each test file its own bucket and removes it again.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { processEnv } from '@earshot/core/config/env';
import { S3BlobStore } from '@earshot/core/storage/s3-blob-store';
import { REPO_ROOT } from './paths.js';

const run = promisify(execFile);
const SCRIPT = join(REPO_ROOT, 'scripts/s3-server.sh');
/** Defaults of scripts/s3-server.sh. */
const LOCAL = { port: 7480, accessKeyId: 'earshot-test', secretAccessKey: 'earshot-test-secret' };

export interface S3TestServer {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

let serverPromise: Promise<S3TestServer> | undefined;

/** The S3 server tests should use; starts the local radosgw if needed (once per process). */
export function ensureS3Server(): Promise<S3TestServer> {
  serverPromise ??= findOrStartServer();
  return serverPromise;
}

async function findOrStartServer(): Promise<S3TestServer> {
  const env = processEnv();
  const region = env.EARSHOT_TEST_S3_REGION || 'us-east-1';
  const endpoint = env.EARSHOT_TEST_S3_ENDPOINT;
  if (endpoint) {
    const accessKeyId = env.EARSHOT_TEST_S3_ACCESS_KEY;
    const secretAccessKey = env.EARSHOT_TEST_S3_SECRET_KEY;
    if (!accessKeyId || !secretAccessKey) {
      throw new Error('EARSHOT_TEST_S3_ENDPOINT is set: set EARSHOT_TEST_S3_ACCESS_KEY and EARSHOT_TEST_S3_SECRET_KEY too');
    }
    return { endpoint, accessKeyId, secretAccessKey, region };
  }
  const local = { endpoint: `http://127.0.0.1:${LOCAL.port}`, accessKeyId: LOCAL.accessKeyId, secretAccessKey: LOCAL.secretAccessKey, region };
  if (!(await s3Answers(local.endpoint))) {
    // The script is idempotent and locked, so parallel callers cannot start two servers.
    try {
      await run('bash', [SCRIPT, 'start'], { timeout: 120_000 });
    } catch (err) {
      const stderr = (err as { stderr?: string }).stderr ?? '';
      throw new Error(`could not start the test S3 server (scripts/s3-server.sh start):\n${stderr}`, { cause: err });
    }
  }
  return local;
}

/** Whether an S3 server answers at `endpoint` (200 to an anonymous list-buckets) within `timeoutMs`. */
export async function s3Answers(endpoint: string, timeoutMs = 2000): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.body?.cancel();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Stops the local radosgw (a no-op when none runs). */
export async function stopS3Server(): Promise<void> {
  await run('bash', [SCRIPT, 'stop'], { timeout: 60_000 });
  serverPromise = undefined;
}

export interface TestBucket extends S3TestServer {
  bucket: string;
  /** A raw SDK client for assertions the BlobStore API cannot express. */
  client: S3Client;
  /** Empties the bucket (objects and unfinished multipart uploads) and deletes it. */
  cleanup(): Promise<void>;
}

/** Creates a uniquely named bucket (`earshot-test-<hex>`) on the test server. */
export async function makeTestBucket(): Promise<TestBucket> {
  const server = await ensureS3Server();
  const bucket = `earshot-test-${randomBytes(6).toString('hex')}`;
  const creator = new S3BlobStore({ bucket, ...server, forcePathStyle: true });
  try {
    await creator.ensureBucket();
  } finally {
    creator.destroy();
  }
  const client = new S3Client({
    endpoint: server.endpoint,
    region: server.region,
    forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    ...server,
    bucket,
    client,
    async cleanup() {
      try {
        await emptyBucket(client, bucket);
        await client.send(new DeleteBucketCommand({ Bucket: bucket }));
      } finally {
        client.destroy();
      }
    },
  };
}

async function emptyBucket(client: S3Client, bucket: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, MaxKeys: 1000 }));
    const objects = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (objects.length === 0) break;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
  for (const u of uploads.Uploads ?? []) {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: u.Key, UploadId: u.UploadId }));
  }
}
