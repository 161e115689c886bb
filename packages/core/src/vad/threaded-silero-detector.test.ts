import type { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memorySampleSource, type SampleSource } from '../audio/sample-source.js';
import { AppError } from '../errors/app-error.js';
import { detectSpeech } from './detect-speech.js';
import type { SpeechSegment } from './segmenter.js';
import { SILERO_FRAME_S, SileroVad } from './silero-vad.js';
import { scoreSpans, type ScoredSpeechSegment } from './span-probability.js';
import { ensureTestAudio, longCorpusSamples, readWav16kMono } from './test-audio-fixtures.js';
import { ThreadedSileroDetector } from './threaded-silero-detector.js';
import { VadOptionsSchema, type VadOptions } from './vad-options.js';

/** The bound: every boundary within 30 ms of the serial detection. */
const TOLERANCE_S = 0.03;
const CORPUS = ['en-60s.wav', 'long-45s.wav', 'en-zh-silence.wav', 'music-tones.wav', 'noise-only.wav', 'en.wav', 'zh.wav'];
const LONG = 'corpus ≥ 10 min';

const options: VadOptions = VadOptionsSchema.parse({});
const audio = new Map<string, Float32Array>();
const serial = new Map<string, ScoredSpeechSegment[]>();
let detector: ThreadedSileroDetector;

beforeAll(async () => {
  ensureTestAudio();
  for (const name of CORPUS) audio.set(name, readWav16kMono(name));
  audio.set(LONG, longCorpusSamples(600));
  const vad = await SileroVad.create();
  for (const [name, samples] of audio) serial.set(name, await detectSpeech(vad, samples, options));
  await vad.close();
  detector = await ThreadedSileroDetector.start();
}, 120_000);

afterAll(async () => {
  await detector.close();
});

function expectSameSegments(name: string, got: SpeechSegment[]): void {
  const want = serial.get(name)!;
  expect(got.length, `${name}: segment count`).toBe(want.length);
  want.forEach((w, k) => {
    expect(Math.abs(got[k]!.startS - w.startS), `${name} #${k} start`).toBeLessThanOrEqual(TOLERANCE_S);
    expect(Math.abs(got[k]!.endS - w.endS), `${name} #${k} end`).toBeLessThanOrEqual(TOLERANCE_S);
  });
}

const source = (name: string): SampleSource => memorySampleSource(audio.get(name)!);

describe('ThreadedSileroDetector', () => {
  it('finds the serial detector’s segments on every corpus file and on the ≥ 10-minute concatenation', async () => {
    expect(audio.get(LONG)!.length / 16_000).toBeGreaterThanOrEqual(600);
    expect(serial.get(LONG)!.length).toBeGreaterThan(100);
    for (const name of audio.keys()) expectSameSegments(name, await detector.detect(source(name), options));
  }, 120_000);

  it('finds the same segments when all the files are detected at once, and steps them together', async () => {
    const before = await detector.counters();
    const names = CORPUS; // the long file alone is the first test's
    const results = await Promise.all(names.map((name) => detector.detect(source(name), options)));
    names.forEach((name, k) => expectSameSegments(name, results[k]!));
    const after = await detector.counters();
    // the streams of different jobs shared steps: about as many ONNX calls as the longest file
    // has windows (the others rode along), not one per window of every file
    const windows = names.map((name) => Math.ceil(audio.get(name)!.length / 512));
    expect(after.windows - before.windows).toBe(windows.reduce((a, b) => a + b, 0));
    expect(after.steps - before.steps).toBeLessThan(1.1 * Math.max(...windows));
    expect(after.maxBatchSeen).toBe(names.length);
  }, 120_000);

  it('keeps at most maxBatch streams in a step, the other jobs joining as streams leave', async () => {
    const capped = await ThreadedSileroDetector.start({ maxBatch: 2, blockS: 1 });
    try {
      const results = await Promise.all(CORPUS.map((name) => capped.detect(source(name), options)));
      CORPUS.forEach((name, k) => expectSameSegments(name, results[k]!));
      expect((await capped.counters()).maxBatchSeen).toBe(2);
    } finally {
      await capped.close();
    }
  }, 120_000);

  it('with regions on, cuts one file into parallel warmed-up streams and keeps the first region exact', async () => {
    const regions = await ThreadedSileroDetector.start({ minRegionS: 10, warmupS: 2 });
    const vad = await SileroVad.create();
    try {
      const samples = audio.get('en-60s.wav')!;
      const want = await vad.probabilities(samples);
      const got = await regions.probabilities(memorySampleSource(samples));
      expect(got).toHaveLength(want.length);
      const firstRegion = Math.round(10 / 0.032);
      expect(got.subarray(0, firstRegion)).toEqual(want.subarray(0, firstRegion));
      // later regions start from a warm-up: close to the serial run on average, never undefined
      let sum = 0;
      for (let f = firstRegion; f < want.length; f++) sum += Math.abs(got[f]! - want[f]!);
      expect(sum / (want.length - firstRegion)).toBeLessThan(0.05);
      expect((await regions.counters()).maxBatchSeen).toBe(Math.ceil(want.length / firstRegion));
    } finally {
      await Promise.all([regions.close(), vad.close()]);
    }
  }, 60_000);

  it('gives each segment the serial run’s speech probabilities, and scores given spans folding blocks as they come', async () => {
    const vad = await SileroVad.create();
    const small = await ThreadedSileroDetector.start({ blockS: 0.5 });
    const regions = await ThreadedSileroDetector.start({ minRegionS: 10, warmupS: 2, blockS: 1 });
    try {
      for (const name of ['music-tones.wav', 'en-60s.wav']) {
        const samples = audio.get(name)!;
        const want = serial.get(name)!;
        const got = await detector.detect(source(name), options);
        expect(got.length).toBe(want.length);
        got.forEach((g, k) => {
          const w = want[k]!.speechProbability!;
          expect(Math.abs(g.speechProbability!.mean - w.mean), `${name} #${k} mean`).toBeLessThanOrEqual(1e-4);
          expect(Math.abs(g.speechProbability!.max - w.max), `${name} #${k} max`).toBeLessThanOrEqual(1e-4);
          // the segmenter starts a segment only at a window ≥ threshold
          expect(g.speechProbability!.max).toBeGreaterThanOrEqual(options.threshold);
        });
        // fixed 4 s spans (the last one short): the fold over blocks of 0.5 s = the fold over the whole array
        const spans = Array.from({ length: Math.ceil(samples.length / 16_000 / 4) }, (_, i) => ({
          startS: i * 4,
          endS: Math.min(samples.length / 16_000, (i + 1) * 4),
        }));
        const whole = scoreSpans(await vad.probabilities(samples), SILERO_FRAME_S, spans);
        const folded = await small.score(source(name), spans);
        expect(folded.map((s) => [s.startS, s.endS])).toEqual(spans.map((s) => [s.startS, s.endS]));
        folded.forEach((f, k) => {
          expect(Math.abs(f.speechProbability!.mean - whole[k]!.speechProbability!.mean)).toBeLessThanOrEqual(1e-4);
          expect(Math.abs(f.speechProbability!.max - whole[k]!.speechProbability!.max)).toBeLessThanOrEqual(1e-4);
        });
        // regions: blocks of several streams arrive interleaved; the fold takes them in any order
        const interleaved = await regions.score(source(name), spans);
        const regionWhole = scoreSpans(await regions.probabilities(source(name)), SILERO_FRAME_S, spans);
        interleaved.forEach((f, k) => {
          expect(Math.abs(f.speechProbability!.mean - regionWhole[k]!.speechProbability!.mean)).toBeLessThanOrEqual(1e-4);
          expect(Math.abs(f.speechProbability!.max - regionWhole[k]!.speechProbability!.max)).toBeLessThanOrEqual(1e-4);
        });
      }
    } finally {
      await Promise.all([vad.close(), small.close(), regions.close()]);
    }
  }, 120_000);

  it('stops a canceled job with JOB_CANCELED and leaves the other jobs’ streams alone', async () => {
    const controller = new AbortController();
    const before = await detector.counters();
    const long = detector.detect(source(LONG), options, controller.signal);
    const other = detector.detect(source('en-60s.wav'), options);
    setTimeout(() => controller.abort(), 200);
    const err: unknown = await long.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('JOB_CANCELED');
    expectSameSegments('en-60s.wav', await other);
    // the canceled stream stopped: far fewer windows ran than the long file has
    const after = await detector.counters();
    expect(after.windows - before.windows).toBeLessThan(audio.get(LONG)!.length / 512 / 2);
    // and an already aborted signal is refused at once
    await expect(detector.detect(source('en.wav'), options, AbortSignal.abort())).rejects.toMatchObject({ code: 'JOB_CANCELED' });
    expectSameSegments('en.wav', await detector.detect(source('en.wav'), options));
  }, 120_000);

  it('fails a job whose source fails with that error, the others unharmed', async () => {
    const broken: SampleSource = {
      ...source('en-60s.wav'),
      read: () => Promise.reject(new AppError('AUDIO_CORRUPT', 'unreadable')),
    };
    const [bad, good] = await Promise.allSettled([detector.detect(broken, options), detector.detect(source('zh.wav'), options)]);
    expect(bad.status === 'rejected' && (bad.reason as AppError).code).toBe('AUDIO_CORRUPT');
    expect(good.status).toBe('fulfilled');
    if (good.status === 'fulfilled') expectSameSegments('zh.wav', good.value);
  });

  it('gives no segments for an empty source', async () => {
    expect(await detector.detect(memorySampleSource(new Float32Array(0)), options)).toEqual([]);
  });

  it('fails pending and later calls with INFERENCE_FAILED when its thread dies', async () => {
    const doomed = await ThreadedSileroDetector.start();
    // a job waiting on its source, so no ONNX run is in flight when the thread goes (killing a
    // thread inside onnxruntime's native run can abort the whole process, test runner included)
    const hanging: SampleSource = { ...source('en.wav'), read: () => new Promise<Float32Array>(() => undefined) };
    const pending = doomed.detect(hanging, options).catch((e: unknown) => e);
    // the thread is private: reach it as a crash would
    await (doomed as unknown as { worker: Worker }).worker.terminate();
    expect(await pending).toMatchObject({ code: 'INFERENCE_FAILED' });
    await expect(doomed.detect(source('en.wav'), options)).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await expect(doomed.counters()).rejects.toMatchObject({ code: 'INFERENCE_FAILED' });
    await doomed.close();
  });

  it('fails pending calls when closed, then refuses new ones', async () => {
    const closing = await ThreadedSileroDetector.start();
    const pending = closing.detect(source(LONG), options).catch((e: unknown) => e);
    await closing.close();
    expect(await pending).toBeInstanceOf(AppError);
    await expect(closing.detect(source('en.wav'), options)).rejects.toBeInstanceOf(AppError);
    await closing.close(); // a second close is harmless
  });

  it('refuses a bad model with VAD_MODEL_INVALID', async () => {
    await expect(ThreadedSileroDetector.start({ modelPath: '/nonexistent/silero.onnx' })).rejects.toMatchObject({
      code: 'VAD_MODEL_INVALID',
    });
  });
});
