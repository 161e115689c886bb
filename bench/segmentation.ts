/**
 * Segmentation defaults by measurement (not a test): for a few VAD settings, on a call-like
 * recording (bench/fixtures/call-audio.ts), the segment count and mean length, the audio they
 * cover, the model runs and frames, and the model stage's CPU and wall time (features, batched
 * model, decoding; the VAD runs before and is not counted) with the full generated model.
 *
 *   npm run bench:segmentation -- [--seconds 300] [--runs 1] [--model-file model.int8.onnx] [--threads 2]
 *
 * Settings run alternately (one round = every setting once), `runs` rounds, medians. The model
 * is generated (deterministic random weights): its text means nothing, so accuracy is not
 * measured here; see the README's "Speech segments" for how that side was weighed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAudioFile } from '@earshot/core/audio/decode';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import { loadEngine } from '@earshot/core/engine/load-engine';
import type { BatchReport } from '@earshot/core/model/dynamic-batcher';
import { type VadOptionsInput, VadOptionsSchema } from '@earshot/core/vad/vad-options';
import { generateModel } from '@earshot/modelgen/generate';
import { callAudio } from './fixtures/call-audio.js';
import { CACHE_DIR } from '../test/setup/paths.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    runs: { type: 'string', default: '1' },
    'model-file': { type: 'string', default: 'model.int8.onnx' },
    threads: { type: 'string', default: '2' },
  },
});
const modelFile = values['model-file']!;

const settings: [string, VadOptionsInput][] = [
  ['minSilence 100 (old default)', { minSilenceMs: 100 }],
  ['minSilence 250 (new default)', { minSilenceMs: 250 }],
  ['minSilence 500', { minSilenceMs: 500 }],
  ['minSilence 100 + merge 15 s', { minSilenceMs: 100, merge: true }],
];

const wav = (await callAudio({ durationS: Number(values.seconds), seed: 1 })).path;
const modelDir = join(CACHE_DIR, 'models', 'full');
if (!existsSync(join(modelDir, modelFile))) {
  await generateModel({ size: 'full', seed: 1, outDir: modelDir, int8: modelFile.includes('int8') });
}
const audio = await readAudioFile(wav, { ffmpegPath: null });
const batches: BatchReport[] = [];
const engine = await loadEngine(loadEngineConfig({}, { modelDir, modelFile, threads: Number(values.threads) }), {
  inferenceThread: false,
  onBatch: (b) => batches.push(b),
});
console.log(`audio ${wav} ${audio.durationS.toFixed(1)} s; model full/${modelFile}; ${values.threads} threads; ${values.runs} rounds`);

const stage = settings.map(() => [] as { cpuS: number; wallS: number }[]);
const shape = settings.map(() => ({ count: 0, meanS: 0, underOneS: 0, coveredS: 0, longestS: 0, runs: 0, frames: 0, paddedFrames: 0 }));
for (let round = 0; round < Number(values.runs); round++) {
  for (const [k, [name, options]] of settings.entries()) {
    const request = { language: 'auto' as const, itn: false, vad: VadOptionsSchema.parse(options) };
    const spans = await engine.speechSpans(audio, request);
    batches.length = 0;
    // the model stage alone (features, batched model, decoding), CPU of the whole process
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const t = await engine.transcribeSpans(audio, spans, request);
    const cpu = process.cpuUsage(cpu0);
    stage[k]!.push({ cpuS: (cpu.user + cpu.system) / 1e6, wallS: (performance.now() - t0) / 1000 });
    const lengths = t.segments.map((s) => s.endS - s.startS);
    const coveredS = lengths.reduce((a, b) => a + b, 0);
    shape[k] = {
      count: lengths.length,
      meanS: coveredS / lengths.length,
      underOneS: lengths.filter((l) => l < 1).length,
      coveredS,
      longestS: Math.max(...lengths),
      runs: batches.length,
      frames: batches.reduce((n, b) => n + b.frames, 0),
      paddedFrames: batches.reduce((n, b) => n + b.paddedFrames, 0),
    };
    console.log(`round ${round + 1} ${name}: ${lengths.length} segments, model stage CPU ${stage[k]!.at(-1)!.cpuS.toFixed(1)} s, wall ${stage[k]!.at(-1)!.wallS.toFixed(1)} s`);
  }
}
await engine.close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| setting | segments | mean s | < 1 s | longest s | audio through the model s | model runs | LFR frames (padded) | model stage CPU s | wall s |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const [k, [name]] of settings.entries()) {
  const s = shape[k]!;
  const m = stage[k]!;
  console.log(
    `| ${name} | ${s.count} | ${s.meanS.toFixed(1)} | ${s.underOneS} | ${s.longestS.toFixed(1)} | ${s.coveredS.toFixed(0)} | ${s.runs} | ${s.frames} (${s.paddedFrames}) | ${median(m.map((x) => x.cpuS)).toFixed(1)} | ${median(m.map((x) => x.wallS)).toFixed(1)} |`,
  );
}
