/**
 * Parity with sherpa-onnx: the same generated model, the same audio, decoded by
 * sherpa-onnx-node's SenseVoice recognizer (an implementation nobody here wrote)
 * and by our engine must give identical tags and tokens, and timestamps within
 * one LFR frame.
 *
 * How the comparison is kept honest (spec §9): sherpa is fed, segment by
 * segment, exactly the 16 kHz samples our engine decoded for that segment (our
 * decoder + resampler for the 48 kHz stereo file), because sherpa's resampler
 * differs from ours and VAD is not part of the model contract. Our side runs
 * batched (padded) inference, so this also proves batching changes nothing.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudioFile } from '@earshot/core/audio/decode';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { tagLabel } from '@earshot/core/decoding/sense-voice-output';
import type { Transcript } from '@earshot/core/results/transcript';
import { processEnv } from '@earshot/core/config/env';
import { REPO_ROOT, TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR, TINY_MODEL_DIR } from './setup/paths.js';

interface SherpaResult {
  lang: string;
  emotion: string;
  event: string;
  text: string;
  tokens: string[];
  timestamps: number[];
}

const FRAME_S = 0.06;
const FILES = ['en.wav', 'zh.wav', 'en-zh-silence.wav', 'long-45s.wav', 'stereo-48k.wav'];

/** Decodes `file` with our engine and the same segments with sherpa-onnx (child process). */
async function decodeBoth(
  engine: Engine,
  file: string,
  modelDir: string,
  modelFile: string,
  work: string,
): Promise<{ ours: Transcript; sherpa: SherpaResult[] }> {
  const audio = await readAudioFile(join(TEST_AUDIO_DIR, file), { ffmpegPath: null });
  const ours = await engine.transcribeAudio(audio, { language: 'auto', itn: false });
  const samplesFile = join(work, `${file}.f32`);
  writeFileSync(samplesFile, Buffer.from(audio.samples.buffer, audio.samples.byteOffset, audio.samples.byteLength));
  const segments = ours.segments.map((s) => {
    const offset = Math.round(s.startS * 16000);
    return { offset, length: Math.min(audio.samples.length, Math.round(s.endS * 16000)) - offset };
  });
  const requestFile = join(work, `${file}.json`);
  writeFileSync(
    requestFile,
    JSON.stringify({
      model: join(modelDir, modelFile),
      tokens: join(modelDir, 'tokens.txt'),
      samplesFile,
      segments,
      language: 'auto',
      itn: false,
      threads: 2,
    }),
  );
  const out = execFileSync('node', [join(REPO_ROOT, 'test/support/sherpa-decode.cjs'), requestFile], {
    maxBuffer: 256 * 1024 * 1024,
  });
  return { ours, sherpa: (JSON.parse(out.toString()) as { results: SherpaResult[] }).results };
}

/**
 * The tiny model, and its tagged-slot variant (real `<|en|>`, `<|NEUTRAL|>`, `<|Speech|>` tags, so
 * label parsing is compared on real tags too), always; a full-size model too when EARSHOT_PARITY_FULL_MODEL_DIR names a
 * directory made by `npm run model:generate -- --size full` (slow: about a minute to load
 * in both runtimes, so it is run by hand, not in CI).
 */
const MODELS: [string, string][] = [
  ['tiny', TINY_MODEL_DIR],
  ['tiny tagged-slot', TAGGED_TINY_MODEL_DIR],
];
const fullDir = processEnv().EARSHOT_PARITY_FULL_MODEL_DIR;
if (fullDir) MODELS.push(['full', fullDir]);

describe.each(MODELS)('parity with sherpa-onnx-node on the %s generated model', (name, modelDir) => {
  let engine: Engine;
  let work: string;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'earshot-parity-'));
    engine = await loadEngine(loadEngineConfig({}, { modelDir, modelFile: 'model.onnx', threads: 2 }), { inferenceThread: false });
  }, 600_000);
  afterAll(async () => {
    await engine?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it.each(FILES)('%s: same tags, tokens and timestamps per segment', async (file) => {
    const { ours, sherpa } = await decodeBoth(engine, file, modelDir, 'model.onnx', work);
    expect(ours.model.synthetic).toBe(true);
    expect(ours.segments.length).toBeGreaterThan(0);
    expect(sherpa).toHaveLength(ours.segments.length);
    let tokens = 0;
    ours.segments.forEach((seg, i) => {
      const ref = sherpa[i]!;
      const where = `${file} segment ${i} [${seg.startS}, ${seg.endS}]`;
      const norm = (label: string | null): string | null => label?.replace(/^\u2581/, " ") ?? null;
      expect({ where, language: norm(seg.language), emotion: norm(seg.emotion), event: norm(seg.event) }).toEqual({
        where,
        language: tagLabel(ref.lang || null),
        emotion: tagLabel(ref.emotion || null),
        event: tagLabel(ref.event || null),
      });
      expect(seg.tokens.map((t) => t.text), where).toEqual(ref.tokens);
      expect(seg.text, where).toBe(ref.text);
      seg.tokens.forEach((t, k) => {
        expect(Math.abs(t.startS - seg.startS - ref.timestamps[k]!), `${where} token ${k}`).toBeLessThanOrEqual(FRAME_S);
      });
      if (name.includes('tagged')) {
        expect([seg.language, seg.emotion, seg.event, seg.itn], where).toEqual(['en', 'NEUTRAL', 'Speech', false]);
      }
      tokens += seg.tokens.length;
    });
    // A random-weight model emits plenty of tokens; an empty comparison would prove nothing.
    expect(tokens).toBeGreaterThan(10);
  });

  it('splits the 45 s file into several segments', async () => {
    const audio = await readAudioFile(join(TEST_AUDIO_DIR, 'long-45s.wav'), { ffmpegPath: null });
    const t = await engine.transcribeAudio(audio, { vad: { maxSegmentS: 10 } });
    expect(t.segments.length).toBeGreaterThanOrEqual(4);
    for (const s of t.segments) expect(s.endS - s.startS).toBeLessThanOrEqual(10.001);
  });
});
