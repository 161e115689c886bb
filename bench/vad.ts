/**
 * Silero VAD benchmark (not a test): the serial detector (one window per ONNX call) against the
 * batched one in its worker thread, on the test corpus concatenated to ≥ 10 minutes.
 *
 *   npm run bench:vad -- [--mode throughput|warmup|batch-sizes] [--runs 3] [--minutes 10] [--jobs 16]
 *                        [--max-batch 64] [--min-region-s 30] [--warmup-s 30]
 *
 * throughput: audio seconds per CPU second (process.cpuUsage: every thread of the process, so
 *   the VAD thread is counted) and per wall second, alternating run by run, medians, one
 *   intra-op thread everywhere, for: the serial SileroVad; the threaded detector on one file
 *   (one stream); on `jobs` different files at once (the corpus rotated, one stream each,
 *   stepped together); on one file cut into regions (--min-region-s, --warmup-s).
 * batch-sizes: SileroBatch alone, CPU per window for B = 1 … 128 streams per ONNX call.
 * warmup: for each warm-up length, the batched probabilities against the serial run's (max and
 *   mean |Δp| over the kept frames after region starts, frames with |Δp| > 0.01) and the speech
 *   segments against the serial ones (count, largest boundary shift), with short regions
 *   (--min-region-s 10 unless given) so there are many region starts.
 */
import { parseArgs } from 'node:util';
import { memorySampleSource } from '@earshot/core/audio/sample-source';
import { segmentsFromProbabilities } from '@earshot/core/vad/detect-speech';
import type { SpeechSegment } from '@earshot/core/vad/segmenter';
import { SileroBatch } from '@earshot/core/vad/silero-batch';
import { SileroVad } from '@earshot/core/vad/silero-vad';
import { ensureTestAudio, longCorpusSamples, readWav16kMono } from '@earshot/core/vad/test-audio-fixtures';
import { ThreadedSileroDetector } from '@earshot/core/vad/threaded-silero-detector';
import { VadOptionsSchema } from '@earshot/core/vad/vad-options';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'throughput' },
    runs: { type: 'string', default: '3' },
    minutes: { type: 'string', default: '10' },
    'max-batch': { type: 'string' },
    'min-region-s': { type: 'string' },
    'warmup-s': { type: 'string' },
    jobs: { type: 'string', default: '16' },
  },
});
const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));

ensureTestAudio();
const long = longCorpusSamples(Number(values.minutes) * 60);
const longS = long.length / 16_000;
const options = VadOptionsSchema.parse({});
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function measure(run: () => Promise<unknown>): Promise<{ cpuS: number; wallS: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await run();
  const cpu = process.cpuUsage(cpu0);
  return { cpuS: (cpu.user + cpu.system) / 1e6, wallS: (performance.now() - t0) / 1000 };
}

function compareSegments(a: SpeechSegment[], b: SpeechSegment[]): string {
  if (a.length !== b.length) return `count ${a.length} vs ${b.length}`;
  let worst = 0;
  a.forEach((s, i) => (worst = Math.max(worst, Math.abs(s.startS - b[i]!.startS), Math.abs(s.endS - b[i]!.endS))));
  return `${a.length} segments, max shift ${(worst * 1000).toFixed(0)} ms`;
}

if (values.mode === 'throughput') {
  const runs = Number(values.runs);
  const jobs = Number(values.jobs);
  const vad = await SileroVad.create();
  const maxBatch = num(values['max-batch']);
  const oneStream = await ThreadedSileroDetector.start({ maxBatch });
  const regions = await ThreadedSileroDetector.start({
    maxBatch,
    minRegionS: num(values['min-region-s']) ?? 30,
    warmupS: num(values['warmup-s']),
  });
  // `jobs` different files: the corpus rotated by 1/jobs each, all detected at once
  const rotated = Array.from({ length: jobs }, (_, j) => {
    const at = Math.floor((j * long.length) / jobs);
    const out = new Float32Array(long.length);
    out.set(long.subarray(at), 0);
    out.set(long.subarray(0, at), long.length - at);
    return memorySampleSource(out);
  });
  const source = memorySampleSource(long);
  const variants: { name: string; audioS: number; run: () => Promise<unknown>; detector?: ThreadedSileroDetector }[] = [
    { name: 'serial', audioS: longS, run: () => vad.probabilities(long) },
    { name: 'thread, 1 file', audioS: longS, run: () => oneStream.detect(source, options), detector: oneStream },
    {
      name: `thread, ${jobs} files at once`,
      audioS: jobs * longS,
      run: () => Promise.all(rotated.map((src) => oneStream.detect(src, options))),
      detector: oneStream,
    },
    { name: 'thread, 1 file in regions', audioS: longS, run: () => regions.detect(source, options), detector: regions },
  ];
  console.log(`audio ${longS.toFixed(0)} s (test corpus concatenated); ${runs} runs of each variant, alternating; medians`);
  const results = variants.map(() => [] as { cpuS: number; wallS: number; batch: number }[]);
  for (let i = 0; i < runs; i++) {
    for (const [k, v] of variants.entries()) {
      const before = await v.detector?.counters();
      const m = await measure(v.run);
      const after = await v.detector?.counters();
      const batch = before && after ? (after.windows - before.windows) / (after.steps - before.steps) : 1;
      results[k]!.push({ ...m, batch });
    }
  }
  for (const [k, v] of variants.entries()) {
    const m = results[k]!;
    console.log(
      `${v.name.padEnd(28)} ${(v.audioS / median(m.map((x) => x.cpuS))).toFixed(0).padStart(6)}× per CPU s ${(v.audioS / median(m.map((x) => x.wallS))).toFixed(0).padStart(6)}× per wall s  mean batch ${median(m.map((x) => x.batch)).toFixed(1)}  (CPU s: ${m.map((x) => x.cpuS.toFixed(2)).join(' ')})`,
    );
  }
  await Promise.all([vad.close(), oneStream.close(), regions.close()]);
} else if (values.mode === 'batch-sizes') {
  // the ONNX cost per window as the batch grows: SileroBatch alone, B streams of the corpus
  const sizes = [1, 2, 4, 8, 16, 32, 64, 128];
  console.log('B = streams per ONNX call; CPU per window, median of 3 runs of 600 steps');
  for (const b of sizes) {
    const batch = await SileroBatch.create({ maxBatch: b });
    const cpuPerWindow: number[] = [];
    for (let run = 0; run < 3; run++) {
      for (let k = 0; k < b; k++) {
        const at = ((k * 7919 + run * 104_729) * 512) % (long.length - 600 * 512);
        batch.feed(run * 1000 + k, long.slice(at, at + 600 * 512), true);
      }
      const before = batch.counters.windows;
      const m = await measure(async () => {
        while (batch.readyCount > 0) await batch.step();
      });
      cpuPerWindow.push(m.cpuS / (batch.counters.windows - before));
    }
    const perWindowMs = median(cpuPerWindow) * 1000;
    console.log(`B ${String(b).padStart(3)}: ${perWindowMs.toFixed(4)} ms CPU per window → ${(32 / perWindowMs).toFixed(0)}× real time per core`);
    await batch.close();
  }
} else if (values.mode === 'warmup') {
  const vad = await SileroVad.create();
  const files: [string, Float32Array][] = [
    ...['en-60s.wav', 'long-45s.wav', 'en-zh-silence.wav', 'music-tones.wav', 'noise-only.wav'].map(
      (n) => [n, readWav16kMono(n)] as [string, Float32Array],
    ),
    [`corpus-${Math.round(longS)}s`, long],
  ];
  const reference = new Map<string, Float32Array>();
  for (const [name, samples] of files) reference.set(name, await vad.probabilities(samples));
  const minRegionS = num(values['min-region-s']) ?? 10;
  const warmups = values['warmup-s'] ? [Number(values['warmup-s'])] : [0, 0.25, 0.5, 1, 2, 4, 8];
  console.log(`regions of ≥ ${minRegionS} s; |Δp| over kept frames of the regions after the first`);
  for (const warmupS of warmups) {
    const detector = await ThreadedSileroDetector.start({ minRegionS, warmupS, maxBatch: num(values['max-batch']) });
    let maxD = 0;
    let sumD = 0;
    let n = 0;
    let over = 0;
    const segs: string[] = [];
    for (const [name, samples] of files) {
      const ref = reference.get(name)!;
      const got = await detector.probabilities(memorySampleSource(samples));
      const firstRegionEnd = Math.round(minRegionS / 0.032);
      for (let f = firstRegionEnd; f < ref.length; f++) {
        const d = Math.abs(ref[f]! - got[f]!);
        maxD = Math.max(maxD, d);
        sumD += d;
        n++;
        if (d > 0.01) over++;
      }
      const durationS = samples.length / 16_000;
      segs.push(`${name}: ${compareSegments(segmentsFromProbabilities(ref, durationS, options), segmentsFromProbabilities(got, durationS, options))}`);
    }
    console.log(
      `warm-up ${String(warmupS).padStart(4)} s: max |Δp| ${maxD.toFixed(4)}, mean ${(sumD / Math.max(1, n)).toExponential(2)}, frames > 0.01: ${over}/${n}\n    ${segs.join('\n    ')}`,
    );
    await detector.close();
  }
  await vad.close();
}
