/**
 * Generates a synthetic SenseVoiceSmall model directory: model.onnx (+ model.int8.onnx, model.fp16.onnx), tokens.txt
 * and earshot-model.json. Reuses what is already there when size, seed and generator version match.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { WeightFormat } from './graph-layers.js';
import { GENERATOR_VERSION } from './generator-version.js';
import { fileMatches, MANIFEST_FILE, readManifest, writeManifest, type ManifestFile, type ModelManifest } from './model-manifest.js';
import { countParameters, MODEL_SIZES, type ModelSizeName } from './model-size.js';
import { toFloat16Graph } from './float16.js';
import { writeOnnxModel, type ModelHeader } from './model-writer.js';
import { buildSenseVoiceGraph } from './sense-voice-graph.js';
import { SYNTHETIC_COMMENT, sherpaMetadata } from './sherpa-metadata.js';
import { copyVerifiedVocab, VOCAB_SIZE } from './vocab.js';

export const MODEL_FILE = 'model.onnx';
export const INT8_MODEL_FILE = 'model.int8.onnx';
export const FP16_MODEL_FILE = 'model.fp16.onnx';
export const TOKENS_FILE = 'tokens.txt';
export const DEFAULT_SEED = 1;
/** sherpa-onnx's export uses opset 13; IR version 7 is the one that goes with it. */
const OPSET_VERSION = 13;
const IR_VERSION = 7;

export interface GenerateModelOptions {
  readonly size: ModelSizeName;
  /** uint32 seed of all weights. @defaultValue DEFAULT_SEED (1) */
  readonly seed?: number;
  /** Directory to write into (created if missing). */
  readonly outDir: string;
  /** Also write model.int8.onnx (MatMul weights QUInt8 per tensor). @defaultValue false */
  readonly int8?: boolean;
  /** Also write model.fp16.onnx (float16 weights and compute, float32 inputs and outputs; float16.ts). @defaultValue false */
  readonly fp16?: boolean;
  /** Regenerate even if the directory already holds this model. @defaultValue false */
  readonly force?: boolean;
  /** Query slots biased towards real tag tokens, for label-driven tests (tagged-slots.ts). @defaultValue false */
  readonly tagged?: boolean;
}

export interface GeneratedFile {
  /** Absolute or outDir-relative path, as outDir was given. */
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

export interface GeneratedModelInfo {
  readonly outDir: string;
  readonly size: ModelSizeName;
  readonly seed: number;
  readonly generatorVersion: string;
  /** Initializer elements of the fp32 model. */
  readonly parameterCount: number;
  readonly model: GeneratedFile;
  readonly int8Model?: GeneratedFile;
  readonly fp16Model?: GeneratedFile;
  readonly tokens: GeneratedFile;
  /** True when nothing had to be written (the manifest matched). */
  readonly reused: boolean;
  /** Wall time of this call. */
  readonly seconds: number;
}

/** Header (IR/opset, producer, sherpa-onnx metadata) of a generated model. */
export function syntheticModelHeader(size: ModelSizeName, seed: number, tagged = false): ModelHeader {
  const metadata = sherpaMetadata({ vocabSize: VOCAB_SIZE, size, seed, generatorVersion: GENERATOR_VERSION });
  return {
    irVersion: IR_VERSION,
    opsetVersion: OPSET_VERSION,
    producerName: '@earshot/modelgen',
    producerVersion: GENERATOR_VERSION,
    docString: `${SYNTHETIC_COMMENT}; size ${size}, seed ${seed}`,
    metadata: tagged ? [...metadata, ['earshot_tagged_slots', '1']] : metadata,
  };
}

async function writeModelFile(
  outDir: string,
  file: string,
  size: ModelSizeName,
  seed: number,
  weightFormat: WeightFormat | 'fp16',
  tagged: boolean,
): Promise<ManifestFile> {
  // fp16 is the fp32 graph converted (same weights, rounded), as converters make it from an export.
  const graph = buildSenseVoiceGraph({ size: MODEL_SIZES[size], seed, weightFormat: weightFormat === 'fp16' ? 'fp32' : weightFormat, taggedSlots: tagged });
  const written = await writeOnnxModel(
    join(outDir, file),
    syntheticModelHeader(size, seed, tagged),
    weightFormat === 'fp16' ? toFloat16Graph(graph) : graph,
  );
  return { file, bytes: written.bytes, sha256: written.sha256 };
}

function toGeneratedFile(outDir: string, entry: ManifestFile): GeneratedFile {
  return { path: join(outDir, entry.file), bytes: entry.bytes, sha256: entry.sha256 };
}

/** Writes (or reuses) the model directory described by `options`. */
export async function generateModel(options: GenerateModelOptions): Promise<GeneratedModelInfo> {
  const started = performance.now();
  const { size, outDir } = options;
  const seed = options.seed ?? DEFAULT_SEED;
  const tagged = options.tagged ?? false;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new Error(`seed must be an integer in [0, 2^32), got ${seed}`);
  const sizeSpec = MODEL_SIZES[size];
  if (!sizeSpec) throw new Error(`unknown model size ${String(size)}`);
  await mkdir(outDir, { recursive: true });

  const previous = options.force ? undefined : await readManifest(outDir);
  const sameModel =
    previous !== undefined &&
    previous.generatorVersion === GENERATOR_VERSION &&
    previous.size === size &&
    previous.seed === seed &&
    (previous.tagged ?? false) === tagged &&
    (await fileMatches(outDir, previous.model)) &&
    (await fileMatches(outDir, previous.tokens));
  const reuseInt8 = sameModel && (await fileMatches(outDir, previous.int8Model));
  const reuseFp16 = sameModel && (await fileMatches(outDir, previous.fp16Model));

  // A stale manifest must not survive an interrupted rewrite (a tiny model of another seed has the
  // same byte size), nor an int8 file from another size or seed sit next to the new model.
  if (!sameModel) await rm(join(outDir, MANIFEST_FILE), { force: true });
  if (!reuseInt8) await rm(join(outDir, INT8_MODEL_FILE), { force: true });
  if (!reuseFp16) await rm(join(outDir, FP16_MODEL_FILE), { force: true });
  const model = sameModel ? previous.model : await writeModelFile(outDir, MODEL_FILE, size, seed, 'fp32', tagged);
  const tokens = sameModel ? previous.tokens : { ...(await copyVerifiedVocab(join(outDir, TOKENS_FILE))), file: TOKENS_FILE };
  let int8Model = reuseInt8 ? previous.int8Model : undefined;
  if (options.int8 && !int8Model) int8Model = await writeModelFile(outDir, INT8_MODEL_FILE, size, seed, 'int8', tagged);
  let fp16Model = reuseFp16 ? previous.fp16Model : undefined;
  if (options.fp16 && !fp16Model) fp16Model = await writeModelFile(outDir, FP16_MODEL_FILE, size, seed, 'fp16', tagged);

  const manifest: ModelManifest = {
    generator: '@earshot/modelgen',
    generatorVersion: GENERATOR_VERSION,
    size,
    seed,
    ...(tagged ? { tagged } : {}),
    parameterCount: countParameters(sizeSpec),
    model: { file: model.file, bytes: model.bytes, sha256: model.sha256 },
    tokens: { file: tokens.file, bytes: tokens.bytes, sha256: tokens.sha256 },
    ...(int8Model ? { int8Model } : {}),
    ...(fp16Model ? { fp16Model } : {}),
  };
  const reused = sameModel && (!options.int8 || reuseInt8) && (!options.fp16 || reuseFp16);
  if (!reused) await writeManifest(outDir, manifest);

  return {
    outDir,
    size,
    seed,
    generatorVersion: GENERATOR_VERSION,
    parameterCount: manifest.parameterCount,
    model: toGeneratedFile(outDir, manifest.model),
    tokens: toGeneratedFile(outDir, manifest.tokens),
    ...(manifest.int8Model ? { int8Model: toGeneratedFile(outDir, manifest.int8Model) } : {}),
    ...(manifest.fp16Model ? { fp16Model: toGeneratedFile(outDir, manifest.fp16Model) } : {}),
    reused,
    seconds: (performance.now() - started) / 1000,
  };
}
