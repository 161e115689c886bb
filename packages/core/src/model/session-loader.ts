/**
 * Creating the onnxruntime session of a SenseVoice model as fast as a start allows.
 *
 * Where a start's time went (generated `full` model, 2 threads, bench/cold-start.ts): onnxruntime
 * reads the whole file and copies every initializer out of the protobuf, runs the graph optimisers,
 * plans memory for the ~2,100 nodes, then pre-packs every MatMul weight into a new buffer (another
 * copy of the weights). So, on the CPU provider, the first start writes the session's optimised
 * model once (`optimizedModelFilePath`) with its initializers — pre-packed ones included — in an
 * external data file aligned for mmap, and every later start loads that copy with the optimisers
 * off: the weights are memory-mapped in place of being copied and pre-packed again.
 *
 * The optimised copy is specific to this onnxruntime version and this CPU (level `all` picks
 * kernels and weight layouts by CPU features: AVX2, AVX-512, VNNI ...), so its cache key holds
 * both (`machineSignature`); a host with another CPU or a new onnxruntime makes its own.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { basename, join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { AppError } from '../errors/app-error.js';
import { allocateModelBuffer, appendDecodeGraph } from './decode-graph.js';
import type { RuntimeOptions } from './inference-runner.js';
import { DEFAULT_MODEL_CACHE, ModelCache, type EntrySource } from './model-cache.js';
import { openModelFile } from './protobuf-wire.js';

/** Bumped whenever decode-graph.ts changes what it appends, so no cache entry of an older edit is used. */
const DECODE_GRAPH_VERSION = 1;
/** Bumped whenever the way the optimised copy is written changes. */
const OPTIMIZED_VERSION = 1;
/** The file names inside a cache entry. */
const MODEL_FILE = 'model.onnx';
const DATA_FILE = 'model.onnx.data';

export interface SessionRequest {
  modelPath: string;
  runtime: RuntimeOptions;
  /** Session options of the runtime's provider (session-options.ts). */
  sessionOptions: ort.InferenceSession.SessionOptions;
  /** Append the decode graph (decode-graph.ts); false loads the file untouched. */
  inGraph: boolean;
  queryTagIds: readonly number[];
}

/** How the session was made, for logs and tests. */
export type SessionOrigin = 'optimized-cache' | 'optimized-written' | 'edited-file' | 'edited-bytes' | 'model-file';

/**
 * The session of `request.modelPath`: from the cached optimised copy when there is one, else from
 * the edited model (cached as a file too), writing the optimised copy on the way.
 * @throws AppError MODEL_NOT_FOUND when the file cannot be read; onnxruntime's error as is when it
 *   refuses the model (the caller names it)
 */
export async function createOrtSession(request: SessionRequest): Promise<{ session: ort.InferenceSession; origin: SessionOrigin }> {
  const { modelPath, runtime, sessionOptions } = request;
  if (!request.inGraph) return { session: await ort.InferenceSession.create(modelPath, sessionOptions), origin: 'model-file' };
  const source = await sourceOf(modelPath);
  const cache = runtime.modelCache === null ? null : new ModelCache(runtime.modelCache ?? DEFAULT_MODEL_CACHE);
  const editName = `${basename(modelPath, '.onnx')}.${hashKey(`${DECODE_GRAPH_VERSION}|${source.path}|${source.size}|${source.mtimeMs}|${request.queryTagIds.join(',')}`)}`;
  const optimize = cache !== null && runtime.provider === 'cpu' && runtime.optimizedModelCache !== false;
  const optName = `${editName}.opt-${hashKey(`${OPTIMIZED_VERSION}|${machineSignature()}`)}`;
  const evictLater = (): void => {
    if (cache) void cache.evict([editName, optName]).catch(() => undefined);
  };

  if (optimize) {
    const dir = await cache.find(optName);
    if (dir) {
      try {
        const session = await ort.InferenceSession.create(join(dir, MODEL_FILE), { ...sessionOptions, graphOptimizationLevel: 'disabled' });
        evictLater();
        return { session, origin: 'optimized-cache' };
      } catch {
        // Evicted between find and open, or damaged: dropped and made again from the edited model.
        await cache.discard(optName);
      }
    }
  }
  const edited = await editedModel(modelPath, source, cache, editName, request.queryTagIds);
  if (typeof edited !== 'string') {
    return { session: await ort.InferenceSession.create(edited, sessionOptions), origin: 'edited-bytes' };
  }
  if (optimize) {
    let made: ort.InferenceSession | null = null;
    try {
      await cache.publish(optName, source, async (tmp) => {
        made = await ort.InferenceSession.create(edited, { ...sessionOptions, ...optimizedWriteOptions(tmp, sessionOptions) });
      });
    } catch {
      // The copy could not be written (disk full, ...): with a session, use it; without one, load
      // the edited model plainly below (which reports onnxruntime's error if the model is bad).
    }
    if (made) {
      evictLater();
      return { session: made, origin: 'optimized-written' };
    }
  }
  const session = await ort.InferenceSession.create(edited, sessionOptions);
  evictLater();
  return { session, origin: 'edited-file' };
}

/** Options that make onnxruntime write the optimised model, weights external and mmap-aligned. */
function optimizedWriteOptions(dir: string, base: ort.InferenceSession.SessionOptions): ort.InferenceSession.SessionOptions {
  const extra = (base.extra ?? {}) as Record<string, Record<string, string>>;
  return {
    optimizedModelFilePath: join(dir, MODEL_FILE),
    // Level `all` on save prints a warning that the copy is machine-specific: the key says so.
    logSeverityLevel: 3,
    extra: {
      ...extra,
      session: {
        ...extra.session,
        optimized_model_external_initializers_file_name: DATA_FILE,
        optimized_model_external_initializers_min_size_in_bytes: '1024',
        save_external_prepacked_constant_initializers: '1',
      },
    },
  };
}

async function sourceOf(modelPath: string): Promise<EntrySource> {
  try {
    const info = await stat(modelPath);
    return { path: resolve(modelPath), size: info.size, mtimeMs: info.mtimeMs };
  } catch (err) {
    throw new AppError('MODEL_NOT_FOUND', `cannot open model file ${modelPath}`, { cause: err });
  }
}

/**
 * The edited model (decode graph appended), as a file path when it can be cached, else as bytes.
 * Creating the session from a buffer costs start-up time and a second copy of the model in memory
 * (measured on the generated full model: fp32 11–12 s → 16–17 s, +0.9 GB), so the edited bytes are
 * written once to the cache (the model directory may be read-only) and every later start loads that
 * file by path as onnxruntime loads an untouched model. An unwritable cache falls back to the bytes.
 */
async function editedModel(
  modelPath: string,
  source: EntrySource,
  cache: ModelCache | null,
  name: string,
  queryTagIds: readonly number[],
): Promise<string | Uint8Array> {
  const found = cache ? await cache.find(name) : null;
  if (found) return join(found, MODEL_FILE);
  const bytes = await readWithDecodeGraph(modelPath, queryTagIds);
  if (!cache) return bytes;
  try {
    const { dir } = await cache.publish(name, source, async (tmp) => {
      await writeFile(join(tmp, MODEL_FILE), bytes);
    });
    return join(dir, MODEL_FILE);
  } catch {
    return bytes;
  }
}

/** The model file's bytes with the decode graph appended (one read, no copy of the weights). */
async function readWithDecodeGraph(modelPath: string, queryTagIds: readonly number[]): Promise<Uint8Array> {
  const handle = await openModelFile(modelPath);
  try {
    const { size } = await handle.stat();
    const buf = allocateModelBuffer(size);
    let at = 0;
    while (at < size) {
      const { bytesRead } = await handle.read(buf, at, Math.min(size - at, 1 << 30), at);
      if (bytesRead === 0) throw new AppError('MODEL_INVALID', `${modelPath} shrank while being read`);
      at += bytesRead;
    }
    return appendDecodeGraph(buf, size, queryTagIds, basename(modelPath));
  } finally {
    await handle.close();
  }
}

function hashKey(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

let signature: string | null = null;

/**
 * What an optimised copy depends on besides the model: onnxruntime's version, the architecture,
 * the CPU model and its feature flags (Linux `/proc/cpuinfo`; elsewhere the model name only).
 */
export function machineSignature(): string {
  if (signature) return signature;
  let flags = '';
  try {
    flags = /^flags\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  } catch {
    // not Linux: the model name below stands for the features
  }
  signature = [ort.env.versions.node ?? ort.env.versions.common, process.arch, cpus()[0]?.model ?? '', flags].join('|');
  return signature;
}
