/**
 * Session options chosen by measurement: the model stage alone (whole files as single items, no
 * VAD) through two sessions of the same model that differ in one option, run pair by pair in
 * alternating order, in one process.
 *
 *   npx tsx --conditions=source bench/session-options.ts [--size full] [--file model.int8.onnx]
 *       [--threads 2] [--rounds 3] [--option spinning|arena]
 *
 * Reports audio seconds per wall second and per CPU second (process CPU, every onnxruntime
 * thread included: what spinning costs the front end sharing the cores) for each variant, and
 * the median of the per-pair wall ratios.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAudioFile } from '@earshot/core/audio/decode';
import { FeatureExtractor, featureOptionsOf } from '@earshot/core/features/compute-features';
import type { BatchItem, RuntimeOptions } from '@earshot/core/model/inference-runner';
import { SenseVoiceSession } from '@earshot/core/model/sense-voice-session';
import { CACHE_DIR, TEST_AUDIO_DIR } from '../test/setup/paths.js';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: 'full' },
    file: { type: 'string', default: 'model.int8.onnx' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    option: { type: 'string', default: 'spinning' },
  },
});
const modelPath = join(CACHE_DIR, 'models', values.size!, values.file!);
const base: RuntimeOptions = { threads: Number(values.threads), provider: 'cpu', deviceId: 0 };
const variants: Record<string, [string, RuntimeOptions, string, RuntimeOptions]> = {
  spinning: ['spin', { ...base, intraOpSpinning: true }, 'no-spin', { ...base, intraOpSpinning: false }],
};
const chosen = variants[values.option!];
if (!chosen) throw new Error(`--option: one of ${Object.keys(variants).join(', ')}`);
const [nameA, runtimeA, nameB, runtimeB] = chosen;

const a = await SenseVoiceSession.create(modelPath, runtimeA);
const b = await SenseVoiceSession.create(modelPath, runtimeB);
const m = a.metadata;
const features = new FeatureExtractor(featureOptionsOf(m));
const items: { name: string; seconds: number; item: BatchItem }[] = [];
for (const name of ['en.wav', 'zh.wav', 'en-zh-silence.wav', 'long-45s.wav', 'en-60s.wav']) {
  const audio = await readAudioFile(join(TEST_AUDIO_DIR, name), { ffmpegPath: null });
  const f = features.compute(audio.samples);
  items.push({ name, seconds: audio.durationS, item: { features: f.data, frames: f.frames, languageId: m.languageIds.auto, textNormId: m.withoutItn } });
}
console.log(`${values.size}/${values.file}, ${values.threads} threads, files ${items.map((i) => `${i.name} ${i.seconds.toFixed(1)} s`).join(', ')}`);

async function timed(session: SenseVoiceSession, item: BatchItem): Promise<{ wallS: number; cpuS: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await session.decodeBatch([item]);
  const c = process.cpuUsage(c0);
  return { wallS: (performance.now() - t0) / 1000, cpuS: (c.user + c.system) / 1e6 };
}

await timed(a, items[0]!.item); // first runs (page faults, arena growth) not counted
await timed(b, items[0]!.item);
const totals = { [nameA]: { audio: 0, wall: 0, cpu: 0 }, [nameB]: { audio: 0, wall: 0, cpu: 0 } };
const ratios: number[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [i, { seconds, item }] of items.entries()) {
    const order: [string, SenseVoiceSession][] = (round + i) % 2 ? [[nameB, b], [nameA, a]] : [[nameA, a], [nameB, b]];
    const got: Record<string, number> = {};
    for (const [name, session] of order) {
      const r = await timed(session, item);
      totals[name]!.audio += seconds;
      totals[name]!.wall += r.wallS;
      totals[name]!.cpu += r.cpuS;
      got[name] = r.wallS;
    }
    ratios.push(got[nameA]! / got[nameB]!);
  }
}
const sorted = ratios.sort((x, y) => x - y);
console.log('| variant | audio s per wall s | audio s per CPU s |\n|---|---|---|');
for (const [name, t] of Object.entries(totals)) console.log(`| ${name} | ${(t.audio / t.wall).toFixed(1)} | ${(t.audio / t.cpu).toFixed(1)} |`);
console.log(`median pair ratio wall(${nameA}) / wall(${nameB}): ${sorted[Math.floor(sorted.length / 2)]!.toFixed(3)} over ${sorted.length} pairs`);
await a.close();
await b.close();
