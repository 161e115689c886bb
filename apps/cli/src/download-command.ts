import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { AppError } from '@earshot/core/errors/app-error';
import { readOnnxMetadata } from '@earshot/core/model/onnx-metadata';
import { parseSenseVoiceMetadata } from '@earshot/core/model/model-metadata';

/**
 * The official sherpa-onnx export of SenseVoiceSmall (2024-07-17 release).
 * No checksum for the archive is published next to it and none could be
 * obtained offline, so the archive hash is checked only when --sha256 is given;
 * the extracted files are always checked against the model contract (required
 * metadata, 25,055-line vocabulary) and the int8 file against its published size.
 */
export const DEFAULT_MODEL_URL =
  'https://github.com/k2-fsa/sherpa-onnx/releases/download/asr-models/sherpa-onnx-sense-voice-zh-en-ja-ko-yue-2024-07-17.tar.bz2';
/** Published byte size of model.int8.onnx in that release (HF listing, spec §1.2). */
export const PUBLISHED_INT8_BYTES = 239_233_841;
const VOCAB_SIZE = 25_055;

export interface DownloadCliOptions {
  out: string;
  variant: 'int8' | 'fp32' | 'both';
  url?: string;
  sha256?: string;
  dryRun: boolean;
}

export interface DownloadPlan {
  url: string;
  outDir: string;
  files: string[];
  sha256: string | null;
}

/** Validates the options into a plan; throws AppError('INVALID_OPTIONS') on bad input. */
export function planDownload(opts: DownloadCliOptions): DownloadPlan {
  const url = opts.url ?? DEFAULT_MODEL_URL;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new AppError('INVALID_OPTIONS', `--url is not a URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    throw new AppError('INVALID_OPTIONS', `--url must be http(s), got ${parsed.protocol}`);
  }
  if (!/\.tar\.bz2$/.test(parsed.pathname)) {
    throw new AppError('INVALID_OPTIONS', '--url must name a .tar.bz2 release archive');
  }
  if (opts.sha256 !== undefined && !/^[0-9a-f]{64}$/i.test(opts.sha256)) {
    throw new AppError('INVALID_OPTIONS', '--sha256 must be 64 hex digits');
  }
  const files = { int8: ['model.int8.onnx'], fp32: ['model.onnx'], both: ['model.onnx', 'model.int8.onnx'] }[opts.variant];
  if (!files) throw new AppError('INVALID_OPTIONS', `--variant must be int8, fp32 or both`);
  return { url, outDir: resolve(opts.out), files: [...files, 'tokens.txt'], sha256: opts.sha256?.toLowerCase() ?? null };
}

export async function runDownload(opts: DownloadCliOptions): Promise<number> {
  const plan = planDownload(opts);
  process.stderr.write(`download ${plan.url}\n  → ${plan.outDir} (${plan.files.join(', ')})\n`);
  if (plan.sha256) process.stderr.write(`  expecting sha256 ${plan.sha256}\n`);
  if (opts.dryRun) return 0;

  const work = await mkdtemp(join(tmpdir(), 'earshot-model-'));
  try {
    const archive = join(work, 'model.tar.bz2');
    const digest = await fetchTo(plan.url, archive);
    process.stderr.write(`archive sha256 ${digest}\n`);
    if (plan.sha256 && digest !== plan.sha256) {
      throw new AppError('INVALID_OPTIONS', `archive sha256 ${digest} does not match --sha256 ${plan.sha256}`);
    }
    await promisify(execFile)('tar', ['-xjf', archive, '-C', work]);
    const dir = await findExtractedDir(work);
    await mkdir(plan.outDir, { recursive: true });
    for (const f of plan.files) await copyFile(join(dir, f), join(plan.outDir, f));
    await verifyModelDir(plan.outDir, plan.files);
    process.stderr.write(`ok: ${plan.outDir}\n`);
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

async function fetchTo(url: string, target: string): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: 'follow' });
  } catch (err) {
    throw new AppError('SOURCE_FETCH_FAILED', `cannot fetch ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (!res.ok || !res.body) throw new AppError('SOURCE_FETCH_FAILED', `GET ${url} answered ${res.status}`);
  const hash = createHash('sha256');
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  await pipeline(Readable.fromWeb(res.body as import('node:stream/web').ReadableStream), tap, createWriteStream(target));
  return hash.digest('hex');
}

async function findExtractedDir(root: string): Promise<string> {
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.isDirectory()) return join(root, entry.name);
  }
  throw new AppError('MODEL_INVALID', 'the archive held no model directory');
}

/** Checks the files against the model contract; throws MODEL_INVALID on any mismatch. */
export async function verifyModelDir(dir: string, files: string[]): Promise<void> {
  const tokens = (await readFile(join(dir, 'tokens.txt'), 'utf8')).split('\n').filter((l) => l.length > 0);
  if (tokens.length !== VOCAB_SIZE) {
    throw new AppError('MODEL_INVALID', `tokens.txt has ${tokens.length} lines, expected ${VOCAB_SIZE}`);
  }
  for (const f of files.filter((name) => name.endsWith('.onnx'))) {
    const meta = parseSenseVoiceMetadata(await readOnnxMetadata(join(dir, f)), f);
    if (meta.vocabSize !== VOCAB_SIZE) throw new AppError('MODEL_INVALID', `${f}: vocab_size ${meta.vocabSize}`);
    const { size } = await stat(join(dir, f));
    if (f === 'model.int8.onnx' && size !== PUBLISHED_INT8_BYTES) {
      process.stderr.write(`warning: ${f} is ${size} bytes; the 2024-07-17 release published ${PUBLISHED_INT8_BYTES}\n`);
    }
    process.stderr.write(`${f}: ${size} bytes, metadata ok (${meta.comment || 'no comment'})\n`);
  }
}
