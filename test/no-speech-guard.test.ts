/**
 * The no-speech guard's VAD half through the whole engine, with the real Silero model and real
 * audio: each segment carries the mean and max speech probability of the 32 ms windows it covers
 * (`speechProbability`), with VAD on and off, and a segment whose max stays below the VAD's
 * negative threshold (0.35 by default) is flagged `noSpeech`; `dropNoSpeech` then leaves it out
 * of the text.
 *
 * The tagged tiny model's language frame follows its prompt and never says "nospeech" (checked
 * below), so every flag here comes from the VAD. Its text is random: only flags, probabilities
 * and which segments the text keeps are asserted, never what the text says.
 *
 * mix.wav: noise-only.wav 15 times (30 s of noise), the tones of music-tones.wav (0.5–3.5 s)
 * 10 times (30 s of tones), then en.wav (6 s of speech): with VAD off, one fixed 30 s chunk each.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import type { Transcript, TranscriptSegment } from '@earshot/core/results/transcript';
import { transcriptSchema } from '@earshot/core/results/transcript-schema';
import { TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR } from './setup/paths.js';

const run = promisify(execFile);
/** The default VAD threshold 0.5 − 0.15: below it Silero holds that speech has ended. */
const NEG_THRESHOLD = 0.35;

let engine: Engine;
let dir: string;
let mix: Uint8Array;
const audio = (name: string): Promise<Uint8Array> => readFile(join(TEST_AUDIO_DIR, name));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'earshot-no-speech-'));
  const tones = join(dir, 'tones.wav');
  await run('sox', [join(TEST_AUDIO_DIR, 'music-tones.wav'), tones, 'trim', '0.5', '3.0']);
  const parts = [...Array<string>(15).fill(join(TEST_AUDIO_DIR, 'noise-only.wav')), ...Array<string>(10).fill(tones), join(TEST_AUDIO_DIR, 'en.wav')];
  await run('sox', [...parts, join(dir, 'mix.wav')]);
  mix = await readFile(join(dir, 'mix.wav'));
  engine = await loadEngine(loadEngineConfig({}, { modelDir: TAGGED_TINY_MODEL_DIR, threads: 1 }), { inferenceThread: false });
});

afterAll(async () => {
  await engine?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The model's half of the flag: false for every segment here, so a flag is the VAD's. */
function expectModelSaysSpeech(segments: TranscriptSegment[]): void {
  for (const s of segments) {
    expect(s.language).not.toBe('nospeech');
    expect(s.languageProbs?.nospeech ?? 0).toBeLessThan(0.5);
  }
}

const textOf = (segments: TranscriptSegment[]): string =>
  segments
    .map((s) => s.text)
    .filter((t) => t.length > 0)
    .join(' ');

describe('no-speech guard from the VAD’s speech probability', () => {
  it('flags noise transcribed without VAD, not speech (alone or over tones)', async () => {
    const noise = await engine.transcribe(await audio('noise-only.wav'), { vad: false });
    const speech = await engine.transcribe(await audio('en.wav'), { vad: false });
    const overTones = await engine.transcribe(await audio('music-tones.wav'), { vad: false });
    for (const t of [noise, speech, overTones]) {
      expect(t.segments).toHaveLength(1);
      expectModelSaysSpeech(t.segments);
    }
    const [n, s, o] = [noise.segments[0]!, speech.segments[0]!, overTones.segments[0]!];
    expect(n.speechProbability!.max).toBeLessThan(NEG_THRESHOLD);
    expect(n.noSpeech).toBe(true);
    expect(noise.summary.noSpeech).toEqual({ segments: 1, seconds: noise.audio.durationS });
    for (const kept of [s, o]) {
      expect(kept.speechProbability!.max).toBeGreaterThan(0.9);
      expect(kept.noSpeech).toBe(false);
    }
    // the mean weighs the speech against the whole chunk: en.wav is mostly speech
    expect(s.speechProbability!.mean).toBeGreaterThan(0.5);
    expect(n.speechProbability!.mean).toBeLessThan(0.05);
  });

  it('flags the 30 s chunk of noise in a longer file, keeps the others, and dropNoSpeech leaves it out of the text', async () => {
    const all = await engine.transcribe(mix, { vad: false });
    const dropped = await engine.transcribe(mix, { vad: false, dropNoSpeech: true });
    expect(all.segments.map((s) => [s.startS, s.endS])).toEqual([
      [0, 30],
      [30, 60],
      [60, all.audio.durationS],
    ]);
    expectModelSaysSpeech(all.segments);
    const [noise, tones, speech] = all.segments as [TranscriptSegment, TranscriptSegment, TranscriptSegment];
    expect(noise.speechProbability!.max).toBeLessThan(NEG_THRESHOLD);
    expect(noise.noSpeech).toBe(true);
    expect(speech.speechProbability!.max).toBeGreaterThan(0.9);
    expect(speech.noSpeech).toBe(false);
    // The synthetic tones: low throughout on average, but Silero peaks above 0.35 where a tone
    // starts (measured max 0.63), so the max rule keeps the chunk. The guard only flags what
    // never looked like speech to the VAD, even for one window.
    expect(tones.speechProbability!.mean).toBeLessThan(0.1);
    expect(tones.speechProbability!.max).toBeGreaterThanOrEqual(NEG_THRESHOLD);
    expect(tones.noSpeech).toBe(false);

    expect(all.summary.noSpeech).toEqual({ segments: 1, seconds: 30 });
    expect(transcriptSchema.parse(JSON.parse(JSON.stringify(all)))).toEqual(all);
    // the same segments (flagged, in JSON) either way; the text leaves the flagged one out
    expect(dropped.segments).toEqual(all.segments);
    expect(noise.text.length).toBeGreaterThan(0);
    expect(all.text).toBe(textOf(all.segments));
    expect(dropped.text).toBe(textOf([tones, speech]));
    expect(dropped.text.length).toBeLessThan(all.text.length);
  });

  it('with VAD on, measures each detected segment: the VAD found speech in it, so it is never flagged for that', async () => {
    const t = await engine.transcribe(mix);
    expect(t.segments.length).toBeGreaterThan(0);
    for (const s of t.segments) {
      expect(s.startS).toBeGreaterThanOrEqual(60); // nothing detected in the noise or the tones
      expect(s.speechProbability!.max).toBeGreaterThanOrEqual(0.5);
      expect(s.speechProbability!.mean).toBeLessThanOrEqual(s.speechProbability!.max);
      expect(s.noSpeech).toBe(false);
    }
  });

  it("follows the request's VAD threshold: the negative threshold moves with it", async () => {
    // FunASR merge makes one span of the noise and tones before the speech (0 to its start)
    const merged = (vad: object): Promise<Transcript> => engine.transcribe(mix, { vad: { merge: true, ...vad } });
    const byDefault = await merged({});
    const lead = byDefault.segments[0]!;
    expect(lead.startS).toBe(0);
    expect(lead.endS).toBeGreaterThan(59);
    const max = lead.speechProbability!.max;
    expect(max).toBeGreaterThanOrEqual(NEG_THRESHOLD);
    expect(lead.noSpeech).toBe(false);
    // a negative threshold just above that max flags the span (threshold ≥ negThreshold)
    const negThreshold = Math.min(1, Math.round((max + 0.01) * 100) / 100);
    const strict = await merged({ threshold: negThreshold, negThreshold });
    const strictLead = strict.segments[0]!;
    expect(strictLead.speechProbability!.max).toBeLessThan(negThreshold);
    expect(strictLead.noSpeech).toBe(true);
  });
});
