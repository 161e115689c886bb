import { describe, expect, it, vi } from 'vitest';
import type { DecodedAudio } from '../audio/decode.js';
import { SymbolTable } from '../decoding/symbol-table.js';
import { DynamicBatcher } from '../model/dynamic-batcher.js';
import type { BatchItem, InferenceRunner, ItemDecode } from '../model/inference-runner.js';
import type { SenseVoiceMetadata } from '../model/model-metadata.js';
import type { TranscriptSegment } from '../results/transcript.js';
import type { SpeechSegment } from '../vad/segmenter.js';
import type { SpeechDetector } from '../vad/speech-detector.js';
import type { ScoredSpeechSegment, SpeechProbability } from '../vad/span-probability.js';
import type { VadOptions } from '../vad/vad-options.js';
import { createEngine, type Engine } from './engine.js';

// No ONNX anywhere: a fake VAD returns fixed spans, fake features encode each span's length as its
// frame count (one frame per 0.1 s), and a fake runner answers one word per frame count. The real
// parts in between (batcher, decoding, transcript building) run as in production.
const SAMPLE_RATE = 16_000;
const QUERY = [1, 2, 3, 4]; // <|en|> <|NEUTRAL|> <|Speech|> <|woitn|>
const WORDS: Record<number, number> = { 1: 5, 2: 6, 3: 7 }; // frames → token id
const TOKENS = ['<blank>', '<|en|>', '<|NEUTRAL|>', '<|Speech|>', '<|woitn|>', '▁one', '▁two', '▁three']
  .map((piece, id) => `${piece} ${id}`)
  .join('\n');

const metadata: SenseVoiceMetadata = {
  vocabSize: 8,
  blankId: 0,
  lfrWindowSize: 7,
  lfrWindowShift: 6,
  normalizeSamples: false,
  withItn: 14,
  withoutItn: 15,
  languageIds: { auto: 0, zh: 3, en: 4, yue: 7, ja: 11, ko: 12 },
  negMean: new Float32Array(560),
  invStddev: new Float32Array(560),
  comment: 'fake',
  synthetic: true,
  raw: {},
};

/**
 * `spans`: what the fake VAD detects (without a speechProbability: null, not measured);
 * `scoreOf`: what it says a span it is asked to score (`score`, VAD off) holds.
 */
function fakeParts(
  spans: (SpeechSegment & { speechProbability?: SpeechProbability | null })[],
  batchDelayMs = 0,
  maxBatchItems = 32,
  scoreOf: (span: SpeechSegment) => SpeechProbability | null = () => null,
  /** What `score` waits for before it answers (a VAD slower than the model; a rejection fails it). */
  scoreGate: Promise<void> = Promise.resolve(),
) {
  const batches: number[][] = [];
  const detected: VadOptions[] = [];
  const scored: SpeechSegment[][] = [];
  const closed: string[] = [];
  const counts = { computed: 0, decoded: 0, maxAhead: 0 };
  const runner: InferenceRunner = {
    metadata,
    executionProvider: 'cpu',
    async decodeBatch(items: readonly BatchItem[]): Promise<ItemDecode[]> {
      batches.push(items.map((i) => i.frames));
      await new Promise((resolve) => setImmediate(resolve)); // a model run takes a while
      counts.decoded += items.length;
      return items.map((i) => ({ ids: [...QUERY, WORDS[i.frames] ?? 0], frames: [0, 1, 2, 3, 4] }));
    },
    close: async () => void closed.push('runner'),
  };
  const speechDetector: SpeechDetector = {
    detect: async (_source, options): Promise<ScoredSpeechSegment[]> => {
      detected.push(options);
      return spans.map((s) => ({ ...s, speechProbability: s.speechProbability ?? null }));
    },
    score: async (_source, given) => {
      scored.push([...given]);
      await scoreGate;
      return given.map((s) => ({ startS: s.startS, endS: s.endS, speechProbability: scoreOf(s) }));
    },
    close: async () => void closed.push('speech detector'),
  };
  const features = {
    compute: (samples16k: Float32Array) => {
      counts.computed++;
      counts.maxAhead = Math.max(counts.maxAhead, counts.computed - counts.decoded);
      return { data: new Float32Array(0), frames: Math.round(samples16k.length / 1600) };
    },
  };
  const engine: Engine = createEngine({
    runner,
    speechDetector,
    features,
    batcher: new DynamicBatcher(runner, { batchSizeS: 60, maxBatchItems, maxDelayMs: batchDelayMs, maxPaddingShare: 1 }),
    symbols: SymbolTable.parse(TOKENS),
    config: { ffmpegPath: 'none', maxAudioS: 3600, batchSizeS: 60, maxBatchItems },
    modelFile: 'model.int8.onnx',
  });
  return { engine, batches, detected, scored, closed, counts };
}

function silence(durationS: number): DecodedAudio {
  return {
    samples: new Float32Array(durationS * SAMPLE_RATE),
    sampleRate: SAMPLE_RATE,
    durationS,
    source: { format: 'wav', sampleRate: SAMPLE_RATE, channels: 1, codec: 'pcm_s16le' },
  };
}

describe('createEngine with a fake runner and a fake speech detector', () => {
  it('sends the detected segments to the runner and returns them as transcript segments, in order', async () => {
    const spans = [
      { startS: 0.5, endS: 0.8 },
      { startS: 1.0, endS: 1.1 },
      { startS: 2.25, endS: 2.45 },
    ];
    const { engine, batches, detected } = fakeParts(spans);
    const transcript = await engine.transcribeAudio(silence(3), { language: 'en', vad: { maxSegmentS: 20 } });

    expect(detected).toHaveLength(1);
    expect(detected[0]).toMatchObject({ maxSegmentS: 20 });
    // One batch of the three segments (frames = length / 0.1 s), ordered by the batcher by closeness
    // to the oldest one's length; the transcript still lists them in the detector's order.
    expect(batches).toEqual([[3, 2, 1]]);
    expect(transcript.segments.map((s) => [s.index, s.startS, s.endS, s.text])).toEqual([
      [0, 0.5, 0.8, 'three'],
      [1, 1.0, 1.1, 'one'],
      [2, 2.25, 2.45, 'two'],
    ]);
    expect(transcript.segments[0]).toMatchObject({ language: 'en', itn: false });
    expect(transcript.model).toMatchObject({ name: 'fake', file: 'model.int8.onnx', quantized: true, executionProvider: 'cpu' });
    expect(engine.queuedSegments).toBe(0);
  });

  it('onSegment gets each segment once, in order, the same the transcript holds', async () => {
    const spans = [
      { startS: 0.5, endS: 0.8 },
      { startS: 1.0, endS: 1.1 },
      { startS: 2.25, endS: 2.45 },
    ];
    const { engine } = fakeParts(spans);
    const seen: TranscriptSegment[] = [];
    const transcript = await engine.transcribeAudio(silence(3), { language: 'en' }, { onSegment: (s) => seen.push(s) });
    expect(seen).toEqual(transcript.segments);
    expect(seen.map((s) => s.index)).toEqual([0, 1, 2]);
  });

  it('speechSpans is what the detector found, on whole milliseconds, with its speech probability', async () => {
    const { engine } = fakeParts([{ startS: 0.12345, endS: 0.6789, speechProbability: { mean: 0.5, max: 0.9 } }]);
    expect(await engine.speechSpans(silence(1))).toEqual([{ startS: 0.123, endS: 0.679, speechProbability: { mean: 0.5, max: 0.9 } }]);
  });

  it('without VAD cuts fixed 30 s chunks, never asks the detector to detect, and has it score the chunks', async () => {
    const { engine, batches, detected, scored } = fakeParts([], 0, 32, (s) => ({ mean: 0.1, max: s.startS === 30 ? 0.9 : 0.2 }));
    const transcript = await engine.transcribeAudio(silence(65), { vad: false });
    expect(detected).toEqual([]);
    const chunks = [
      [0, 30],
      [30, 60],
      [60, 65],
    ];
    expect(scored.map((spans) => spans.map((s) => [s.startS, s.endS]))).toEqual([chunks]);
    expect(transcript.segments.map((s) => [s.startS, s.endS])).toEqual(chunks);
    // VAD off: the default threshold's negative threshold, 0.35
    expect(transcript.segments.map((s) => [s.speechProbability?.max, s.noSpeech])).toEqual([
      [0.2, true],
      [0.9, false],
      [0.2, true],
    ]);
    expect(batches.flat()).toEqual([300, 300, 50]);
  });

  it('without VAD runs the model while the chunks are scored, and builds no segment before their scores are in', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const { engine, counts } = fakeParts([], 0, 32, (s) => ({ mean: 0.5, max: s.startS / 100 + 0.4 }), gate);
    const seen: TranscriptSegment[] = [];
    const done = engine.transcribeAudio(silence(65), { vad: false }, { onSegment: (s) => seen.push(s) });
    await vi.waitFor(() => expect(counts.decoded).toBe(3)); // every chunk through the model, scores still out
    expect(seen).toEqual([]);
    release();
    const transcript = await done;
    expect(seen).toEqual(transcript.segments);
    expect(transcript.segments.map((s) => s.speechProbability?.max)).toEqual([0.4, 0.7, 1]);
    expect(transcript.segments.map((s) => s.noSpeech)).toEqual([false, false, false]);
  });

  it('without VAD fails with the scoring\'s error when the VAD fails while the model runs', async () => {
    const gate = Promise.reject(new Error('vad thread died'));
    gate.catch(() => undefined);
    const { engine } = fakeParts([], 0, 32, () => null, gate);
    await expect(engine.transcribeAudio(silence(65), { vad: false })).rejects.toThrow('vad thread died');
    expect(engine.queuedSegments).toBe(0);
  });

  it("flags a segment noSpeech when the VAD's max stays below the request's negative threshold", async () => {
    const p = (max: number): SpeechProbability => ({ mean: max / 2, max });
    const spans = [
      { startS: 0, endS: 0.3, speechProbability: p(0.34) },
      { startS: 0.5, endS: 0.8, speechProbability: p(0.36) },
      { startS: 1, endS: 1.3, speechProbability: p(0.2) },
      { startS: 1.5, endS: 1.8, speechProbability: null },
      { startS: 2, endS: 2.3 },
    ];
    const { engine } = fakeParts(spans);
    const flags = async (vad: object): Promise<[number | undefined, boolean][]> =>
      (await engine.transcribeAudio(silence(3), { vad })).segments.map((s) => [s.speechProbability?.max, s.noSpeech]);
    // default threshold 0.5 → below 0.35; unmeasured spans are never flagged by the VAD
    expect(await flags({})).toEqual([
      [0.34, true],
      [0.36, false],
      [0.2, true],
      [undefined, false],
      [undefined, false],
    ]);
    // threshold 0.3 → below 0.15
    expect((await flags({ threshold: 0.3 })).map(([, f]) => f)).toEqual([false, false, false, false, false]);
    // an explicit negThreshold is the VAD's own
    expect((await flags({ threshold: 0.5, negThreshold: 0.25 })).map(([, f]) => f)).toEqual([false, false, true, false, false]);
    const t = await engine.transcribeAudio(silence(3), { dropNoSpeech: true });
    expect(t.summary.noSpeech).toEqual({ segments: 2, seconds: 0.6 });
    expect(t.segments[0]).toMatchObject({ speechProbability: { mean: 0.17, max: 0.34 }, noSpeech: true });
  });

  it('transcribeSpans shifts a chunk’s spans by its offset and keeps their speech probability', async () => {
    const { engine, detected, scored } = fakeParts([]);
    const spans = [
      { startS: 0.2, endS: 0.3 },
      { startS: 0.4, endS: 0.5, speechProbability: { mean: 0.01, max: 0.02 } },
    ];
    const transcript = await engine.transcribeSpans(silence(1), spans, {}, {}, { offsetS: 100 });
    expect(detected).toEqual([]);
    expect(scored).toEqual([]);
    expect(transcript.segments.map((s) => [s.startS, s.endS, s.text, s.speechProbability, s.noSpeech])).toEqual([
      [100.2, 100.3, 'one', null, false],
      [100.4, 100.5, 'one', { mean: 0.01, max: 0.02 }, true],
    ]);
  });

  it("a canceled request's waiting segments leave the batcher's queue", async () => {
    const spans = [0, 1, 2].map((s) => ({ startS: s, endS: s + 0.3 }));
    const { engine, batches } = fakeParts(spans, 60_000); // the batch would wait a minute for company
    const job = new AbortController();
    const outcome = engine.transcribeAudio(silence(3), {}, { signal: job.signal }).catch((e: unknown) => e);
    while (engine.queuedSegments < 3) await new Promise((resolve) => setImmediate(resolve));
    job.abort();
    expect(await outcome).toMatchObject({ code: 'JOB_CANCELED' });
    expect(engine.queuedSegments).toBe(0);
    expect(batches).toEqual([]);
  });

  it('computes features a few batches ahead of the model, never the whole file, and keeps its batches full', async () => {
    const spans = Array.from({ length: 200 }, (_, i) => ({ startS: i * 0.5, endS: i * 0.5 + 0.3 }));
    const { engine, batches, counts } = fakeParts(spans, 0, 4);
    const transcript = await engine.transcribeAudio(silence(100), {});
    expect(transcript.segments.map((s) => s.startS)).toEqual(spans.map((s) => s.startS));
    // At most three groups submitted and one being computed: 4 × 4 segments of features.
    expect(counts.maxAhead).toBeLessThanOrEqual(16);
    expect(counts.maxAhead).toBeGreaterThan(4);
    // After the first batch (alone in its tick), every batch is full: the next group was ready.
    expect(batches.slice(1).every((b) => b.length === 4)).toBe(true);
    expect(batches.flat()).toHaveLength(200);
  });

  it('close() closes the runner and the speech detector', async () => {
    const { engine, closed } = fakeParts([]);
    await engine.close();
    expect(closed.sort()).toEqual(['runner', 'speech detector']);
  });
});
