/**
 * Feeding one request's speech spans to the shared batcher with bounded memory: features are
 * computed lazily, a group at a time, and a new group is computed only while few enough groups
 * wait for the model. Memory per request is therefore a few batches of features (a group is at
 * most one batch: `batchItems` segments and `batchS` seconds), whatever the file's length,
 * and the model still always has a batch ready: while one group runs, the next waits in the
 * batcher and the one after is being computed.
 *
 * A group's segments are submitted in the same tick, so the batcher sees them together (it
 * batches what is waiting when the model frees up).
 */
import type { SampleSource } from '../audio/sample-source.js';
import { AppError } from '../errors/app-error.js';
import type { Features } from '../features/compute-features.js';
import type { SegmentBatcher } from '../model/dynamic-batcher.js';
import type { BatchItem, ItemDecode } from '../model/inference-runner.js';

const SAMPLE_RATE = 16_000;

/** Samples → model input; `FeatureExtractor` computes inline, `FeaturePool` in worker threads. */
export interface FeatureComputer {
  compute(samples16k: Float32Array): Features | Promise<Features>;
}

export interface FeedLimits {
  /** Most segments in one group (the batcher's item cap). */
  batchItems: number;
  /** Most seconds of audio in one group (the batcher's budget). */
  batchS: number;
  /**
   * Groups submitted to the batcher and not yet decoded before the feed waits. 3: one running,
   * one ready for the moment it ends, one more so a slow feature group does not leave a gap.
   */
  groupsInFlight: number;
}

export interface FeedInput {
  source: SampleSource;
  /** Spans in seconds of `source`, in order. */
  spans: readonly { startS: number; endS: number }[];
  features: FeatureComputer;
  batcher: SegmentBatcher;
  /** The batch item of one segment's features (language, text normalisation, banned ids). */
  item: (features: Features) => BatchItem;
  limits: FeedLimits;
  signal?: AbortSignal;
  /** Called as each segment is decoded: its decode, its index in `spans`, the count so far. */
  onDecoded?: (decode: ItemDecode, index: number, done: number) => void;
}

export interface FeedResult {
  /** One decode per span, in the spans' order. */
  decodes: ItemDecode[];
  /** Wall time spent computing features (overlapped with inference after the first group). */
  featuresMs: number;
}

/** Groups of consecutive span indexes: at most `batchItems` spans and `batchS` seconds each (at least one span). */
export function planGroups(spans: readonly { startS: number; endS: number }[], limits: Pick<FeedLimits, 'batchItems' | 'batchS'>): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  let seconds = 0;
  spans.forEach((span, index) => {
    const s = span.endS - span.startS;
    if (group.length > 0 && (group.length >= limits.batchItems || seconds + s > limits.batchS)) {
      groups.push(group);
      group = [];
      seconds = 0;
    }
    group.push(index);
    seconds += s;
  });
  if (group.length > 0) groups.push(group);
  return groups;
}

/** Decodes every span through the batcher; see the module comment. Rejects with the first failure. */
export async function feedSegments(input: FeedInput): Promise<FeedResult> {
  const { source, spans, features, batcher, signal, limits } = input;
  const decodes: ItemDecode[] = new Array<ItemDecode>(spans.length);
  const inFlight: Promise<void>[] = [];
  let failure: unknown = null;
  let done = 0;
  let featuresMs = 0;
  const checkAbort = (): void => {
    if (signal?.aborted) throw new AppError('JOB_CANCELED', 'transcription canceled');
  };
  try {
    for (const group of planGroups(spans, limits)) {
      checkAbort();
      if (failure !== null) break;
      const started = performance.now();
      const computed = await Promise.all(
        group.map(async (index) => {
          const span = spans[index]!;
          const samples = await source.read(Math.round(span.startS * SAMPLE_RATE), Math.round(span.endS * SAMPLE_RATE));
          return features.compute(samples);
        }),
      );
      featuresMs += performance.now() - started;
      checkAbort();
      const groupDone = Promise.all(
        group.map((index, k) =>
          batcher.decode(input.item(computed[k]!), signal ? { signal } : {}).then((d) => {
            decodes[index] = d;
            input.onDecoded?.(d, index, ++done);
          }),
        ),
      ).then(
        () => undefined,
        (err: unknown) => {
          failure ??= err;
        },
      );
      inFlight.push(groupDone);
      while (inFlight.length >= limits.groupsInFlight) await inFlight.shift();
    }
  } finally {
    // Whatever happened, wait for what was submitted (its segments leave the queue on abort).
    await Promise.all(inFlight);
  }
  if (failure !== null) throw failure;
  checkAbort();
  return { decodes, featuresMs };
}
