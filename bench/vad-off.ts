/**
 * `vad: false` benchmark (not a test): what the no-speech guard's VAD scoring costs in wall time,
 * scored before the model (the chunks' speech probabilities first, then the model:
 * `Engine.speechSpans` then `Engine.transcribeSpans`) against scored beside it (the engine's own
 * `transcribeAudio`, which starts the model at once and builds the segments when the scores are
 * in). Same engine, same decoded audio, the two alternating pair by pair; medians and the median
 * of the pair ratios.
 *
 *   npm run bench:vad-off -- [--model .cache/models/full] [--minutes 6] [--pairs 5]
 *
 * The audio is the test corpus's long-45s.wav repeated to `minutes`. Run it on a quiet machine:
 * the gain is the VAD's share of one core, a few per cent of the model's wall time.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import { loadEngine } from '@earshot/core/engine/load-engine';
import type { DecodedAudio } from '@earshot/core/audio/decode';
import { ensureTestAudio, readWav16kMono } from '@earshot/core/vad/test-audio-fixtures';
import { REPO_ROOT } from '../test/setup/paths.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: join(REPO_ROOT, '.cache/models/full') },
    minutes: { type: 'string', default: '6' },
    pairs: { type: 'string', default: '5' },
  },
});

ensureTestAudio();
const clip = readWav16kMono('long-45s.wav');
const total = Math.round(Number(values.minutes) * 60 * 16_000);
const samples = new Float32Array(total);
for (let at = 0; at < total; at += clip.length) samples.set(clip.subarray(0, Math.min(clip.length, total - at)), at);
const audio: DecodedAudio = {
  samples,
  sampleRate: 16_000,
  durationS: total / 16_000,
  source: { format: 'wav', sampleRate: 16_000, channels: 1, codec: 'pcm_s16le' },
};

const engine = await loadEngine(loadEngineConfig(process.env, { modelDir: values.model }));
const request = { vad: false as const };
const before = async (): Promise<number> => {
  const t = performance.now();
  const spans = await engine.speechSpans(audio, request);
  await engine.transcribeSpans(audio, spans, request);
  return performance.now() - t;
};
const beside = async (): Promise<number> => {
  const t = performance.now();
  await engine.transcribeAudio(audio, request);
  return performance.now() - t;
};

await beside(); // warm-up: sessions, arenas, the VAD thread
const rows: { before: number; beside: number }[] = [];
for (let i = 0; i < Number(values.pairs); i++) {
  const first = i % 2 === 0;
  const a = first ? await before() : await beside();
  const b = first ? await beside() : await before();
  rows.push(first ? { before: a, beside: b } : { before: b, beside: a });
  console.log(`pair ${i + 1}: before ${(rows.at(-1)!.before / 1000).toFixed(2)} s, beside ${(rows.at(-1)!.beside / 1000).toFixed(2)} s`);
}
await engine.close();

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const audioS = audio.durationS;
const b = median(rows.map((r) => r.before));
const s = median(rows.map((r) => r.beside));
console.log(
  JSON.stringify(
    {
      model: values.model,
      audioS,
      pairs: rows.length,
      beforeS: +(b / 1000).toFixed(2),
      besideS: +(s / 1000).toFixed(2),
      realTimeBefore: +(audioS / (b / 1000)).toFixed(1),
      realTimeBeside: +(audioS / (s / 1000)).toFixed(1),
      medianRatioBeforeOverBeside: +median(rows.map((r) => r.before / r.beside)).toFixed(3),
    },
    null,
    2,
  ),
);
