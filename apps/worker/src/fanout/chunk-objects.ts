/**
 * The blob-store objects of a split job (keys in storage/keys.ts, all under `chunks/` of the job):
 *
 * - `manifest.json` (`ChunkManifest`): written by the splitter once every chunk's audio is stored:
 *   the audio's facts, the decode and VAD times, the decode warnings, and each chunk's offset,
 *   length and spans (relative to the chunk). Chunk jobs read their spans here; the merge reads
 *   the rest.
 * - `{n}.f32`: chunk n's 16 kHz mono samples (one channel's, for a per-channel job), float32
 *   little-endian, exactly as decoded.
 * - `{n}.result.json` (`ChunkResult`): chunk n's segments (times in the file), its timings, the
 *   model and options it ran with.
 *
 * Everything read back is checked with a schema: an object that does not fit is an INTERNAL error
 * (not retryable: reading it again gives the same bytes).
 */
import type { Logger } from 'pino';
import { z } from 'zod';
import { AUDIO_FORMATS, type AudioFormat } from '@earshot/core/audio/sniff-format';
import { AppError } from '@earshot/core/errors/app-error';
import {
  transcriptModelInfoSchema,
  transcriptOptionsSchema,
  transcriptSegmentSchema,
  transcriptTimingsSchema,
  transcriptWarningSchema,
} from '@earshot/core/results/transcript-schema';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { parseStoredRecord } from '@earshot/core/runtime/stored-record';
import { chunkAudioKey, chunkManifestKey, chunkResultKey, chunksPrefix } from '@earshot/core/storage/keys';

const SpanSchema = z.object({
  startS: z.number().nonnegative(),
  endS: z.number().nonnegative(),
  /** What the splitter's VAD saw in the span (Engine.speechSpans); absent in manifests written before it. */
  speechProbability: transcriptSegmentSchema.shape.speechProbability.optional(),
});

export const ChunkManifestSchema = z.object({
  /** Epoch ms at which the splitting run started: the merged transcript's `totalMs` runs from it. */
  startedAtMs: z.number(),
  /** The whole file, as `Transcript.audio` (plus the codec). */
  audio: z.object({
    durationS: z.number().nonnegative(),
    format: z.enum(AUDIO_FORMATS as [AudioFormat, ...AudioFormat[]]),
    sampleRate: z.number(),
    channels: z.number(),
    codec: z.string(),
  }),
  decodeMs: z.number().nonnegative(),
  vadMs: z.number().nonnegative(),
  /** Decode warnings (AUDIO_PARTIALLY_DECODED): the merged transcript carries them. */
  warnings: z.array(transcriptWarningSchema),
  /** A per-channel job's channels (in order) and which are silent; absent for a mixed-down one. */
  channels: z.array(z.object({ channel: z.number().int().nonnegative(), silent: z.boolean() })).optional(),
  chunks: z.array(
    z.object({
      index: z.number().int().nonnegative(),
      /** The channel whose audio `{n}.f32` is (per-channel jobs); absent when mixed down. */
      channel: z.number().int().nonnegative().optional(),
      /** Where the chunk's audio starts in the file (s). */
      offsetS: z.number().nonnegative(),
      /** Samples in `{n}.f32`. */
      samples: z.number().int().nonnegative(),
      /** The chunk's share of the file (s): see plan-chunks.ts. */
      shareS: z.number().nonnegative(),
      /** Spans relative to offsetS, with their speech probability. */
      spans: z.array(SpanSchema),
    }),
  ),
});
export type ChunkManifest = z.infer<typeof ChunkManifestSchema>;

export const ChunkResultSchema = z.object({
  index: z.number().int().nonnegative(),
  /**
   * Segments with times in the file; `index` is the chunk's own (the merge renumbers). A chunk
   * transcribed by a worker from before schema 1.2 (a rolling upgrade) lacks `speechProbability`
   * and `channel`: they read as null (it ran mixed down), its options as `channels: 'mix'`.
   */
  segments: z.array(
    transcriptSegmentSchema.extend({
      speechProbability: transcriptSegmentSchema.shape.speechProbability.default(null),
      channel: transcriptSegmentSchema.shape.channel.default(null),
    }),
  ),
  timings: transcriptTimingsSchema,
  model: transcriptModelInfoSchema,
  options: transcriptOptionsSchema.extend({
    channels: transcriptOptionsSchema.shape.channels.default('mix'),
    channelNames: transcriptOptionsSchema.shape.channelNames.default(null),
  }),
});
export type ChunkResult = z.infer<typeof ChunkResultSchema>;

const JSON_TYPE = 'application/json';
const F32_TYPE = 'application/octet-stream';

export async function writeManifest(store: BlobStore, tenant: string, jobId: string, manifest: ChunkManifest): Promise<void> {
  await store.put(chunkManifestKey(tenant, jobId), Buffer.from(JSON.stringify(manifest), 'utf8'), { contentType: JSON_TYPE });
}

export async function readManifest(store: BlobStore, tenant: string, jobId: string): Promise<ChunkManifest> {
  return readJson(store, chunkManifestKey(tenant, jobId), ChunkManifestSchema);
}

export async function writeChunkResult(store: BlobStore, tenant: string, jobId: string, result: ChunkResult): Promise<void> {
  await store.put(chunkResultKey(tenant, jobId, result.index), Buffer.from(JSON.stringify(result), 'utf8'), { contentType: JSON_TYPE });
}

export async function readChunkResult(store: BlobStore, tenant: string, jobId: string, index: number): Promise<ChunkResult> {
  const result = await readJson(store, chunkResultKey(tenant, jobId, index), ChunkResultSchema);
  if (result.index !== index) throw new AppError('INTERNAL', `chunk result ${index} of job ${jobId} says it is chunk ${result.index}`, { retryable: false });
  return result;
}

/** Stores samples as they are in memory (a view, no copy): float32, little-endian on every platform Node runs on here. */
export async function writeChunkAudio(store: BlobStore, tenant: string, jobId: string, index: number, samples: Float32Array): Promise<void> {
  const bytes = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  await store.put(chunkAudioKey(tenant, jobId, index), bytes, { contentType: F32_TYPE, contentLength: bytes.length });
}

/** Streams chunk audio into one Float32Array of the expected length (from the manifest). */
export async function readChunkAudio(store: BlobStore, tenant: string, jobId: string, index: number, samples: number): Promise<Float32Array> {
  const out = new Float32Array(samples);
  const bytes = new Uint8Array(out.buffer);
  let offset = 0;
  const stream = await store.getStream(chunkAudioKey(tenant, jobId, index));
  for await (const piece of stream as AsyncIterable<Uint8Array>) {
    if (offset + piece.length > bytes.length) {
      stream.destroy();
      throw new AppError('INTERNAL', `chunk audio ${index} of job ${jobId} is longer than its ${samples} samples`, { retryable: false });
    }
    bytes.set(piece, offset);
    offset += piece.length;
  }
  if (offset !== bytes.length) {
    throw new AppError('INTERNAL', `chunk audio ${index} of job ${jobId} has ${offset} bytes, expected ${bytes.length}`, { retryable: false });
  }
  return out;
}

/** How many chunk results are stored: the chunks done, counted so that a re-run chunk counts once. */
export async function countChunkResults(store: BlobStore, tenant: string, jobId: string): Promise<number> {
  let count = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list(chunksPrefix(tenant, jobId), cursor ? { cursor } : {});
    count += page.keys.filter((key) => key.endsWith('.result.json')).length;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return count;
}

/** Deletes every chunk object of the job (manifest, audio, results); safe to repeat. */
export async function deleteChunkObjects(store: BlobStore, tenant: string, jobId: string): Promise<number> {
  return store.deletePrefix(chunksPrefix(tenant, jobId));
}

/** `deleteChunkObjects` on a cleanup path: a failure is logged, never thrown (the job's outcome stands). */
export async function discardChunkObjects(store: BlobStore, tenant: string, jobId: string, log: Logger): Promise<void> {
  try {
    await deleteChunkObjects(store, tenant, jobId);
  } catch (err) {
    log.warn({ err }, 'could not delete the chunk objects');
  }
}

/** Deletes one chunk's objects (a chunk that finds its job over after it wrote them). */
export async function deleteChunk(store: BlobStore, tenant: string, jobId: string, index: number): Promise<void> {
  await Promise.all([store.delete(chunkAudioKey(tenant, jobId, index)), store.delete(chunkResultKey(tenant, jobId, index))]);
}

async function readJson<S extends z.ZodType>(store: BlobStore, key: string, schema: S): Promise<z.infer<S>> {
  return parseStoredRecord(schema, Buffer.from(await store.getBytes(key)).toString('utf8'), key);
}
