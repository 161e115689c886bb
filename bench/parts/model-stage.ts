/**
 * Part 1, the model stage: our engine (`engine.decode` + `engine.transcribeSpans`) against
 * sherpa-onnx-node's SenseVoice OfflineRecognizer on the same generated full-size model, the same
 * files (call-like audio of 5–60 s) and the same thread count, no VAD. Both sides decode exactly the
 * spans our engine decodes without VAD (30 s chunks of a longer file, from `speechSpans`, untimed),
 * one stream each, so both run the model on the same inputs; ours is given the spans rather than
 * `transcribe(bytes, { vad: false })`, which also scores the chunks with Silero (the no-speech
 * guard), work sherpa-onnx does not do. Both time reading the file through the last result.
 * Each (file, run) is a pair, the order alternating from pair to pair.
 */
import { join } from 'node:path';
import { callAudio, type CallAudio } from '../fixtures/call-audio.js';
import { FP32_FILE, fullModel, variantFile } from '../lib/models.js';
import type { Figure, PartOptions, PartResult } from '../lib/report.js';
import { startRunner } from '../lib/runner-process.js';
import { alternate, median, sum } from '../lib/stats.js';

const THREADS = 2;
const TARGET_RATIO = 1.05;

interface Span {
  startS: number;
  endS: number;
}

/** `count` durations spread evenly over [5, 60] s (whole seconds), each file its own seed. */
function fileDurations(count: number, maxS: number): number[] {
  return Array.from({ length: count }, (_, i) => Math.round(5 + ((maxS - 5) * i) / Math.max(1, count - 1)));
}

export async function modelStage(options: PartOptions): Promise<PartResult> {
  const runs = options.runs ?? (options.quick ? 1 : 3);
  const durations = options.quick ? fileDurations(4, 20) : fileDurations(20, 60);
  const files: CallAudio[] = [];
  for (const [i, durationS] of durations.entries()) files.push(await callAudio({ durationS, seed: 100 + i }));
  const audioS = sum(files.map((f) => f.durationS));
  const modelFiles = (options.models ?? (options.quick ? ['int8'] : ['fp32', 'int8'])).map(variantFile);
  const figures: Figure[] = [];
  const perModel: Record<string, unknown> = {};

  for (const modelFile of modelFiles) {
    const modelDir = await fullModel(modelFile);
    options.log(`model stage: ${modelFile}, ${files.length} files (${audioS.toFixed(0)} s), ${runs} run(s), ${THREADS} threads`);
    const ours = startRunner('ours');
    const sherpa = startRunner('sherpa');
    try {
      const [oursLoad, sherpaLoad] = [
        await ours.call<{ loadMs: number }>('load', { modelDir, modelFile, threads: THREADS }),
        await sherpa.call<{ loadMs: number }>('loadRecognizer', { model: join(modelDir, modelFile), tokens: join(modelDir, 'tokens.txt'), threads: THREADS }),
      ];
      const spans = await Promise.all(files.map((f) => ours.call<Span[]>('spans', { file: f.path })));
      // One untimed pass over the first file on each side (first-run allocations, page cache).
      await ours.call('transcribeSpans', { file: files[0]!.path, spans: spans[0] });
      await sherpa.call('decodeSpans', { file: files[0]!.path, spans: spans[0] });

      const pairs = await alternate(
        runs * files.length,
        async (p) => (await ours.call<{ wallMs: number }>('transcribeSpans', { file: files[p % files.length]!.path, spans: spans[p % files.length] })).wallMs,
        async (p) => (await sherpa.call<{ wallMs: number }>('decodeSpans', { file: files[p % files.length]!.path, spans: spans[p % files.length] })).wallMs,
      );
      const perRun = Array.from({ length: runs }, (_, r) => {
        const slice = pairs.slice(r * files.length, (r + 1) * files.length);
        return { oursXRealTime: audioS / (sum(slice.map((x) => x.a)) / 1000), sherpaXRealTime: audioS / (sum(slice.map((x) => x.b)) / 1000) };
      });
      const ratios = pairs.map((x) => x.b / x.a);
      const label = modelFile === FP32_FILE ? 'fp32' : 'int8';
      figures.push(
        { name: `${label}: ours, audio s per wall s`, value: median(perRun.map((r) => r.oursXRealTime)), unit: '×', how: `median of ${runs} passes` },
        { name: `${label}: sherpa-onnx, audio s per wall s`, value: median(perRun.map((r) => r.sherpaXRealTime)), unit: '×', how: `median of ${runs} passes` },
        {
          name: `${label}: speed ratio ours / sherpa-onnx`,
          value: median(ratios),
          unit: '×',
          target: { op: '>=', value: TARGET_RATIO },
          how: `median of ${ratios.length} pair ratios`,
        },
      );
      perModel[modelFile] = {
        loadMs: { ours: oursLoad.loadMs, sherpa: sherpaLoad.loadMs },
        perRun,
        pairs: pairs.map((x, p) => ({ file: durations[p % files.length], oursMs: x.a, sherpaMs: x.b })),
        spansPerFile: spans.map((s) => s.length),
      };
    } finally {
      await Promise.all([ours.close(), sherpa.close()]);
    }
  }
  return {
    part: 'model',
    title: 'model stage: ours vs sherpa-onnx-node, same model, files and threads, no VAD',
    conditions: { model: 'full (generated, seed 1)', modelFiles, threads: THREADS, files: durations.map((d) => `${d}s`), audioS, runs },
    figures,
    notes: options.quick ? ['quick: 4 files of 5–20 s, int8 only, one pass'] : [],
    runs: perModel,
  };
}
