/**
 * Segmentation defaults by measurement (not a test): for a few VAD settings, on a call-like
 * recording (bench/make-call-audio.sh), the segment count and mean length, the speech they
 * cover, and the model stage's time (features + batched model) with the full generated model.
 *
 *   npm run bench:segmentation -- [--seconds 300] [--runs 2] [--model-file model.int8.onnx] [--threads 2]
 *
 * Settings run alternately (one round = every setting once), `runs` rounds, medians. The model
 * is generated (deterministic random weights): its text means nothing, so accuracy is not
 * measured here; see the README's "Speech segments" for how that side was weighed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAudioFile } from '@earshot/core/audio/decode';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { type VadOptionsInput, VadOptionsSchema } from '@earshot/core/vad/vad-options';
import { generateModel } from '@earshot/modelgen/generate';
import { CACHE_DIR, REPO_ROOT } from '../test/setup/paths.js';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    runs: { type: 'string', default: '2' },
    'model-file': { type: 'string', default: 'model.int8.onnx' },
    threads: { type: 'string', default: '2' },
  },
});
const modelFile = values['model-file']!;

const settings: [string, VadOptionsInput][] = [
  ['minSilence 100 (old default)', { minSilenceMs: 100 }],
  ['minSilence 250', { minSilenceMs: 250 }],
  ['minSilence 500', { minSilenceMs: 500 }],
  ['minSilence 500, max 15 s', { minSilenceMs: 500, maxSegmentS: 15 }],
  ['minSilence 1000', { minSilenceMs: 1000 }],
  ['minSilence 100 + merge 15 s', { minSilenceMs: 100, merge: true }],
];

const genDir = join(CACHE_DIR, 'gen');
mkdirSync(genDir, { recursive: true });
const wav = join(genDir, `call-${values.seconds}s.wav`);
if (!existsSync(wav)) {
  execFileSync('bash', [join(REPO_ROOT, 'bench/make-call-audio.sh'), wav, values.seconds!, '1'], { stdio: 'inherit' });
}
const modelDir = join(CACHE_DIR, 'models', 'full');
if (!existsSync(join(modelDir, modelFile))) {
  await generateModel({ size: 'full', seed: 1, outDir: modelDir, int8: modelFile.includes('int8') });
}
const audio = await readAudioFile(wav, { ffmpegPath: null });
const engine = await loadEngine(loadEngineConfig({}, { modelDir, modelFile, threads: Number(values.threads) }), {
  inferenceThread: false,
});
console.log(`audio ${wav} ${audio.durationS.toFixed(1)} s; model full/${modelFile}; ${values.threads} threads; ${values.runs} rounds`);

const times = settings.map(() => [] as number[]);
const shape = settings.map(() => ({ count: 0, meanS: 0, coveredS: 0, longestS: 0 }));
for (let round = 0; round < Number(values.runs); round++) {
  for (const [k, [, options]] of settings.entries()) {
    const t = await engine.transcribeAudio(audio, { language: 'auto', itn: false, vad: VadOptionsSchema.parse(options) });
    times[k]!.push(t.timings.featuresMs + t.timings.inferenceMs);
    const lengths = t.segments.map((s) => s.endS - s.startS);
    const coveredS = lengths.reduce((a, b) => a + b, 0);
    shape[k] = { count: lengths.length, meanS: coveredS / lengths.length, coveredS, longestS: Math.max(...lengths) };
  }
}
await engine.close();

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
console.log('| setting | segments | mean s | longest s | covered s | model stage s | × real time |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [k, [name]] of settings.entries()) {
  const s = shape[k]!;
  const ms = median(times[k]!);
  console.log(
    `| ${name} | ${s.count} | ${s.meanS.toFixed(1)} | ${s.longestS.toFixed(1)} | ${s.coveredS.toFixed(0)} | ${(ms / 1000).toFixed(1)} | ${(audio.durationS / (ms / 1000)).toFixed(0)} |`,
  );
}
