import { describe, expect, it } from 'vitest';
import { buildTimeline, buildTimelines, dominantLanguage, summarize, type LabelledSpan } from './timeline.js';

function span(startS: number, endS: number, emotion: string | null, event: string | null = 'Speech', language: string | null = 'en'): LabelledSpan {
  return { startS, endS, emotion, event, language };
}
const emotion = (s: LabelledSpan) => s.emotion;

describe('buildTimeline', () => {
  it('merges same-label segments separated by at most mergeGapS (1 s by default)', () => {
    expect(buildTimeline([span(0, 2, 'HAPPY'), span(2.5, 4, 'HAPPY'), span(5, 6, 'HAPPY')], emotion)).toEqual([
      { startS: 0, endS: 6, label: 'HAPPY' },
    ]);
    expect(buildTimeline([span(0, 2, 'HAPPY'), span(3.5, 5, 'HAPPY')], emotion)).toEqual([
      { startS: 0, endS: 2, label: 'HAPPY' },
      { startS: 3.5, endS: 5, label: 'HAPPY' },
    ]);
    expect(buildTimeline([span(0, 2, 'HAPPY'), span(3.5, 5, 'HAPPY')], emotion, 2)).toEqual([
      { startS: 0, endS: 5, label: 'HAPPY' },
    ]);
  });

  it('never merges across another label or an unlabelled segment', () => {
    expect(buildTimeline([span(0, 2, 'HAPPY'), span(2, 3, 'SAD'), span(3, 4, 'HAPPY')], emotion).map((i) => i.label)).toEqual([
      'HAPPY',
      'SAD',
      'HAPPY',
    ]);
    expect(buildTimeline([span(0, 2, 'HAPPY'), span(2, 3, null), span(3.2, 4, 'HAPPY')], emotion)).toEqual([
      { startS: 0, endS: 2, label: 'HAPPY' },
      { startS: 3.2, endS: 4, label: 'HAPPY' },
    ]);
  });

  it('sorts by start, absorbs overlaps and rounds to the millisecond', () => {
    expect(buildTimeline([span(2, 2.5, 'SAD'), span(0.1, 0.1 + 0.2 + 2, 'SAD')], emotion)).toEqual([
      { startS: 0.1, endS: 2.5, label: 'SAD' },
    ]);
    expect(buildTimeline([span(0, 3, 'SAD'), span(1, 2, 'SAD')], emotion)).toEqual([{ startS: 0, endS: 3, label: 'SAD' }]);
  });

  it('is empty without segments or labels', () => {
    expect(buildTimeline([], emotion)).toEqual([]);
    expect(buildTimeline([span(0, 1, null)], emotion)).toEqual([]);
  });

  it('builds the emotion and event timelines together', () => {
    const t = buildTimelines([span(0, 1, 'HAPPY', 'BGM'), span(1, 2, 'SAD', 'BGM')]);
    expect(t.emotionTimeline.map((i) => i.label)).toEqual(['HAPPY', 'SAD']);
    expect(t.eventTimeline).toEqual([{ startS: 0, endS: 2, label: 'BGM' }]);
  });

  it('leaves tags below the confidence floor (or of unknown confidence) out of the timelines', () => {
    const spans = [
      { ...span(0, 2, 'ANGRY', 'BGM'), emotionConfidence: 0.9, eventConfidence: 0.4 },
      { ...span(2, 4, 'ANGRY', 'BGM'), emotionConfidence: 0.5, eventConfidence: 0.8 },
      { ...span(4, 6, 'ANGRY', 'BGM') }, // unscored
    ];
    expect(buildTimelines(spans).emotionTimeline).toEqual([{ startS: 0, endS: 6, label: 'ANGRY' }]);
    const floored = buildTimelines(spans, 1, 0.6);
    expect(floored.emotionTimeline).toEqual([{ startS: 0, endS: 2, label: 'ANGRY' }]);
    expect(floored.eventTimeline).toEqual([{ startS: 2, endS: 4, label: 'BGM' }]);
  });
});

describe('summarize', () => {
  const spans = [span(0, 10, 'NEUTRAL'), span(12, 17, 'HAPPY', 'BGM', 'zh'), span(20, 25, 'NEUTRAL')];

  it('totals speech, emotions, events and languages', () => {
    expect(summarize(spans, 60)).toEqual({
      speechS: 20,
      speechRatio: 0.3333,
      emotionSeconds: { NEUTRAL: 15, HAPPY: 5 },
      events: { Speech: { count: 2, seconds: 15, perMinute: 2 }, BGM: { count: 1, seconds: 5, perMinute: 1 } },
      languageShares: { en: 0.75, zh: 0.25 },
      languageProbs: {},
      noSpeech: { segments: 0, seconds: 0 },
    });
  });

  it('weighs segment language probabilities by seconds and counts noSpeech segments', () => {
    const scored = [
      { ...span(0, 30, 'NEUTRAL'), languageProbs: { en: 0.9, zh: 0.1 } },
      { ...span(30, 40, 'NEUTRAL', 'Speech', 'zh'), languageProbs: { en: 0.3, zh: 0.7 }, noSpeech: true },
      span(40, 50, 'NEUTRAL'), // no scores: left out of the weighting
    ];
    const summary = summarize(scored, 60);
    expect(summary.languageProbs).toEqual({ en: 0.75, zh: 0.25 }); // (0.9·30 + 0.3·10) / 40, (0.1·30 + 0.7·10) / 40
    expect(summary.noSpeech).toEqual({ segments: 1, seconds: 10 });
  });

  it('counts overlapping speech once and handles empty audio', () => {
    expect(summarize([span(0, 10, null), span(5, 12, null)], 12).speechS).toBe(12);
    expect(summarize([span(0, 10, null), span(5, 12, null)], 12).speechRatio).toBe(1);
    expect(summarize([], 0)).toEqual({ speechS: 0, speechRatio: 0, emotionSeconds: {}, events: {}, languageShares: {}, languageProbs: {}, noSpeech: { segments: 0, seconds: 0 } });
    expect(summarize([span(0, 1, 'SAD')], 0).events.Speech?.perMinute).toBe(0);
  });

  it('keeps segments without a language in the language-share denominator', () => {
    expect(summarize([span(0, 3, null, null, 'en'), span(3, 4, null, null, null)], 4).languageShares).toEqual({ en: 0.75 });
  });

  it('accepts any label, even names of Object.prototype members (synthetic models)', () => {
    const s = summarize([span(0, 2, 'constructor', '__proto__', 'toString')], 10);
    expect(s.emotionSeconds.constructor).toBe(2);
    expect(Object.keys(s.events)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(s)).languageShares).toEqual({ toString: 1 });
  });
});

describe('dominantLanguage', () => {
  it('picks the language with the most seconds, the earliest on a tie, null without languages', () => {
    expect(dominantLanguage([span(0, 1, null, null, 'en'), span(1, 4, null, null, 'zh'), span(4, 5, null, null, 'en')])).toBe('zh');
    expect(dominantLanguage([span(0, 1, null, null, 'ja'), span(1, 2, null, null, 'ko')])).toBe('ja');
    expect(dominantLanguage([span(0, 1, null, null, null)])).toBeNull();
    expect(dominantLanguage([])).toBeNull();
  });
});
