/**
 * Part 2, the whole pipeline with VAD on 10-minute call-like recordings: our engine
 * (`engine.transcribe(bytes)`, its default VAD) against sherpa-onnx's own pipeline as its users
 * build it: sherpa-onnx-node's `Vad` with the same Silero v5 ONNX file, fed 512-sample windows,
 * then the SenseVoice OfflineRecognizer on each segment it yields (bench/runners/sherpa-runner.cjs
 * says whose settings). Same model and threads on both sides; each (file, run) is a pair, the order
 * alternating. Also: the share of our time outside the model (transcript timings: total − inference)
 * and both sides' segment counts and mean lengths.
 */
import { join } from 'node:path';
import { defaultSileroModelPath } from '@earshot/core/vad/silero-vad';
import { callAudio, type CallAudio } from '../fixtures/call-audio.js';
import { FP32_FILE, fullModel, variantFile } from '../lib/models.js';
import type { Figure, PartOptions, PartResult } from '../lib/report.js';
import { startRunner } from '../lib/runner-process.js';
import { alternate, median } from '../lib/stats.js';

const THREADS = 2;
const TARGET_RATIO = 1.2;
const TARGET_OUTSIDE_SHARE = 0.05;

interface SegmentStats {
  count: number;
  totalS: number;
  meanS: number;
}
interface OursRun {
  wallMs: number;
  audioS: number;
  timings: { totalMs: number; inferenceMs: number } & Record<string, number>;
  segments: SegmentStats;
}
interface SherpaRun {
  wallMs: number;
  vadMs: number;
  asrMs: number;
  audioS: number;
  segments: SegmentStats;
  settings: Record<string, unknown>;
}

export async function pipeline(options: PartOptions): Promise<PartResult> {
  const runs = options.runs ?? (options.quick ? 1 : 2);
  const fileS = options.quick ? 120 : 600;
  const seeds = options.quick ? [1] : [1, 2];
  const files: CallAudio[] = [];
  for (const seed of seeds) files.push(await callAudio({ durationS: fileS, seed }));
  const modelFiles = (options.models ?? (options.quick ? ['int8'] : ['int8', 'fp32'])).map(variantFile);
  const vadModel = defaultSileroModelPath();
  const figures: Figure[] = [];
  const perModel: Record<string, unknown> = {};
  let sherpaSettings: Record<string, unknown> = {};

  for (const modelFile of modelFiles) {
    const modelDir = await fullModel(modelFile);
    options.log(`pipeline: ${modelFile}, ${files.length} × ${fileS} s, ${runs} run(s), ${THREADS} threads`);
    const ours = startRunner('ours');
    const sherpa = startRunner('sherpa');
    try {
      await ours.call('load', { modelDir, modelFile, threads: THREADS });
      await sherpa.call('loadRecognizer', { model: join(modelDir, modelFile), tokens: join(modelDir, 'tokens.txt'), threads: THREADS });
      // Untimed warm-up on a short call (first-run allocations).
      const warm = await callAudio({ durationS: 20, seed: 99 });
      await ours.call('transcribe', { file: warm.path, vad: true });
      await sherpa.call('pipeline', { file: warm.path, vadModel });

      const pairs = await alternate(
        runs * files.length,
        (p) => ours.call<OursRun>('transcribe', { file: files[p % files.length]!.path, vad: true }),
        (p) => sherpa.call<SherpaRun>('pipeline', { file: files[p % files.length]!.path, vadModel }),
      );
      sherpaSettings = pairs[0]!.b.settings;
      const label = modelFile === FP32_FILE ? 'fp32' : 'int8';
      const outside = pairs.map(({ a }) => (a.timings.totalMs - a.timings.inferenceMs) / a.timings.totalMs);
      const how = `median of ${pairs.length} runs`;
      figures.push(
        { name: `${label}: ours, audio s per wall s`, value: median(pairs.map(({ a }) => a.audioS / (a.wallMs / 1000))), unit: '×', how },
        { name: `${label}: sherpa-onnx VAD + ASR, audio s per wall s`, value: median(pairs.map(({ b }) => b.audioS / (b.wallMs / 1000))), unit: '×', how },
        {
          name: `${label}: speed ratio ours / sherpa-onnx`,
          value: median(pairs.map(({ a, b }) => b.wallMs / a.wallMs)),
          unit: '×',
          target: { op: '>=', value: TARGET_RATIO },
          how: `median of ${pairs.length} pair ratios`,
        },
        {
          name: `${label}: ours, share of time outside the model`,
          value: 100 * median(outside),
          unit: '%',
          target: { op: '<', value: 100 * TARGET_OUTSIDE_SHARE },
          how: `(totalMs − inferenceMs) / totalMs, ${how}`,
        },
      );
      perModel[modelFile] = pairs.map(({ a, b }, p) => ({ file: seeds[p % files.length], ours: a, sherpa: b }));
    } finally {
      await Promise.all([ours.close(), sherpa.close()]);
    }
  }

  // Segmentation does not depend on the model: reported once, from the first model's first pass over each file.
  const first = perModel[modelFiles[0]!] as { ours: OursRun; sherpa: SherpaRun }[];
  const segRows = first.slice(0, files.length);
  figures.push(
    { name: 'ours: VAD segments per file', value: median(segRows.map((r) => r.ours.segments.count)), unit: '', how: 'median over files' },
    { name: 'ours: mean segment length', value: median(segRows.map((r) => r.ours.segments.meanS)), unit: 's', how: 'median over files' },
    { name: 'sherpa-onnx: VAD segments per file', value: median(segRows.map((r) => r.sherpa.segments.count)), unit: '', how: 'median over files' },
    { name: 'sherpa-onnx: mean segment length', value: median(segRows.map((r) => r.sherpa.segments.meanS)), unit: 's', how: 'median over files' },
  );
  return {
    part: 'pipeline',
    title: "pipeline with VAD: ours vs sherpa-onnx's Silero VAD + SenseVoice, call-like files",
    conditions: {
      model: 'full (generated, seed 1)',
      modelFiles,
      threads: THREADS,
      files: files.map((f) => ({ durationS: f.durationS, speechS: Number(f.speechS.toFixed(1)), pauseShare: Number(f.pauseShare.toFixed(3)) })),
      runs,
      vadModel,
      sherpaVad: sherpaSettings,
    },
    figures,
    notes: options.quick ? [`quick: one ${fileS} s call, int8 only, one run`] : [],
    runs: perModel,
  };
}
