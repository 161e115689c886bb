/**
 * Features in worker threads: fbank → LFR → CMVN of each segment run off the event loop, on
 * `threads` threads at once, overlapped with inference. Each thread holds its own
 * FeatureExtractor built from the same options, so results are identical to inline computation.
 * A request goes to the thread with the fewest pending; samples and features are transferred
 * (no copy). A thread that dies fails its pending requests with INTERNAL and is replaced.
 */
import type { Worker } from 'node:worker_threads';
import { AppError, type ErrorCode } from '../errors/app-error.js';
import { spawnModuleThread } from '../runtime/spawn-module-thread.js';
import type { FeatureOptions, Features } from './compute-features.js';
import type { FeatureRequest, FeatureResponse } from './feature-thread.js';

interface Waiter {
  resolve: (f: Features) => void;
  reject: (e: AppError) => void;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Waiter>;
}

export class FeaturePool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closed = false;

  /** Starts `threads` (≥ 1) feature threads for a model's feature options. */
  constructor(
    private readonly options: FeatureOptions,
    readonly threads: number,
  ) {
    if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`a feature pool needs at least one thread, got ${threads}`);
    for (let i = 0; i < threads; i++) this.slots.push(this.startSlot());
  }

  /** 16 kHz mono samples → features, in a thread. `samples` is transferred: do not use it afterwards. */
  compute(samples16k: Float32Array): Promise<Features> {
    if (this.closed) return Promise.reject(new AppError('INTERNAL', 'the feature pool is closed'));
    let slot = this.slots[0]!;
    for (const s of this.slots) if (s.pending.size < slot.pending.size) slot = s;
    const id = this.nextId++;
    return new Promise<Features>((resolve, reject) => {
      if (slot.pending.size === 0) slot.worker.ref(); // a pending request keeps the process alive
      slot.pending.set(id, { resolve, reject });
      // A view into a larger buffer cannot be transferred alone: copy it then.
      const own = samples16k.byteOffset === 0 && samples16k.byteLength === samples16k.buffer.byteLength ? samples16k : samples16k.slice();
      slot.worker.postMessage({ id, samples: own } satisfies FeatureRequest, [own.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
    for (const s of this.slots) failAll(s, new AppError('INTERNAL', 'the feature pool was closed'));
  }

  private startSlot(): Slot {
    const worker = spawnModuleThread(new URL('./feature-thread.js', import.meta.url), this.options);
    const slot: Slot = { worker, pending: new Map() };
    worker.unref(); // an idle feature thread never keeps the process alive
    worker.on('message', (msg: FeatureResponse) => {
      const waiter = slot.pending.get(msg.id);
      if (!waiter) return;
      slot.pending.delete(msg.id);
      if (slot.pending.size === 0) slot.worker.unref();
      if ('error' in msg) waiter.reject(new AppError(msg.error.code as ErrorCode, msg.error.message));
      else waiter.resolve({ data: msg.data, frames: msg.frames });
    });
    const onDeath = (reason: string): void => {
      failAll(slot, new AppError('INTERNAL', `a feature thread died: ${reason}`));
      if (this.closed) return;
      const index = this.slots.indexOf(slot);
      if (index >= 0) this.slots[index] = this.startSlot();
    };
    worker.on('error', (err) => onDeath(err.message));
    worker.on('exit', (code) => {
      if (!this.closed) onDeath(`exit code ${code}`);
    });
    return slot;
  }
}

function failAll(slot: Slot, err: AppError): void {
  for (const waiter of slot.pending.values()) waiter.reject(err);
  slot.pending.clear();
  slot.worker.unref();
}
