/**
 * Per-channel transcripts (`channels: 'separate'`) through the whole engine, on the generated
 * two-channel calls (scripts/make-test-audio.sh: the agent on the left in one espeak-ng voice,
 * the customer on the right in another, the right side silent for its first 6 s, one turn
 * talking over the other). The model is the tagged tiny synthetic one: its words are random, so
 * these tests look at where segments are, on which channel, and how the document is put
 * together, never at what the text says.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import type { Engine, TranscribeProgress } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { evaluateAlerts } from '@earshot/core/jobs/alerts';
import { AlertRuleSchema } from '@earshot/core/jobs/job-options';
import { formatTranscript } from '@earshot/core/results/formats/format-transcript';
import type { Transcript, TranscriptSegment } from '@earshot/core/results/transcript';
import { transcriptSchema } from '@earshot/core/results/transcript-schema';
import { TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR } from './setup/paths.js';

interface ManifestSpeech {
  startS: number;
  endS: number;
  channel: number;
}

let engine: Engine;
let call: Transcript;
let speech: ManifestSpeech[];
const CALL = join(TEST_AUDIO_DIR, 'call-stereo.wav');
const names = ['agent', 'customer'];

beforeAll(async () => {
  engine = await loadEngine(loadEngineConfig({}, { modelDir: TAGGED_TINY_MODEL_DIR, threads: 1 }), { inferenceThread: false });
  const manifest = JSON.parse(await readFile(join(TEST_AUDIO_DIR, 'manifest.json'), 'utf8')) as {
    files: Record<string, { speech: ManifestSpeech[] }>;
  };
  speech = manifest.files['call-stereo.wav']!.speech;
  call = await engine.transcribeFile(CALL, { channels: 'separate', channelNames: names });
});

afterAll(async () => {
  await engine?.close();
});

const overlaps = (s: { startS: number; endS: number }, i: { startS: number; endS: number }): boolean => s.startS < i.endS && i.startS < s.endS;
const tokensOf = (t: Transcript): string[] => t.segments.map((s) => `${s.channel}:${s.startS}:${s.tokens.map((k) => k.id).join(',')}`);

describe("channels: 'separate'", () => {
  it('transcribes each side on its own: every sentence is found on its channel, nothing on the customer side before it speaks', () => {
    expect(transcriptSchema.parse(call)).toEqual(call);
    expect(call.options).toMatchObject({ channels: 'separate', channelNames: names });
    expect(new Set(call.segments.map((s) => s.channel))).toEqual(new Set([0, 1]));
    for (const sentence of speech) {
      const heard = call.segments.filter((s) => s.channel === sentence.channel && overlaps(s, sentence));
      expect(heard.length, `sentence at ${sentence.startS} s on channel ${sentence.channel}`).toBeGreaterThan(0);
    }
    // The customer's side is digital silence until 6 s.
    const customer = call.segments.filter((s) => s.channel === 1);
    expect(Math.min(...customer.map((s) => s.startS))).toBeGreaterThan(5.5);
    // Every segment lies over speech of its own channel (the other side's voice does not leak in).
    for (const segment of call.segments) {
      expect(speech.some((i) => i.channel === segment.channel && overlaps(segment, i))).toBe(true);
    }
  });

  it('keeps turns that talk over each other apart, interleaved by time and numbered in that order', () => {
    const starts = call.segments.map((s) => s.startS);
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(call.segments.map((s) => s.index)).toEqual(call.segments.map((_, i) => i));
    const agentOverlapped = call.segments.some(
      (a) => a.channel === 0 && call.segments.some((c) => c.channel === 1 && overlaps(a, c)),
    );
    expect(agentOverlapped).toBe(true);
  });

  it('keeps language, text, timelines and summary per channel, and the whole file over both', () => {
    expect(call.channels?.map((c) => [c.channel, c.name, c.silent])).toEqual([
      [0, 'agent', false],
      [1, 'customer', false],
    ]);
    for (const channel of call.channels!) {
      const own = call.segments.filter((s) => s.channel === channel.channel);
      expect(channel.text).toBe(own.map((s) => s.text).filter((t) => t !== '').join(' '));
      const ownSeconds = own.reduce((total, s) => total + (s.endS - s.startS), 0);
      expect(channel.summary.speechS).toBeCloseTo(ownSeconds, 2); // one side's segments never overlap each other
      for (const interval of [...channel.emotionTimeline, ...channel.eventTimeline]) expect(interval.channel).toBe(channel.channel);
    }
    // The top-level timelines are the channels' intervals, in time order.
    const fromChannels = call.channels!.flatMap((c) => c.emotionTimeline);
    expect(call.emotionTimeline).toHaveLength(fromChannels.length);
    expect(call.emotionTimeline.map((i) => i.startS)).toEqual([...call.emotionTimeline.map((i) => i.startS)].sort((a, b) => a - b));
    // Both sides together: the overlap counts once in the file's speech seconds.
    const sum = call.channels!.reduce((total, c) => total + c.summary.speechS, 0);
    expect(call.summary.speechS).toBeLessThan(sum);
    expect(call.summary.speechS).toBeGreaterThan(Math.max(...call.channels!.map((c) => c.summary.speechS)));
  });

  it('labels each line and cue with its channel name (Channel N without names) in the text formats', () => {
    const txt = formatTranscript(call, 'txt').body.split('\n').filter((l) => l !== '' && !l.startsWith('['));
    const shown = call.segments.filter((s) => s.text.trim() !== '');
    expect(txt).toHaveLength(shown.length);
    txt.forEach((line, i) => expect(line.startsWith(`${names[shown[i]!.channel!]}: `)).toBe(true));
    const vtt = formatTranscript(call, 'vtt').body;
    expect(vtt).toMatch(/\n(agent|customer): /);
    const unnamed = { ...call, channels: call.channels!.map((c) => ({ ...c, name: null })) };
    expect(formatTranscript(unnamed, 'srt').body).toMatch(/\nChannel [01]: /);
    expect(formatTranscript(unnamed, 'srt').body).not.toMatch(/agent|customer/);
  });

  it('fires an alert rule naming a channel on that channel only', () => {
    const emotion = call.segments.find((s) => s.channel === 1 && s.emotion !== null)?.emotion;
    expect(emotion).toBeDefined();
    const rule = (channel: number) => AlertRuleSchema.parse({ emotion, channel, minSeconds: 0 });
    const onCustomer = evaluateAlerts([rule(1)], call);
    expect(onCustomer).toHaveLength(1);
    expect(onCustomer[0]).toMatchObject({ channel: 1, label: emotion });
    expect(onCustomer[0]!.message.startsWith('customer: ')).toBe(true);
    const customerSeconds = call.segments.filter((s) => s.channel === 1 && s.emotion === emotion).reduce((t, s) => t + s.endS - s.startS, 0);
    expect(onCustomer[0]!.value).toBeCloseTo(customerSeconds, 2);
    // A rule on a channel the emotion never shows up on does not fire.
    const agentHas = call.segments.some((s) => s.channel === 0 && s.emotion === emotion);
    expect(evaluateAlerts([rule(0)], call)).toHaveLength(agentHas ? 1 : 0);
  });

  it('decodes FLAC through ffmpeg to the same segments and tokens as the WAV', async () => {
    const flac = await engine.transcribeFile(join(TEST_AUDIO_DIR, 'call-stereo.flac'), { channels: 'separate', channelNames: names });
    expect(tokensOf(flac)).toEqual(tokensOf(call));
    // Bytes in memory take the same path as a file.
    const inMemory = await engine.transcribe(await readFile(CALL), { channels: 'separate', channelNames: names });
    expect(tokensOf(inMemory)).toEqual(tokensOf(call));
  });

  it('sends nothing of a silent channel to the model, even with VAD off', async () => {
    const seen: TranscriptSegment[] = [];
    const progress: TranscribeProgress[] = [];
    const oneSide = await engine.transcribeFile(
      join(TEST_AUDIO_DIR, 'call-one-side.wav'),
      { channels: 'separate', vad: false },
      { onSegment: (s) => seen.push(s), onProgress: (p) => progress.push(p) },
    );
    expect(oneSide.channels?.map((c) => [c.channel, c.silent, c.name])).toEqual([
      [0, false, null],
      [1, true, null],
    ]);
    // With VAD off a spoken channel is one 22 s chunk; the silent one would have been another.
    expect(oneSide.segments.map((s) => s.channel)).toEqual([0]);
    expect(seen.map((s) => s.channel)).toEqual([0]); // every segment the model decoded
    expect(oneSide.channels![1]!.summary.speechS).toBe(0);
    expect(progress.at(-1)).toMatchObject({ phase: 'done', fraction: 1 });
    const fractions = progress.map((p) => p.fraction);
    expect(fractions.every((f) => f >= 0 && f <= 1)).toBe(true);
  });

  it('is one channel for a mono file; mixing stays the default; options that contradict are refused', async () => {
    const mono = await engine.transcribeFile(join(TEST_AUDIO_DIR, 'en.wav'), { channels: 'separate' });
    expect(mono.channels?.map((c) => c.channel)).toEqual([0]);
    expect(mono.segments.every((s) => s.channel === 0)).toBe(true);
    const mixed = await engine.transcribeFile(CALL);
    expect(mixed.options.channels).toBe('mix');
    expect(mixed.channels).toBeUndefined();
    expect(mixed.segments.every((s) => s.channel === null)).toBe(true);
    expect(formatTranscript(mixed, 'txt').body).not.toMatch(/Channel/);
    await expect(engine.transcribeFile(CALL, { channelNames: ['a', 'b'] })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
    // Decoded mono audio cannot be split into channels any more.
    const audio = await engine.decode(await readFile(CALL));
    await expect(engine.transcribeAudio(audio, { channels: 'separate' })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });

  it('refuses a file whose every channel is silent, like a silent mono file', async () => {
    const silentStereo = join(TEST_AUDIO_DIR, 'silence.wav');
    await expect(engine.transcribeFile(silentStereo, { channels: 'separate' })).rejects.toMatchObject({ code: 'AUDIO_SILENT' });
  });
});
