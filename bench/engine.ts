/**
 * Engine benchmark: real-time factor of our engine and of sherpa-onnx-node on
 * the same generated model, the same audio and the same thread count, plus the
 * share of our time spent outside the model.
 *
 *   npx tsx bench/engine.ts [--size full|tiny] [--model-file model.onnx|model.int8.onnx]
 *                           [--threads 2] [--runs 3] [--audio FILE] [--batch-size-s 60]
 *
 * The model is generated on first use (.cache/models/<size>); the audio defaults
 * to the 60 s English fixture. Numbers from a synthetic model measure speed only.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAudioFile } from '@earshot/core/audio/decode';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import { loadEngine } from '@earshot/core/engine/load-engine';
import type { BatchReport } from '@earshot/core/model/dynamic-batcher';
import { generateModel } from '@earshot/modelgen/generate';
import { CACHE_DIR, REPO_ROOT, TEST_AUDIO_DIR } from '../test/setup/paths.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    'model-file': { type: 'string', default: 'model.onnx' },
    threads: { type: 'string', default: '2' },
    runs: { type: 'string', default: '3' },
    audio: { type: 'string', default: join(TEST_AUDIO_DIR, 'en-60s.wav') },
    'batch-size-s': { type: 'string', default: '60' },
  },
});
const size = values.size as 'full' | 'tiny';
const modelFile = values['model-file']!;
const threads = Number(values.threads);
const runs = Number(values.runs);

execFileSync('bash', [join(REPO_ROOT, 'scripts/make-test-audio.sh'), TEST_AUDIO_DIR], { stdio: 'inherit' });
const modelDir = join(CACHE_DIR, 'models', size);
await generateModel({ size, seed: 1, outDir: modelDir, int8: modelFile.includes('int8') });

const audio = await readAudioFile(values.audio!, { ffmpegPath: null });
console.log(`audio ${values.audio} ${audio.durationS.toFixed(1)} s; model ${size}/${modelFile}; ${threads} threads; ${runs} runs`);

// ---- ours
let t = performance.now();
const batches: BatchReport[] = [];
const engine = await loadEngine(loadEngineConfig({}, { modelDir, modelFile, threads, batchSizeS: Number(values['batch-size-s']) }), {
  inferenceThread: false,
  onBatch: (b) => batches.push(b),
});
const ourLoadMs = performance.now() - t;
const bytes = await import('node:fs/promises').then((fs) => fs.readFile(values.audio!));
const ours = [];
for (let i = 0; i < runs; i++) {
  batches.length = 0;
  ours.push(await engine.transcribe(bytes, { language: 'auto', itn: false }));
}
const frames = batches.reduce((s, b) => s + b.frames, 0);
const padded = batches.reduce((s, b) => s + b.paddedFrames, 0);
console.log(`last run: ${batches.length} batches of ${batches.map((b) => b.items).join('/')} segments, padding ${(100 * (1 - frames / padded)).toFixed(1)}%`);
await engine.close();
const best = ours.reduce((a, b) => (a.timings.totalMs <= b.timings.totalMs ? a : b));
const tm = best.timings;
const outsideMs = tm.decodeMs + tm.vadMs + tm.featuresMs + tm.decodingMs;

// ---- sherpa-onnx, same model and threads: (a) one stream for the whole file, (b) our VAD segments one by one
const work = mkdtempSync(join(tmpdir(), 'earshot-bench-'));
const samplesFile = join(work, 'audio.f32');
writeFileSync(samplesFile, Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength));
const sherpa = (segments: { offset: number; length: number }[]): { loadMs: number; decodeMs: number } => {
  const req = join(work, 'req.json');
  writeFileSync(
    req,
    JSON.stringify({ model: join(modelDir, modelFile), tokens: join(modelDir, 'tokens.txt'), samplesFile, segments, threads }),
  );
  const best = { loadMs: Infinity, decodeMs: Infinity };
  for (let i = 0; i < runs; i++) {
    const r = JSON.parse(execFileSync('node', [join(REPO_ROOT, 'test/support/sherpa-decode.cjs'), req], { maxBuffer: 1 << 28 }).toString()) as {
      loadMs: number;
      decodeMs: number;
    };
    best.loadMs = Math.min(best.loadMs, r.loadMs);
    best.decodeMs = Math.min(best.decodeMs, r.decodeMs);
  }
  return best;
};
t = performance.now();
const whole = sherpa([{ offset: 0, length: audio.samples.length }]);
const perSegment = sherpa(
  best.segments.map((s) => {
    const offset = Math.round(s.startS * 16000);
    return { offset, length: Math.round(s.endS * 16000) - offset };
  }),
);
rmSync(work, { recursive: true, force: true });

const rtf = (ms: number): string => (ms / 1000 / audio.durationS).toFixed(4);
const rows = [
  ['earshot engine (VAD + batched)', rtf(tm.totalMs), `${tm.totalMs.toFixed(0)} ms`, `load ${(ourLoadMs / 1000).toFixed(1)} s`],
  ['  of which model inference', rtf(tm.inferenceMs), `${tm.inferenceMs.toFixed(0)} ms`, `${best.segments.length} segments`],
  ['sherpa-onnx-node, whole file', rtf(whole.decodeMs), `${whole.decodeMs.toFixed(0)} ms`, `load ${(whole.loadMs / 1000).toFixed(1)} s`],
  ['sherpa-onnx-node, our segments', rtf(perSegment.decodeMs), `${perSegment.decodeMs.toFixed(0)} ms`, 'sequential'],
];
console.log('\n| runner | RTF | time | note |\n|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(
  `\nours outside the model: ${outsideMs.toFixed(0)} ms = ${((100 * outsideMs) / tm.totalMs).toFixed(1)}% ` +
    `(decode ${tm.decodeMs} + VAD ${tm.vadMs} + features ${tm.featuresMs} + decoding ${tm.decodingMs} ms)`,
);
mkdirSync(join(REPO_ROOT, 'bench/results'), { recursive: true });
writeFileSync(
  join(REPO_ROOT, 'bench/results', `engine-${size}-${modelFile}-${threads}t.json`),
  JSON.stringify({ date: new Date().toISOString(), size, modelFile, threads, runs, audioS: audio.durationS, ours: best.timings, ourLoadMs, whole, perSegment }, null, 2),
);
