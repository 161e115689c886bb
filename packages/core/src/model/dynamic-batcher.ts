import { AppError, toAppError } from '../errors/app-error.js';
import type { BatchItem, InferenceRunner, ItemDecode } from './inference-runner.js';

export interface BatcherOptions {
  /**
   * Duration budget of one batch in seconds of padded audio: longest item × item count
   * stays within it (FunASR's `batch_size_s`). An item longer than the budget runs alone.
   * @defaultValue 60
   */
  batchSizeS: number;
  /** Upper bound on items per batch. @defaultValue 32 */
  maxBatchItems: number;
  /**
   * Largest share of a batch's padded frames that may be padding: a segment joins a batch only
   * if the batch stays within it (the oldest segment always runs). Padding is computed and
   * thrown away: on a CPU a 30 s chunk batched with a 5 s remainder costs nearly two 30 s
   * chunks. 1 = no limit (GPUs, where a batch costs about as much as one item).
   * @defaultValue 0.2
   */
  maxPaddingShare?: number;
  /**
   * How long the oldest waiting item may wait for company before its batch runs
   * anyway (Triton's max_queue_delay). 0 still collects everything submitted in
   * the same tick. @defaultValue 0
   */
  maxDelayMs: number;
}

export interface BatchReport {
  items: number;
  /** Sum of valid LFR frames. */
  frames: number;
  /** Frames after padding (longest × items). */
  paddedFrames: number;
  durationMs: number;
  ok: boolean;
}

/** What the engine needs of a batcher (a fake in tests, `DynamicBatcher` in production). */
export interface SegmentBatcher {
  /**
   * Decodes one segment in some batch. Aborting `signal` while the segment still waits takes it
   * out of the queue and rejects with JOB_CANCELED; once its batch runs, the result arrives as usual.
   */
  decode(item: BatchItem, options?: { signal?: AbortSignal }): Promise<ItemDecode>;
  /** Segments waiting for a batch. */
  readonly queued: number;
}

interface Pending {
  item: BatchItem;
  enqueuedAt: number;
  resolve: (d: ItemDecode) => void;
  reject: (e: AppError) => void;
}

/**
 * One queue of segments in front of one model. Segments from any number of
 * files or jobs share batches; batches are formed under a duration budget from
 * the oldest waiting segment plus the segments closest to it in length (less
 * padding), and run one at a time. When a batch fails, its items are retried
 * one by one so that a bad segment fails only its own job.
 *
 * No starvation: every batch contains the oldest waiting segment, so a segment
 * that keeps losing to closer-length company is dispatched at the latest in the
 * (k+1)-th batch formed after it was queued, k being the segments queued before it.
 */
export class DynamicBatcher implements SegmentBatcher {
  private readonly pending: Pending[] = [];
  private running = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly budgetFrames: number;

  constructor(
    private readonly runner: InferenceRunner,
    private readonly options: BatcherOptions,
    private readonly onBatch: (report: BatchReport) => void = () => {},
  ) {
    const frameS = (runner.metadata.lfrWindowShift * 10) / 1000;
    this.budgetFrames = Math.max(1, Math.floor(options.batchSizeS / frameS));
  }

  /** Segments waiting for a batch. */
  get queued(): number {
    return this.pending.length;
  }

  decode(item: BatchItem, options: { signal?: AbortSignal } = {}): Promise<ItemDecode> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(canceled());
    return new Promise((resolve, reject) => {
      if (!signal) {
        this.pending.push({ item, enqueuedAt: Date.now(), resolve, reject });
        this.schedule();
        return;
      }
      const onAbort = (): void => this.cancel(entry);
      const settled = (): void => signal.removeEventListener('abort', onAbort);
      const entry: Pending = {
        item,
        enqueuedAt: Date.now(),
        resolve: (d) => (settled(), resolve(d)),
        reject: (e) => (settled(), reject(e)),
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.pending.push(entry);
      this.schedule();
    });
  }

  /** Takes a still-waiting segment out of the queue (a segment already in a batch runs to the end). */
  private cancel(entry: Pending): void {
    const at = this.pending.indexOf(entry);
    if (at < 0) return;
    this.pending.splice(at, 1);
    entry.reject(canceled());
    // The timer may have been set for the canceled segment's deadline: re-arm it for the new oldest.
    if (this.timer && !this.running) {
      clearTimeout(this.timer);
      this.timer = null;
      this.schedule();
    }
  }

  private schedule(): void {
    if (this.running || this.pending.length === 0) return;
    if (this.timer) {
      if (!this.isFull()) return;
      clearTimeout(this.timer); // a full batch need not wait out the delay
      this.timer = null;
    }
    const oldest = this.pending[0]!;
    const wait = this.isFull() ? 0 : Math.max(0, oldest.enqueuedAt + this.options.maxDelayMs - Date.now());
    // Even with no delay, defer to the next macrotask so that segments submitted
    // in the same tick (all segments of one file) can share the batch.
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runNext();
    }, wait);
  }

  private isFull(): boolean {
    if (this.pending.length >= this.options.maxBatchItems) return true;
    const maxFrames = Math.max(...this.pending.map((p) => p.item.frames));
    return maxFrames * this.pending.length >= this.budgetFrames;
  }

  private takeBatch(): Pending[] {
    const anchor = this.pending[0]!;
    const byCloseness = [...this.pending].sort(
      (a, b) => Math.abs(a.item.frames - anchor.item.frames) - Math.abs(b.item.frames - anchor.item.frames),
    );
    const batch: Pending[] = [];
    const maxPadding = this.options.maxPaddingShare ?? DEFAULT_MAX_PADDING_SHARE;
    let maxFrames = 0;
    let validFrames = 0;
    for (const p of byCloseness) {
      const nextMax = Math.max(maxFrames, p.item.frames, 1);
      const padded = nextMax * (batch.length + 1);
      if (batch.length > 0) {
        if (padded > this.budgetFrames || batch.length >= this.options.maxBatchItems) continue;
        if ((padded - validFrames - p.item.frames) / padded > maxPadding) continue;
      }
      batch.push(p);
      maxFrames = nextMax;
      validFrames += p.item.frames;
    }
    const taken = new Set(batch);
    const rest = this.pending.filter((p) => !taken.has(p));
    this.pending.length = 0;
    this.pending.push(...rest);
    return batch;
  }

  private async runNext(): Promise<void> {
    if (this.running || this.pending.length === 0) return;
    this.running = true;
    try {
      const batch = this.takeBatch();
      try {
        const decodes = await this.run(batch);
        batch.forEach((p, i) => p.resolve(decodes[i]!));
      } catch (err) {
        if (batch.length === 1) {
          batch[0]!.reject(toAppError(err, 'INFERENCE_FAILED'));
        } else {
          // Isolate: one bad segment must not fail the other jobs in its batch.
          for (const p of batch) {
            try {
              const [d] = await this.run([p]);
              p.resolve(d!);
            } catch (single) {
              p.reject(toAppError(single, 'INFERENCE_FAILED'));
            }
          }
        }
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private async run(batch: Pending[]): Promise<ItemDecode[]> {
    const started = Date.now();
    const frames = batch.reduce((s, p) => s + p.item.frames, 0);
    const paddedFrames = Math.max(...batch.map((p) => p.item.frames)) * batch.length;
    try {
      const out = await this.runner.decodeBatch(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new AppError('INFERENCE_FAILED', `runner returned ${out.length} results for ${batch.length} items`);
      this.onBatch({ items: batch.length, frames, paddedFrames, durationMs: Date.now() - started, ok: true });
      return out;
    } catch (err) {
      this.onBatch({ items: batch.length, frames, paddedFrames, durationMs: Date.now() - started, ok: false });
      throw err;
    }
  }
}

/** See BatcherOptions.maxPaddingShare. */
export const DEFAULT_MAX_PADDING_SHARE = 0.2;

function canceled(): AppError {
  return new AppError('JOB_CANCELED', 'transcription canceled');
}
