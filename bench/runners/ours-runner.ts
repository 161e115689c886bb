/**
 * Child side of a benchmark runner (bench/lib/runner-process.ts) for Earshot's engine, through
 * its public entry points: `loadEngine` and `engine.transcribe(bytes, request)`, plus the engine's
 * `decode` and `speechSpans` and the model's feature extractor for the front-end part.
 *
 * Ops:
 *   load { modelDir, modelFile, threads } → { loadMs }
 *   transcribe { file, vad } → { wallMs, audioS, timings, segments }   (file read + transcribe)
 *   spans { file } → the spans a transcribe with `vad: false` decodes (for sherpa-onnx's side)
 *   transcribeSpans { file, spans } → as transcribe, but the given spans without VAD (file read + decode + transcribeSpans)
 *   frontEnd { file } → { wallMs, cpuMs, audioS, segments }   (decode + VAD + features, no model)
 */
import { readFile } from 'node:fs/promises';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import { processEnv } from '@earshot/core/config/env';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { FeatureExtractor, featureOptionsOf } from '@earshot/core/features/compute-features';

const SAMPLE_RATE = 16_000;
let engine: Engine | null = null;

function loaded(): Engine {
  if (!engine) throw new Error('no engine: send load first');
  return engine;
}

/** Count, total, mean and longest length of a transcript's or VAD's segments, in seconds. */
function segmentStats(spans: readonly { startS: number; endS: number }[]): { count: number; totalS: number; meanS: number; maxS: number } {
  const lengths = spans.map((x) => x.endS - x.startS);
  const totalS = lengths.reduce((s, x) => s + x, 0);
  return { count: spans.length, totalS, meanS: spans.length ? totalS / spans.length : 0, maxS: Math.max(0, ...lengths) };
}

/** The request both sides decode with: language auto, no ITN (as the parity test), VAD default or off. */
function requestOf(vad: boolean): { language: 'auto'; itn: false; vad?: false } {
  return vad ? { language: 'auto', itn: false } : { language: 'auto', itn: false, vad: false };
}

const ops: Record<string, (args: Record<string, unknown>) => Promise<unknown>> = {
  async load(args) {
    const t = performance.now();
    engine = await loadEngine(
      // The environment applies (EARSHOT_BATCH_SIZE_S, a front-end pool size…) under the benchmark's own settings.
      loadEngineConfig(processEnv(), { modelDir: args.modelDir as string, modelFile: args.modelFile as string, threads: args.threads as number }),
    );
    return { loadMs: performance.now() - t };
  },

  async transcribe(args) {
    const e = loaded();
    const t = performance.now();
    const bytes = await readFile(args.file as string);
    const transcript = await e.transcribe(bytes, requestOf(args.vad as boolean));
    const wallMs = performance.now() - t;
    return { wallMs, audioS: transcript.audio.durationS, timings: transcript.timings, segments: segmentStats(transcript.segments) };
  },

  // No VAD at all: `vad: false` still runs Silero over its fixed chunks (the no-speech guard), work
  // sherpa-onnx's side does not do; the model stage compares equal work.
  async transcribeSpans(args) {
    const e = loaded();
    const t = performance.now();
    const audio = await e.decode(await readFile(args.file as string));
    const transcript = await e.transcribeSpans(audio, args.spans as { startS: number; endS: number }[], requestOf(false));
    const wallMs = performance.now() - t;
    return { wallMs, audioS: transcript.audio.durationS, timings: transcript.timings, segments: segmentStats(transcript.segments) };
  },

  async spans(args) {
    const e = loaded();
    const audio = await e.decode(await readFile(args.file as string));
    return e.speechSpans(audio, requestOf(false));
  },

  async frontEnd(args) {
    const e = loaded();
    const meta = e.metadata;
    const features = new FeatureExtractor(featureOptionsOf(meta));
    const bytes = await readFile(args.file as string);
    const cpu = process.cpuUsage();
    const t = performance.now();
    const audio = await e.decode(bytes);
    const spans = await e.speechSpans(audio, requestOf(true));
    let frames = 0;
    for (const span of spans) {
      const from = Math.round(span.startS * SAMPLE_RATE);
      const to = Math.min(audio.samples.length, Math.round(span.endS * SAMPLE_RATE));
      frames += features.compute(audio.samples.subarray(from, to)).frames;
    }
    const wallMs = performance.now() - t;
    const used = process.cpuUsage(cpu);
    return { wallMs, cpuMs: (used.user + used.system) / 1000, audioS: audio.durationS, frames, segments: segmentStats(spans) };
  },
};

process.on('message', (message: { id: number; op: string; args: Record<string, unknown> }) => {
  const op = ops[message.op];
  const run = op ? op(message.args) : Promise.reject(new Error(`unknown op ${message.op}`));
  run.then(
    (result) => process.send!({ id: message.id, ok: true, result }),
    (err: unknown) => process.send!({ id: message.id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
  );
});
process.on('disconnect', () => {
  void (engine ? engine.close() : Promise.resolve()).finally(() => process.exit(0));
});
