import type { Worker } from 'node:worker_threads';
import { AppError } from '../errors/app-error.js';
import { spawnModuleThread, waitForThreadReady } from '../runtime/spawn-module-thread.js';
import { parseSenseVoiceMetadata, type SenseVoiceMetadata } from './model-metadata.js';
import type { BatchItem, DecodeOptions, InferenceRunner, ItemDecode, RuntimeOptions } from './inference-runner.js';
import { fromSerialized, type ThreadInit, type ThreadRequest, type ThreadResponse } from './thread-protocol.js';

/**
 * InferenceRunner whose model lives in a worker thread. Batches are sent with
 * their feature buffers transferred (no copy); only token ids come back.
 * If the thread dies, every pending batch fails with INFERENCE_FAILED and the
 * runner refuses new work (the owner decides whether to restart the process).
 */
export class ThreadedRunner implements InferenceRunner {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (d: ItemDecode[]) => void; reject: (e: AppError) => void }>();
  private dead: AppError | null = null;

  private constructor(
    private readonly worker: Worker,
    readonly metadata: SenseVoiceMetadata,
    readonly executionProvider: string,
    readonly queryTagIds: readonly number[],
  ) {
    worker.on('message', (msg: ThreadResponse) => {
      if (msg.type !== 'result' && msg.type !== 'error') return;
      const waiter = this.pending.get(msg.id);
      if (!waiter) return;
      this.pending.delete(msg.id);
      if (msg.type === 'result') waiter.resolve(msg.decodes);
      else waiter.reject(fromSerialized(msg.error));
    });
    const die = (why: string, cause?: unknown): void => {
      this.dead ??= new AppError('INFERENCE_FAILED', `inference thread ${why}`, { cause });
      for (const waiter of this.pending.values()) waiter.reject(this.dead);
      this.pending.clear();
    };
    worker.on('error', (err) => die(`crashed: ${err.message}`, err));
    worker.on('exit', (code) => die(`exited with code ${code}`));
  }

  static async start(modelPath: string, runtime: RuntimeOptions, decode: DecodeOptions = {}): Promise<ThreadedRunner> {
    const init: ThreadInit = { modelPath, runtime, decode: { ...decode, queryTagIds: [...(decode.queryTagIds ?? [])] } };
    const worker = spawnModuleThread(new URL('./inference-thread.js', import.meta.url), init);
    const ready = await waitForThreadReady<ThreadResponse>(worker, 'inference thread', 'MODEL_INVALID');
    return new ThreadedRunner(
      worker,
      parseSenseVoiceMetadata(ready.metadataRaw, modelPath),
      ready.executionProvider,
      init.decode?.queryTagIds ?? [],
    );
  }

  decodeBatch(items: readonly BatchItem[]): Promise<ItemDecode[]> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    // Copy features into fresh buffers we may transfer: callers keep theirs.
    const sent = items.map((it) => ({ ...it, features: it.features.slice() }));
    const request: ThreadRequest = { type: 'decode', id, items: sent };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request, sent.map((it) => it.features.buffer as ArrayBuffer));
    });
  }

  async close(): Promise<void> {
    if (this.dead) return;
    this.dead = new AppError('INFERENCE_FAILED', 'inference runner closed');
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies ThreadRequest);
    const timer = setTimeout(() => void this.worker.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
