import { describe, expect, it } from 'vitest';
import { UNSCORED_TAGS } from '../decoding/segment-tags.js';
import { buildTranscript } from '../results/build-transcript.js';
import type { Transcript, TranscriptSegment } from '../results/transcript.js';
import { evaluateAlerts } from './alerts.js';
import { AlertRuleSchema, type AlertRule } from './job-options.js';

/** A transcript of `durationS` seconds whose segments carry the given [startS, endS, emotion, event]. */
function transcriptOf(durationS: number, spans: [number, number, string | null, string | null][]): Transcript {
  const segments: TranscriptSegment[] = spans.map(([startS, endS, emotion, event], index) => ({
    index,
    startS,
    endS,
    channel: null,
    language: 'en',
    emotion,
    event,
    itn: true,
    text: 'hello',
    rawText: `<|en|><|${emotion ?? 'EMO_UNKNOWN'}|><|${event ?? 'Speech'}|><|withitn|>hello`,
    richText: 'hello',
    tokens: [],
    words: [],
    ...UNSCORED_TAGS,
    speechProbability: null,
  }));
  return buildTranscript({
    audio: { durationS, format: 'wav', sampleRate: 16_000, channels: 1 },
    segments,
    timings: { decodeMs: 0, vadMs: 0, featuresMs: 0, inferenceMs: 0, decodingMs: 0, totalMs: 0, realTimeFactor: 0 },
    model: { name: 'test', file: 'model.onnx', synthetic: false, quantized: false, vocabSize: 10, executionProvider: 'cpu' },
    options: { language: 'auto', itn: true, banEmotionUnknown: false, vad: true, languages: null, dropNoSpeech: false, timelineMinConfidence: 0, channels: 'mix', channelNames: null },
  });
}

const rules = (...input: unknown[]): AlertRule[] => input.map((r) => AlertRuleSchema.parse(r));

// 120 s of audio: 7 s ANGRY over two segments, Laughter in 3 segments (1.5/min), Speech in 2.
const call = transcriptOf(120, [
  [0, 4, 'ANGRY', 'Speech'],
  [10, 13, 'ANGRY', 'Laughter'],
  [20, 22, 'HAPPY', 'Laughter'],
  [30, 31, 'NEUTRAL', 'Laughter'],
  [40, 45, 'NEUTRAL', 'Speech'],
]);

describe('evaluateAlerts', () => {
  it('counts only the segments of the channel a rule names, and never matches a mixed transcript', () => {
    // The same call with its segments on two channels: the anger of the first two is the agent's (0), the rest the customer's (1).
    const segments = call.segments.map((s, i) => ({ ...s, channel: i < 2 ? 0 : 1 }));
    const split = buildTranscript({
      ...call,
      segments,
      options: { ...call.options, channels: 'separate', channelNames: ['agent', 'customer'] },
      channels: [0, 1].map((channel) => ({ channel, silent: false })),
    });
    expect(evaluateAlerts(rules({ emotion: 'ANGRY', channel: 1 }), split)).toEqual([]);
    const [onAgent] = evaluateAlerts(rules({ emotion: 'ANGRY', channel: 0, minSeconds: 5 }), split);
    expect(onAgent).toMatchObject({ channel: 0, value: 7, rule: 'emotion:ANGRY>=5s#0' });
    expect(onAgent?.message).toBe('agent: 7 s of ANGRY speech (threshold 5 s)');
    expect(evaluateAlerts(rules({ event: 'Laughter', channel: 1, minCount: 2 }), split)).toMatchObject([{ channel: 1, value: 2 }]);
    expect(evaluateAlerts(rules({ emotion: 'ANGRY', channel: 0 }), call)).toEqual([]);
    expect(() => rules({ emotion: 'ANGRY', channel: 8 })).toThrow();
  });

  it('matches an emotion rule when that emotion lasts at least minSeconds', () => {
    expect(call.summary.emotionSeconds.ANGRY).toBe(7);
    const [match, ...rest] = evaluateAlerts(rules({ emotion: 'ANGRY', minSeconds: 5 }), call);
    expect(rest).toEqual([]);
    expect(match).toMatchObject({ kind: 'emotion', label: 'ANGRY', value: 7, threshold: 5, rule: 'emotion:ANGRY>=5s' });
    expect(match?.message).toContain('7 s of ANGRY');
  });

  it('does not match an emotion below minSeconds, nor one that never occurs (minSeconds 0 means "any")', () => {
    expect(evaluateAlerts(rules({ emotion: 'ANGRY', minSeconds: 7.5 }), call)).toEqual([]);
    expect(evaluateAlerts(rules({ emotion: 'SAD' }), call)).toEqual([]);
    expect(evaluateAlerts(rules({ emotion: 'HAPPY' }), call)).toHaveLength(1);
  });

  it('matches an event rule on count, on rate, and on both only when both hold', () => {
    expect(call.summary.events.Laughter).toEqual({ count: 3, seconds: 6, perMinute: 1.5 });
    const byCount = evaluateAlerts(rules({ event: 'Laughter', minCount: 3 }), call);
    expect(byCount).toMatchObject([{ kind: 'event', label: 'Laughter', value: 3, threshold: 3 }]);
    const byRate = evaluateAlerts(rules({ event: 'Laughter', minPerMinute: 1.5 }), call);
    expect(byRate).toMatchObject([{ value: 1.5, threshold: 1.5 }]);
    expect(evaluateAlerts(rules({ event: 'Laughter', minCount: 4 }), call)).toEqual([]);
    expect(evaluateAlerts(rules({ event: 'Laughter', minPerMinute: 2 }), call)).toEqual([]);
    expect(evaluateAlerts(rules({ event: 'Laughter', minCount: 2, minPerMinute: 2 }), call)).toEqual([]);
    expect(evaluateAlerts(rules({ event: 'Laughter', minCount: 2, minPerMinute: 1 }), call)).toHaveLength(1);
  });

  it('treats an event rule without thresholds as "occurs at least once"', () => {
    expect(evaluateAlerts(rules({ event: 'Speech' }), call)).toMatchObject([{ value: 2, threshold: 1 }]);
    expect(evaluateAlerts(rules({ event: 'Applause' }), call)).toEqual([]);
  });

  it('keeps rule order, uses the rule name when given, and ignores inherited property names', () => {
    const matches = evaluateAlerts(
      rules({ event: 'Speech', name: 'talk' }, { emotion: 'SAD' }, { emotion: 'ANGRY', name: 'angry caller' }),
      call,
    );
    expect(matches.map((m) => m.rule)).toEqual(['talk', 'angry caller']);
    // A synthetic model's labels can be any vocabulary piece; summary maps are plain objects.
    const odd = transcriptOf(60, [[0, 2, 'constructor', 'toString']]);
    expect(evaluateAlerts(rules({ emotion: 'NEUTRAL' }, { event: 'Cough' }), odd)).toEqual([]);
  });

  it('counts only segments whose tag clears minConfidence', () => {
    const t = transcriptOf(60, [
      [0, 4, 'ANGRY', 'Laughter'],
      [4, 8, 'ANGRY', 'Laughter'],
      [8, 12, 'ANGRY', 'Laughter'],
    ]);
    const confidences = [0.9, 0.7, 0.4];
    t.segments.forEach((s, i) => {
      s.emotionConfidence = confidences[i] ?? null;
      s.eventConfidence = confidences[i] ?? null;
    });
    expect(evaluateAlerts(rules({ emotion: 'ANGRY', minSeconds: 10 }), t)).toMatchObject([{ value: 12 }]);
    expect(evaluateAlerts(rules({ emotion: 'ANGRY', minSeconds: 5, minConfidence: 0.6 }), t)).toMatchObject([
      { rule: 'emotion:ANGRY>=5s@0.6', value: 8, threshold: 5 },
    ]);
    expect(evaluateAlerts(rules({ emotion: 'ANGRY', minSeconds: 10, minConfidence: 0.6 }), t)).toEqual([]);
    expect(evaluateAlerts(rules({ event: 'Laughter', minCount: 1, minConfidence: 0.8 }), t)).toMatchObject([{ value: 1 }]);
    // Unknown confidence (an unscored segment) never clears a floor.
    expect(evaluateAlerts(rules({ emotion: 'ANGRY', minConfidence: 0.1 }), transcriptOf(60, [[0, 4, 'ANGRY', null]]))).toEqual([]);
  });

  it('finds nothing in a transcript without segments', () => {
    expect(evaluateAlerts(rules({ emotion: 'ANGRY' }, { event: 'Speech' }), transcriptOf(0, []))).toEqual([]);
  });
});
