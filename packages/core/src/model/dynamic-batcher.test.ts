import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { DynamicBatcher, type BatchReport, type BatcherOptions } from './dynamic-batcher.js';
import type { BatchItem, InferenceRunner, ItemDecode } from './inference-runner.js';
import type { SenseVoiceMetadata } from './model-metadata.js';

// lfrWindowShift 10 ⇒ one LFR frame is 100 ms, so a budget of `batchSizeS` is 10·batchSizeS frames.
const LFR_WINDOW_SHIFT = 10;

/** An item named by its `textNormId` (the fake runner echoes it back as the only id). */
function item(name: number, frames: number): BatchItem {
  return { features: new Float32Array(0), frames, languageId: 0, textNormId: name };
}

/**
 * A runner without ONNX: records each batch (item names, in order) and answers with the names.
 * A batch that holds a name in `failOn` throws. With `manual`, each batch waits until the test
 * calls `finish()` (a model that takes its time).
 */
function fakeRunner(opts: { failOn?: number[]; manual?: boolean } = {}) {
  const batches: number[][] = [];
  const waiting: (() => void)[] = [];
  const runner: InferenceRunner = {
    metadata: { lfrWindowShift: LFR_WINDOW_SHIFT } as SenseVoiceMetadata,
    executionProvider: 'cpu',
    async decodeBatch(items: readonly BatchItem[]): Promise<ItemDecode[]> {
      const names = items.map((i) => i.textNormId);
      batches.push(names);
      if (opts.manual) await new Promise<void>((resolve) => waiting.push(resolve));
      if (names.some((n) => opts.failOn?.includes(n))) throw new Error(`bad item in ${names.join(',')}`);
      return names.map((n) => ({ ids: [n], frames: [0] }));
    },
    close: async () => {},
  };
  /** Lets the oldest running batch finish. */
  const finish = async (): Promise<void> => {
    waiting.shift()?.();
    await vi.advanceTimersByTimeAsync(0);
  };
  return { runner, batches, finish };
}

function batcherWith(runner: InferenceRunner, options: Partial<BatcherOptions> = {}, onBatch?: (r: BatchReport) => void) {
  return new DynamicBatcher(runner, { batchSizeS: 10, maxBatchItems: 32, maxDelayMs: 0, ...options }, onBatch);
}

const names = (decodes: ItemDecode[]): number[] => decodes.map((d) => d.ids[0]!);

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DynamicBatcher timing', () => {
  it('dispatches a lone item once the max delay has passed, not before', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { maxDelayMs: 100 });
    const result = batcher.decode(item(1, 10));
    await vi.advanceTimersByTimeAsync(99);
    expect(batches).toEqual([]);
    expect(batcher.queued).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(batches).toEqual([[1]]);
    await expect(result).resolves.toEqual({ ids: [1], frames: [0] });
    expect(batcher.queued).toBe(0);
  });

  it('waits for company: items submitted within the delay share the batch', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { maxDelayMs: 100 });
    const a = batcher.decode(item(1, 10));
    await vi.advanceTimersByTimeAsync(60);
    const b = batcher.decode(item(2, 10));
    // The deadline is the oldest item's: 100 ms after the first, not after the second.
    await vi.advanceTimersByTimeAsync(40);
    expect(batches).toEqual([[1, 2]]);
    expect(names(await Promise.all([a, b]))).toEqual([1, 2]);
  });

  it('with no delay still gathers everything submitted in the same tick', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { maxDelayMs: 0 });
    const all = Promise.all([1, 2, 3].map((n) => batcher.decode(item(n, 10))));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(names(await all)).toEqual([1, 2, 3]);
  });

  it('a full batch (duration budget reached) cuts the delay short', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { batchSizeS: 10, maxDelayMs: 10_000 }); // 100 frames
    const a = batcher.decode(item(1, 50));
    await vi.advanceTimersByTimeAsync(5);
    expect(batches).toEqual([]);
    const b = batcher.decode(item(2, 50)); // 2 × 50 frames = the budget
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2]]);
    expect(names(await Promise.all([a, b]))).toEqual([1, 2]);
  });

  it('a full batch (item cap reached) cuts the delay short', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { maxBatchItems: 3, maxDelayMs: 10_000 });
    const all = Promise.all([1, 2, 3].map((n) => batcher.decode(item(n, 1))));
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1, 2, 3]]);
    await all;
  });
});

describe('DynamicBatcher batch forming', () => {
  it('never puts more than maxBatchItems items in a batch', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { maxBatchItems: 3, batchSizeS: 600 });
    const all = Promise.all([1, 2, 3, 4, 5, 6, 7].map((n) => batcher.decode(item(n, 1))));
    await vi.runAllTimersAsync(); // every batch, one after the other
    expect(names(await all)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
      [7],
    ]);
  });

  it('keeps longest × count within the duration budget', async () => {
    const reports: BatchReport[] = [];
    const { runner } = fakeRunner();
    const batcher = batcherWith(runner, { batchSizeS: 10 }, (r) => reports.push(r)); // 100 frames
    const all = Promise.all([30, 30, 30, 30, 30, 30, 30].map((frames, n) => batcher.decode(item(n, frames))));
    await vi.runAllTimersAsync(); // every batch, one after the other
    await all;
    expect(reports.map((r) => r.items)).toEqual([3, 3, 1]);
    expect(Math.max(...reports.map((r) => r.paddedFrames))).toBeLessThanOrEqual(100);
  });

  it('runs an item longer than the budget alone', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { batchSizeS: 10 }); // 100 frames
    const all = Promise.all([batcher.decode(item(1, 150)), batcher.decode(item(2, 10)), batcher.decode(item(3, 10))]);
    await vi.runAllTimersAsync(); // every batch, one after the other
    expect(names(await all)).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1], [2, 3]]);
  });

  it('keeps padding within maxPaddingShare: a 30 s chunk and its 5 s remainder run apart', async () => {
    const reports: BatchReport[] = [];
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { batchSizeS: 100 }, (r) => reports.push(r)); // 1,000 frames
    const all = Promise.all([batcher.decode(item(1, 500)), batcher.decode(item(2, 84)), batcher.decode(item(3, 450))]);
    await vi.runAllTimersAsync();
    expect(names(await all)).toEqual([1, 2, 3]);
    // 500 + 450 pad 50 of 1,000 (5 %); 84 beside them would make it 1,500 padded for 1,034.
    expect(batches).toEqual([[1, 3], [2]]);
    expect(reports.every((r) => (r.paddedFrames - r.frames) / r.paddedFrames <= 0.2)).toBe(true);

    const { runner: unlimitedRunner, batches: unlimited } = fakeRunner();
    const gpu = batcherWith(unlimitedRunner, { batchSizeS: 100, maxPaddingShare: 1 });
    await Promise.all([gpu.decode(item(1, 500)), gpu.decode(item(2, 84)), vi.runAllTimersAsync()]);
    expect(unlimited).toEqual([[1, 2]]);
  });

  it('batches the items closest in length to the oldest one together (less padding)', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { batchSizeS: 10 }); // 100 frames
    const lengths = [10, 40, 12, 38, 11];
    const all = Promise.all(lengths.map((frames, n) => batcher.decode(item(frames, frames))));
    await vi.runAllTimersAsync(); // every batch, one after the other
    expect(names(await all)).toEqual(lengths); // each caller gets its own result
    // Anchor 10: 10, 11, 12 (12 × 3 = 36 frames); 38 × 4 would exceed 100. Then 40 with 38.
    expect(batches).toEqual([
      [10, 11, 12],
      [40, 38],
    ]);
  });

  it('does not starve an item that keeps losing to closer-length company', async () => {
    // Budget 20 frames: two 10-frame items fit, the 19-frame item X only fits alone, so a
    // closest-length-first policy would always prefer the tens. Bound (see the class comment):
    // X, queued behind k = 3 items, is in one of the first k + 1 = 4 batches formed after it.
    const { runner, batches, finish } = fakeRunner({ manual: true });
    const batcher = batcherWith(runner, { batchSizeS: 2 });
    const X = 99;
    let next = 1;
    const results: Promise<ItemDecode>[] = [];
    const ten = (): void => void results.push(batcher.decode(item(next++, 10)));
    ten();
    ten();
    ten();
    const x = batcher.decode(item(X, 19));
    await vi.advanceTimersByTimeAsync(0);
    for (let round = 0; round < 4 && !batches.some((b) => b.includes(X)); round++) {
      ten(); // while each batch runs, two more tens arrive
      ten();
      await finish();
    }
    const batchOfX = batches.findIndex((b) => b.includes(X));
    expect(batchOfX).toBeGreaterThanOrEqual(0);
    expect(batchOfX).toBeLessThan(4);
    expect(batches[batchOfX]).toEqual([X]);
    // X overtook the tens queued after it.
    expect(batcher.queued).toBeGreaterThan(0);
    await finish();
    await expect(x).resolves.toEqual({ ids: [X], frames: [0] });
    while (batcher.queued > 0) await finish();
    await finish();
    expect(names(await Promise.all(results))).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
  });
});

describe('DynamicBatcher failures', () => {
  it('retries a failed batch item by item so that only the bad item fails', async () => {
    const reports: BatchReport[] = [];
    const { runner, batches } = fakeRunner({ failOn: [2] });
    const batcher = batcherWith(runner, {}, (r) => reports.push(r));
    const [a, bad, c] = [1, 2, 3].map((n) => batcher.decode(item(n, 10)));
    const badOutcome = bad!.catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    await expect(a).resolves.toEqual({ ids: [1], frames: [0] });
    await expect(c).resolves.toEqual({ ids: [3], frames: [0] });
    const err = await badOutcome;
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INFERENCE_FAILED');
    expect(batches).toEqual([[1, 2, 3], [1], [2], [3]]);
    expect(reports.map((r) => [r.items, r.ok])).toEqual([
      [3, false],
      [1, true],
      [1, false],
      [1, true],
    ]);
    // The batcher keeps serving.
    const later = batcher.decode(item(4, 10));
    await vi.advanceTimersByTimeAsync(0);
    await expect(later).resolves.toEqual({ ids: [4], frames: [0] });
  });

  it('fails a batch whose runner returns the wrong number of results', async () => {
    const runner: InferenceRunner = {
      ...fakeRunner().runner,
      decodeBatch: async () => [],
    };
    const outcome = batcherWith(runner)
      .decode(item(1, 10))
      .catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(0);
    expect((await outcome) as AppError).toMatchObject({ code: 'INFERENCE_FAILED' });
  });
});

describe('DynamicBatcher cancellation', () => {
  it("takes a canceled request's waiting items out of the queue", async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { maxDelayMs: 100 });
    const job = new AbortController();
    const canceled = [1, 2].map((n) => batcher.decode(item(n, 10), { signal: job.signal }).catch((e: unknown) => e));
    const other = batcher.decode(item(3, 10));
    expect(batcher.queued).toBe(3);
    job.abort();
    expect(batcher.queued).toBe(1);
    for (const outcome of canceled) expect(await outcome).toMatchObject({ code: 'JOB_CANCELED' });
    await vi.advanceTimersByTimeAsync(100);
    expect(batches).toEqual([[3]]);
    await expect(other).resolves.toEqual({ ids: [3], frames: [0] });
  });

  it('re-arms the delay for the new oldest item when the oldest is canceled', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner, { maxDelayMs: 100 });
    const job = new AbortController();
    const first = batcher.decode(item(1, 10), { signal: job.signal }).catch((e: unknown) => e);
    await vi.advanceTimersByTimeAsync(50);
    const second = batcher.decode(item(2, 10));
    job.abort();
    await first;
    await vi.advanceTimersByTimeAsync(50); // the canceled item's deadline
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(50); // the second item's own deadline
    expect(batches).toEqual([[2]]);
    await second;
  });

  it('rejects at once for an already aborted signal, without queuing', async () => {
    const { runner, batches } = fakeRunner();
    const batcher = batcherWith(runner);
    const outcome = batcher.decode(item(1, 10), { signal: AbortSignal.abort() }).catch((e: unknown) => e);
    expect(batcher.queued).toBe(0);
    expect(await outcome).toMatchObject({ code: 'JOB_CANCELED' });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([]);
  });

  it('lets an item already in a running batch finish', async () => {
    const { runner, batches, finish } = fakeRunner({ manual: true });
    const batcher = batcherWith(runner);
    const job = new AbortController();
    const running = batcher.decode(item(1, 10), { signal: job.signal });
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1]]);
    job.abort();
    await finish();
    await expect(running).resolves.toEqual({ ids: [1], frames: [0] });
  });
});
