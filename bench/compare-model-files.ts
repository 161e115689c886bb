/**
 * Precision and provider agreement: decodes the same parity-corpus features with several
 * (model file, execution provider) pairs of one model directory and compares each with the first:
 * greedy ids (exact) and the query frames' tag log-probabilities (max |Δ|). Used to check an fp16
 * model against fp32, and a GPU provider against the CPU.
 *
 *   npx tsx --conditions=source bench/compare-model-files.ts DIR model.onnx:cpu model.fp16.onnx:cpu [model.fp16.onnx:webgpu]
 *     [--files en.wav,zh.wav,en-zh-silence.wav] [--seconds 5]
 *
 * webgpu without VK_ICD_FILENAMES set uses SwiftShader (Debian's chromium package) when installed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readAudioFile } from '@earshot/core/audio/decode';
import { queryTagIds } from '@earshot/core/decoding/query-tags';
import { SymbolTable } from '@earshot/core/decoding/symbol-table';
import { FeatureExtractor, featureOptionsOf } from '@earshot/core/features/compute-features';
import { EXECUTION_PROVIDERS, type BatchItem, type ExecutionProvider, type ItemDecode } from '@earshot/core/model/inference-runner';
import { SenseVoiceSession } from '@earshot/core/model/sense-voice-session';

const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';
const AUDIO_DIR = join(import.meta.dirname, '..', '.cache', 'test-audio');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { files: { type: 'string', default: 'en.wav,zh.wav,en-zh-silence.wav' }, seconds: { type: 'string', default: '5' } },
});
const [dir, ...pairs] = positionals;
if (!dir || pairs.length < 2) throw new Error('usage: compare-model-files.ts DIR FILE:PROVIDER FILE:PROVIDER [...]');
const runs = pairs.map((p) => {
  const [file, provider] = p.split(':') as [string, string];
  if (!(EXECUTION_PROVIDERS as readonly string[]).includes(provider)) throw new Error(`unknown provider in ${p}`);
  return { file, provider: provider as ExecutionProvider };
});
if (runs.some((r) => r.provider === 'webgpu') && !process.env.VK_ICD_FILENAMES && existsSync(SWIFTSHADER_ICD)) {
  process.env.VK_ICD_FILENAMES = SWIFTSHADER_ICD;
}

const tagIds = queryTagIds(await SymbolTable.fromFile(join(dir, 'tokens.txt')));
let items: BatchItem[] | null = null;
const results: { label: string; decodes: ItemDecode[]; batchMs: number }[] = [];
for (const { file, provider } of runs) {
  const session = await SenseVoiceSession.create(join(dir, file), { threads: 1, provider, deviceId: 0 }, { queryTagIds: tagIds });
  if (!items) {
    const m = session.metadata;
    const fx = new FeatureExtractor(featureOptionsOf(m));
    items = [];
    for (const f of values.files.split(',')) {
      const audio = await readAudioFile(join(AUDIO_DIR, f), { ffmpegPath: null });
      const feats = fx.compute(audio.samples.subarray(0, Math.round(16000 * Number(values.seconds))));
      items.push({ features: feats.data, frames: feats.frames, languageId: m.languageIds.auto, textNormId: m.withoutItn });
    }
  }
  const started = performance.now();
  const decodes = await session.decodeBatch(items);
  results.push({ label: `${file}:${provider}`, decodes, batchMs: performance.now() - started });
  await session.close();
}

const [ref, ...others] = results as [(typeof results)[0], ...typeof results];
console.log(`items: ${items!.map((i) => i.frames).join(', ')} LFR frames; reference ${ref.label} (batch ${ref.batchMs.toFixed(0)} ms)`);
for (const r of others) {
  let equal = 0;
  let total = 0;
  let edits = 0;
  let refTokens = 0;
  let maxDelta = 0;
  r.decodes.forEach((d, i) => {
    const a = ref.decodes[i]!;
    total += Math.max(a.ids.length, d.ids.length);
    for (let j = 0; j < Math.min(a.ids.length, d.ids.length); j++) if (a.ids[j] === d.ids[j]) equal++;
    edits += editDistance(a.ids, d.ids);
    refTokens += a.ids.length;
    d.queryLogProbs?.forEach((v, j) => (maxDelta = Math.max(maxDelta, Math.abs(v - a.queryLogProbs![j]!))));
  });
  const same = JSON.stringify(r.decodes.map((d) => d.ids)) === JSON.stringify(ref.decodes.map((d) => d.ids));
  console.log(
    `${r.label}: ids ${same ? 'identical' : 'DIFFER'} (${equal}/${total} tokens equal in place, token edit distance ${edits}/${refTokens} = ${((100 * edits) / refTokens).toFixed(2)}%), max |Δ tag log-prob| ${maxDelta.toExponential(2)}, batch ${r.batchMs.toFixed(0)} ms`,
  );
}

/** Levenshtein distance between two id sequences (substitutions, insertions, deletions). */
function editDistance(a: readonly number[], b: readonly number[]): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}
