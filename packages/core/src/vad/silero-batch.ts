import type * as ort from 'onnxruntime-node';
import { Tensor } from 'onnxruntime-node';
import { AppError } from '../errors/app-error.js';
import {
  defaultSileroModelPath,
  messageOf,
  openSileroSession,
  SILERO_CONTEXT_SAMPLES,
  SILERO_SAMPLE_RATE,
  SILERO_STATE_LAYERS,
  SILERO_STATE_WIDTH,
  SILERO_WINDOW_SAMPLES,
} from './silero-vad.js';

const ROW = SILERO_CONTEXT_SAMPLES + SILERO_WINDOW_SAMPLES;
const STATE_SIZE = SILERO_STATE_LAYERS * SILERO_STATE_WIDTH;

/** The probabilities of one fed block, in feeding order: one per 512-sample window of it. */
export interface BlockResult {
  streamId: number;
  /** (ceil(block length / 512),) */
  probabilities: Float32Array;
  /** The block was fed with `last`: the stream is finished and forgotten. */
  done: boolean;
}

interface Block {
  samples: Float32Array;
  /** Next window's first sample. */
  pos: number;
  probabilities: Float32Array;
  last: boolean;
}

/** One stream: its own recurrent state and context, and the blocks fed but not yet run. */
interface Stream {
  id: number;
  state: Float32Array;
  context: Float32Array;
  blocks: Block[];
}

export interface SileroBatchOptions {
  /** @defaultValue {@link defaultSileroModelPath}() */
  modelPath?: string;
  /** Most streams in one ONNX call (B). @defaultValue 64 */
  maxBatch?: number;
}

export const DEFAULT_SILERO_MAX_BATCH = 64;

/**
 * Many Silero v5 streams stepped together: each `step()` is one ONNX call with `input`
 * [B, 64 + 512] and `state` [2, B, 128], one window of every stream that has samples (at most
 * `maxBatch`, taken round-robin). Silero v5 treats the batch rows independently, so a stream's
 * probabilities are the same as its serial run's ({@link SileroVad} over the same samples).
 *
 * Streams are fed in blocks (`feed`); a block's length is a multiple of 512 except in the
 * stream's last block, whose final window is zero-padded (as in the serial run). A stream
 * starts from zero state and zero context, like a serial call, on its first `feed`; it joins the
 * next step and leaves after the step that finishes its last block (or when dropped).
 */
export class SileroBatch {
  private readonly streams = new Map<number, Stream>();
  /** Round-robin cursor: the id order is the join order (Map iteration order). */
  private rotation = 0;
  private input = new Float32Array(0);
  private state = new Float32Array(0);
  private readonly srTensor = new Tensor('int64', BigInt64Array.from([BigInt(SILERO_SAMPLE_RATE)]), []);
  /** Empty blocks fed as `last`: reported by the next step without a run. */
  private finishedWithoutRun: BlockResult[] = [];
  private closed = false;
  /** Steps run and windows computed since creation (benchmarks, tests). */
  readonly counters = { steps: 0, windows: 0, maxBatchSeen: 0 };

  private constructor(
    private readonly session: ort.InferenceSession,
    readonly maxBatch: number,
  ) {}

  /** Loads and checks the model (`VAD_MODEL_INVALID` as {@link SileroVad.create}). */
  static async create(options: SileroBatchOptions = {}): Promise<SileroBatch> {
    const maxBatch = options.maxBatch ?? DEFAULT_SILERO_MAX_BATCH;
    if (!Number.isInteger(maxBatch) || maxBatch < 1) {
      throw new AppError('INVALID_OPTIONS', `maxBatch must be a positive integer (got ${maxBatch})`);
    }
    const modelPath = options.modelPath ?? defaultSileroModelPath();
    // probe with two streams: the model must take a batch dimension
    const session = await openSileroSession(modelPath, async (s) => {
      const probe = new SileroBatch(s, 2);
      probe.feed(1, new Float32Array(SILERO_WINDOW_SAMPLES), true);
      probe.feed(2, new Float32Array(SILERO_WINDOW_SAMPLES), true);
      const results = await probe.step();
      if (results.length !== 2) throw new Error('a two-stream step did not give two results');
    });
    return new SileroBatch(session, maxBatch);
  }

  /** Streams with samples waiting: a `step()` now would run min(ready, maxBatch) rows. */
  get readyCount(): number {
    let n = 0;
    for (const s of this.streams.values()) if (isReady(s)) n++;
    return n + (this.finishedWithoutRun.length > 0 ? 1 : 0);
  }

  /** Streams fed and not finished or dropped. */
  get streamCount(): number {
    return this.streams.size;
  }

  /**
   * Appends samples to a stream (created on its first feed). `last` ends the stream: its final
   * window is zero-padded. The batch keeps the array until the block is run (the caller must not
   * change it).
   */
  feed(streamId: number, samples: Float32Array, last: boolean): void {
    if (this.closed) throw new AppError('INTERNAL', 'SileroBatch used after close()');
    if (!last && samples.length % SILERO_WINDOW_SAMPLES !== 0) {
      throw new AppError('INTERNAL', `a block that is not a stream's last must hold whole windows (got ${samples.length} samples)`);
    }
    let stream = this.streams.get(streamId);
    if (!stream) {
      stream = { id: streamId, state: new Float32Array(STATE_SIZE), context: new Float32Array(SILERO_CONTEXT_SAMPLES), blocks: [] };
      this.streams.set(streamId, stream);
    } else if (stream.blocks.at(-1)?.last) {
      throw new AppError('INTERNAL', `stream ${streamId} was fed after its last block`);
    }
    const windows = Math.ceil(samples.length / SILERO_WINDOW_SAMPLES);
    stream.blocks.push({ samples, pos: 0, probabilities: new Float32Array(windows), last });
    this.collectFinished(stream, this.finishedWithoutRun);
  }

  /** Forgets a stream and its unrun blocks (a canceled job); unknown ids are ignored. */
  drop(streamId: number): void {
    this.streams.delete(streamId);
    this.finishedWithoutRun = this.finishedWithoutRun.filter((r) => r.streamId !== streamId);
  }

  /**
   * One ONNX call over up to `maxBatch` ready streams; returns the blocks it finished (and empty
   * last blocks fed since the previous step). With nothing ready it returns [] without a run.
   * A failed run → `INFERENCE_FAILED` with `details.streamIds` (the streams of that run, which
   * are dropped; the others are untouched).
   */
  async step(): Promise<BlockResult[]> {
    const finished = this.finishedWithoutRun;
    this.finishedWithoutRun = [];
    const rows = this.pickReady();
    const b = rows.length;
    if (b === 0) return finished;
    if (this.input.length < b * ROW) {
      this.input = new Float32Array(b * ROW);
      this.state = new Float32Array(b * STATE_SIZE);
    }
    const input = this.input.subarray(0, b * ROW);
    const state = this.state.subarray(0, b * STATE_SIZE);
    rows.forEach((s, r) => {
      const block = s.blocks[0]!;
      const row = input.subarray(r * ROW, (r + 1) * ROW);
      row.set(s.context, 0);
      const chunk = block.samples.subarray(block.pos, block.pos + SILERO_WINDOW_SAMPLES);
      row.set(chunk, SILERO_CONTEXT_SAMPLES);
      if (chunk.length < SILERO_WINDOW_SAMPLES) row.fill(0, SILERO_CONTEXT_SAMPLES + chunk.length);
      // [2, B, 128]: layer l of row r at (l·B + r)·128
      for (let l = 0; l < SILERO_STATE_LAYERS; l++) {
        state.set(s.state.subarray(l * SILERO_STATE_WIDTH, (l + 1) * SILERO_STATE_WIDTH), (l * b + r) * SILERO_STATE_WIDTH);
      }
    });
    let out: ort.InferenceSession.ReturnType;
    try {
      out = await this.session.run({
        input: new Tensor('float32', input, [b, ROW]),
        state: new Tensor('float32', state, [SILERO_STATE_LAYERS, b, SILERO_STATE_WIDTH]),
        sr: this.srTensor,
      });
    } catch (err) {
      const streamIds = rows.map((s) => s.id);
      for (const id of streamIds) this.streams.delete(id);
      throw new AppError('INFERENCE_FAILED', `Silero VAD inference failed: ${messageOf(err)}`, { cause: err, details: { streamIds } });
    }
    const probs = out.output!.data as Float32Array;
    const stateN = out.stateN!.data as Float32Array;
    this.counters.steps++;
    this.counters.windows += b;
    this.counters.maxBatchSeen = Math.max(this.counters.maxBatchSeen, b);
    rows.forEach((s, r) => {
      const block = s.blocks[0]!;
      block.probabilities[block.pos / SILERO_WINDOW_SAMPLES] = probs[r]!;
      for (let l = 0; l < SILERO_STATE_LAYERS; l++) {
        s.state.set(stateN.subarray((l * b + r) * SILERO_STATE_WIDTH, (l * b + r + 1) * SILERO_STATE_WIDTH), l * SILERO_STATE_WIDTH);
      }
      // context of the next window: the last 64 samples of this one (zero padding included)
      s.context.set(input.subarray((r + 1) * ROW - SILERO_CONTEXT_SAMPLES, (r + 1) * ROW));
      block.pos += SILERO_WINDOW_SAMPLES;
      this.collectFinished(s, finished);
    });
    return finished;
  }

  /** Releases the session; later feeds fail. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.streams.clear();
    await this.session.release();
  }

  /** Up to maxBatch ready streams, starting after the last one served (round-robin). */
  private pickReady(): Stream[] {
    const ready = [...this.streams.values()].filter(isReady);
    if (ready.length <= this.maxBatch) return ready;
    const start = this.rotation % ready.length;
    this.rotation = start + this.maxBatch;
    return [...ready.slice(start), ...ready.slice(0, start)].slice(0, this.maxBatch);
  }

  /** Moves the stream's run-through blocks to `into`; a finished last block ends the stream. */
  private collectFinished(stream: Stream, into: BlockResult[]): void {
    while (stream.blocks.length > 0 && stream.blocks[0]!.pos >= stream.blocks[0]!.samples.length) {
      const block = stream.blocks.shift()!;
      into.push({ streamId: stream.id, probabilities: block.probabilities, done: block.last });
      if (block.last) this.streams.delete(stream.id);
    }
  }
}

function isReady(s: Stream): boolean {
  const block = s.blocks[0];
  return block !== undefined && block.pos < block.samples.length;
}
