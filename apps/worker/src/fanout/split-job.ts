/**
 * Fan-out, first step: the worker that takes a long job splits it. It decodes the file once, runs
 * the engine's own VAD with the job's options, groups the spans into chunks (plan-chunks.ts),
 * stores each chunk's audio and then the manifest (chunk-objects.ts), marks the record with its
 * chunk count, and adds the flow: a `merge` job with one `chunk` child per chunk
 * (transcription-queue.ts `chunkFlow`). Any worker then takes any chunk.
 *
 * A file that is short, or whose speech fits in one chunk, is transcribed here as before, from the
 * decode and VAD already done (Engine.transcribeAudio / transcribeSpans), so splitting costs it nothing.
 *
 * Re-runs are safe: object keys and BullMQ ids derive from the job id, so a splitter that died
 * before adding the flow splits again over the same keys; once the flow exists (`isSplit`) a re-run
 * does nothing. The splitter decodes the file to a temp PCM file (Engine.open) and reads one chunk
 * at a time from it, so it holds one chunk in memory, like the chunk workers.
 *
 * A per-channel job (`channels: 'separate'`) is split channel by channel: each channel is decoded
 * alone, its VAD spans are grouped into chunks of their own (a chunk is one channel's audio; the
 * manifest says which), and a silent channel gives none. The merge then interleaves the
 * channels' segments as a whole-file run does. Each channel's shares partition the file, so they
 * are divided among the spoken channels: all shares still add up to the file's duration.
 */
import type { Job } from 'bullmq';
import type { Logger } from 'pino';
import type { DecodedSource } from '@earshot/core/audio/decode';
import type { Engine, TranscribeHooks } from '@earshot/core/engine/engine';
import type { TranscribeRequestInput } from '@earshot/core/engine/transcribe-request';
import { AppError } from '@earshot/core/errors/app-error';
import type { JobRecord } from '@earshot/core/jobs/job-record';
import type { JobStore } from '@earshot/core/jobs/job-store';
import type { ChunkFlowInput } from '@earshot/core/queue/transcription-queue';
import { MAX_SEPARATE_CHANNELS, type Transcript } from '@earshot/core/results/transcript';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { round3 } from '../job-run.js';
import { deleteChunkObjects, writeChunkAudio, writeManifest, type ChunkManifest } from './chunk-objects.js';
import { planChunks, type ChunkPlan } from './plan-chunks.js';

const SAMPLE_RATE = 16_000;

/** Fan-out settings and the queue operations the splitter needs (main.ts builds them on a FlowProducer). */
export interface FanoutSettings {
  /** Files longer than this many seconds are split (EARSHOT_FANOUT_MIN_S; 0 turns fan-out off). */
  minS: number;
  /** About this many seconds of audio per chunk (EARSHOT_FANOUT_CHUNK_S). */
  chunkS: number;
  /** Adds the chunk jobs and their merge (transcription-queue.ts `enqueueChunks`). */
  addChunks(input: ChunkFlowInput): Promise<void>;
  /** True when the job's merge job exists: an earlier run already split it. */
  isSplit(jobId: string): Promise<boolean>;
}

export type SplitEngine = Pick<Engine, 'open' | 'speechSpans' | 'transcribeAudio' | 'transcribeSpans' | 'transcribeFile'>;

export interface SplitInput {
  engine: SplitEngine;
  store: BlobStore;
  fanout: FanoutSettings;
  record: JobRecord;
  /** The job's audio file (the caller deletes it afterwards). */
  path: string;
  request: TranscribeRequestInput;
  hooks: TranscribeHooks;
  log: Logger;
}

/** A transcript (no split), or a split whose chunks are stored and await `commitSplit`. */
export type SplitOutcome = { kind: 'transcript'; transcript: Transcript } | { kind: 'split'; shares: number[]; durationS: number };

/** Decodes, and transcribes the file here or stores its chunks; see the module comment. */
export async function transcribeOrSplit(input: SplitInput): Promise<SplitOutcome> {
  const { engine, hooks } = input;
  const startedAtMs = Date.now();
  const started = performance.now();
  if (input.request.channels === 'separate') return splitChannels(input, startedAtMs);
  hooks.onProgress?.({ phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 });
  const audio = await engine.open(input.path, hooks.signal);
  try {
    return await splitDecoded(input, audio, { startedAtMs, started, decodeMs: performance.now() - started });
  } finally {
    await audio.samples.close();
  }
}

async function splitDecoded(
  input: SplitInput,
  audio: DecodedSource,
  { startedAtMs, started, decodeMs }: { startedAtMs: number; started: number; decodeMs: number },
): Promise<SplitOutcome> {
  const { engine, fanout, record, request, hooks, log } = input;
  if (audio.durationS <= fanout.minS) {
    return { kind: 'transcript', transcript: await engine.transcribeAudio(audio, request, hooks, { decodeMs, started }) };
  }

  hooks.onProgress?.({ phase: 'vad', fraction: 0.05, segmentsDone: 0, segmentsTotal: 0, audioS: audio.durationS });
  const vadStarted = performance.now();
  const spans = await engine.speechSpans(audio, request, hooks.signal);
  const vadMs = performance.now() - vadStarted; // with VAD off: scoring the fixed chunks
  checkAbort(hooks.signal);
  const plan = planChunks(spans, audio.durationS, fanout.chunkS);
  if (plan.length < 2) {
    const clock = { decodeMs, vadMs, started };
    return { kind: 'transcript', transcript: await engine.transcribeSpans(audio, spans, request, hooks, { clock }) };
  }

  const chunks = await storeChunks(input, audio, plan, 0, null);
  const manifest: ChunkManifest = {
    startedAtMs,
    audio: { durationS: audio.durationS, ...audio.source },
    decodeMs: round1(decodeMs),
    vadMs: round1(vadMs),
    warnings: audio.warnings ?? [],
    chunks: chunks.map((c) => ({ ...c, shareS: round3(c.shareS) })),
  };
  await writeManifest(input.store, record.tenant, record.id, manifest);
  log.info({ durationS: audio.durationS, spans: spans.length, chunks: plan.length, chunkS: fanout.chunkS }, 'job split into chunks');
  return { kind: 'split', shares: manifest.chunks.map((c) => c.shareS), durationS: audio.durationS };
}

/**
 * The per-channel split (see the module comment). A file that is short, whose channels are all
 * silent or that gives fewer than two chunks is transcribed here by `transcribeFile` (which owns
 * the per-channel rules: silent channels, AUDIO_SILENT, too many channels); it decodes again,
 * which costs little next to the model.
 */
async function splitChannels(input: SplitInput, startedAtMs: number): Promise<SplitOutcome> {
  const { engine, fanout, record, request, hooks, log } = input;
  const whole = async (): Promise<SplitOutcome> => ({ kind: 'transcript', transcript: await engine.transcribeFile(input.path, request, hooks) });
  hooks.onProgress?.({ phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 });
  let decodeMs = 0;
  let vadMs = 0;
  const open = async (channel: number): Promise<DecodedSource> => {
    const t = performance.now();
    const audio = await engine.open(input.path, hooks.signal, channel);
    decodeMs += performance.now() - t;
    return audio;
  };
  const first = await open(0);
  const count = first.source.channels;
  if (first.durationS <= fanout.minS || count > MAX_SEPARATE_CHANNELS) {
    await first.samples.close();
    return whole();
  }
  hooks.onProgress?.({ phase: 'vad', fraction: 0.05, segmentsDone: 0, segmentsTotal: 0, audioS: first.durationS });
  const { tenant, id: jobId } = record;
  const channels: { channel: number; silent: boolean }[] = [];
  const chunks: ChunkManifest['chunks'] = [];
  for (let channel = 0; channel < count; channel++) {
    checkAbort(hooks.signal);
    const audio = channel === 0 ? first : await open(channel);
    try {
      channels.push({ channel, silent: audio.silent === true });
      if (audio.silent === true) continue;
      const t = performance.now();
      const spans = await engine.speechSpans(audio, request, hooks.signal);
      vadMs += performance.now() - t; // with VAD off: scoring the fixed chunks
      chunks.push(...(await storeChunks(input, audio, planChunks(spans, audio.durationS, fanout.chunkS), chunks.length, channel)));
    } finally {
      await audio.samples.close();
    }
  }
  if (chunks.length < 2) {
    await deleteChunkObjects(input.store, tenant, jobId);
    return whole();
  }
  // Each spoken channel's shares partition the file; divided among those channels they add up to it once.
  const spoken = channels.filter((c) => !c.silent).length;
  const manifest: ChunkManifest = {
    startedAtMs,
    audio: { durationS: first.durationS, ...first.source },
    decodeMs: round1(decodeMs),
    vadMs: round1(vadMs),
    warnings: first.warnings ?? [],
    channels,
    chunks: chunks.map((c) => ({ ...c, shareS: round3(c.shareS / spoken) })),
  };
  await writeManifest(input.store, tenant, jobId, manifest);
  log.info({ durationS: first.durationS, channels: count, chunks: chunks.length, chunkS: fanout.chunkS }, 'per-channel job split into chunks');
  return { kind: 'split', shares: manifest.chunks.map((c) => c.shareS), durationS: first.durationS };
}

/**
 * Stores the audio of each chunk of `plan` (numbered from `firstIndex`; one `channel`'s audio, or
 * the mix when null) and returns their manifest entries, with each chunk's share of the file
 * unrounded (the caller rounds it, after dividing a per-channel job's shares).
 */
async function storeChunks(
  input: SplitInput,
  audio: DecodedSource,
  plan: readonly ChunkPlan[],
  firstIndex: number,
  channel: number | null,
): Promise<ChunkManifest['chunks']> {
  const { tenant, id: jobId } = input.record;
  const entries: ChunkManifest['chunks'] = [];
  for (const chunk of plan) {
    checkAbort(input.hooks.signal);
    const index = firstIndex + entries.length;
    const from = Math.round(chunk.offsetS * SAMPLE_RATE);
    const to = Math.min(audio.samples.length, Math.round(chunk.endS * SAMPLE_RATE));
    await writeChunkAudio(input.store, tenant, jobId, index, await audio.samples.read(from, to));
    entries.push({
      index,
      ...(channel !== null && { channel }),
      offsetS: chunk.offsetS,
      samples: to - from,
      shareS: chunk.shareEndS - chunk.shareStartS,
      spans: chunk.spans,
    });
  }
  return entries;
}

export interface CommitSplitInput {
  jobStore: JobStore;
  store: BlobStore;
  fanout: FanoutSettings;
  record: JobRecord;
  /** The `transcribe` job: its priority, attempts and backoff go to the chunks and the merge. */
  job: Pick<Job, 'opts'>;
  shares: number[];
}

/**
 * Marks the record split (`chunks: { total, done: 0 }`) and adds the flow. Returns false when the
 * record left `processing` meanwhile (canceled): the chunk objects are deleted and nothing is added.
 */
export async function commitSplit(input: CommitSplitInput): Promise<boolean> {
  const { record, shares } = input;
  const updated = await input.jobStore.update(
    record.id,
    (r) => ({ chunks: { total: shares.length, done: 0 }, phase: 'inference', progress: Math.max(r.progress, 0.05) }),
    ['processing'],
  );
  if (!updated) {
    await deleteChunkObjects(input.store, record.tenant, record.id);
    return false;
  }
  const { priority, attempts, backoff } = input.job.opts;
  await input.fanout.addChunks({
    jobId: record.id,
    tenant: record.tenant,
    chunkShareS: shares,
    ...(priority !== undefined ? { priority } : {}),
    ...(attempts !== undefined ? { attempts } : {}),
    ...(backoff !== undefined ? { backoff } : {}),
  });
  return true;
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AppError('JOB_CANCELED', 'transcription canceled');
}

const round1 = (x: number): number => Math.round(x * 10) / 10;
