import { UNSCORED_TAGS } from '../../decoding/segment-tags.js';
import { segmentWords } from '../words.js';
import { describe, expect, it } from 'vitest';
import type { Transcript, TranscriptSegment } from '../transcript.js';
import { buildCues, formatTimestamp } from './cues.js';
import { formatTranscript, SYNTHETIC_LABEL, isTranscriptFormat, TRANSCRIPT_FORMATS } from './format-transcript.js';
import { toSrt } from './srt.js';
import { toRichText, toText } from './txt.js';
import { toVtt } from './vtt.js';

/** A segment whose tokens are `texts`, one every 0.06 s from the segment start. */
function seg(
  index: number,
  startS: number,
  endS: number,
  texts: string[],
  tags: Partial<Pick<TranscriptSegment, 'language' | 'emotion' | 'event'>> = {},
): TranscriptSegment {
  const tokens = texts.map((text, i) => ({ id: i + 1, text, startS: startS + i * 0.06, endS: startS + (i + 1) * 0.06 }));
  return {
    index,
    startS,
    endS,
    channel: null,
    language: 'en',
    emotion: 'NEUTRAL',
    event: 'Speech',
    itn: false,
    text: texts.join('').trimStart(),
    rawText: '',
    richText: '',
    tokens,
    words: segmentWords(tokens),
    ...UNSCORED_TAGS,
    speechProbability: null,
    ...tags,
  };
}

function transcript(segments: TranscriptSegment[], richText = ''): Transcript {
  return {
    schemaVersion: '1.2',
    audio: { durationS: 60, format: 'wav', sampleRate: 16000, channels: 1 },
    language: 'en',
    text: segments.map((s) => s.text).join(' '),
    richText,
    segments,
    emotionTimeline: [],
    eventTimeline: [],
    summary: { speechS: 0, speechRatio: 0, emotionSeconds: {}, events: {}, languageShares: {}, languageProbs: {}, noSpeech: { segments: 0, seconds: 0 } },
    timings: { decodeMs: 0, vadMs: 0, featuresMs: 0, inferenceMs: 0, decodingMs: 0, totalMs: 0, realTimeFactor: 0 },
    model: { name: 'x', file: 'model.onnx', synthetic: false, quantized: false, vocabSize: 10, executionProvider: 'cpu' },
    options: { language: 'auto', itn: false, banEmotionUnknown: false, vad: true, languages: null, dropNoSpeech: false, timelineMinConfidence: 0, channels: 'mix', channelNames: null },
  };
}

const basic = transcript(
  [
    { ...seg(0, 0, 4, [' hello']), richText: 'hello' },
    { ...seg(1, 4.5, 6.25, [' world', '.'], { emotion: 'ANGRY', event: 'Laughter' }), richText: '😀world.😡' },
    seg(2, 7, 8, [], { language: null, emotion: null, event: null }),
  ],
  'hello😀world.😡',
);

describe('formatTimestamp', () => {
  it('formats hours, minutes, seconds and milliseconds with carries', () => {
    expect(formatTimestamp(3723.4567, ',')).toBe('01:02:03,457');
    expect(formatTimestamp(59.9996, '.')).toBe('00:01:00.000');
    expect(formatTimestamp(360000, ',')).toBe('100:00:00,000');
    expect(formatTimestamp(-1, ',')).toBe('00:00:00,000');
  });
});

describe('toSrt', () => {
  it('writes one numbered cue per segment with text', () => {
    expect(toSrt(basic)).toBe(
      '1\n00:00:00,000 --> 00:00:04,000\nhello\n\n2\n00:00:04,500 --> 00:00:06,250\nworld.\n\n',
    );
  });

  it('prefixes tag labels or emoji, and gives tag-only segments a cue', () => {
    expect(toSrt(basic, { tags: true })).toBe(
      '1\n00:00:00,000 --> 00:00:04,000\n[en|NEUTRAL|Speech] hello\n\n2\n00:00:04,500 --> 00:00:06,250\n[en|ANGRY|Laughter] world.\n\n',
    );
    const withEvent = transcript([seg(0, 1, 2, [], { emotion: 'HAPPY', event: 'BGM', language: null })]);
    expect(toSrt(withEvent, { tags: 'labels' })).toBe('1\n00:00:01,000 --> 00:00:02,000\n[?|HAPPY|BGM]\n\n');
    expect(toSrt(withEvent, { tags: 'emoji' })).toBe('1\n00:00:01,000 --> 00:00:02,000\n🎼😊\n\n');
    expect(toSrt(basic, { tags: 'emoji' })).toContain('😀😡 world.');
  });

  it('is empty for a transcript without segments', () => {
    expect(toSrt(transcript([]))).toBe('');
  });
});

describe('buildCues: long segments', () => {
  const words = [' one', ' two', ' three', ' four', ' five', ' six'];
  const long = transcript([seg(0, 10, 11, words)]);

  it('wraps at word boundaries into lines of at most maxLineChars, maxLines per cue', () => {
    expect(buildCues(long, { maxLineChars: 9, maxLines: 2 })).toEqual([
      { startS: 10, endS: 10.18, lines: ['one two', 'three'] },
      { startS: 10.18, endS: 11, lines: ['four five', 'six'] },
    ]);
  });

  it('tiles the segment: first cue at its start, last at its end, boundaries at token times', () => {
    const cues = buildCues(long, { maxLineChars: 4, maxLines: 1 });
    expect(cues.map((c) => c.lines[0])).toEqual(['one', 'two', 'three', 'four', 'five', 'six']);
    expect(cues[0]?.startS).toBe(10);
    expect(cues.at(-1)?.endS).toBe(11);
    for (let i = 1; i < cues.length; i++) expect(cues[i]?.startS).toBe(cues[i - 1]?.endS);
  });

  it('keeps one over-long word whole and joins sub-word pieces', () => {
    const t = transcript([seg(0, 0, 1, [' extra', 'ordinary', ' x'])]);
    expect(buildCues(t, { maxLineChars: 5, maxLines: 1 }).map((c) => c.lines)).toEqual([['extraordinary'], ['x']]);
  });

  it('wraps CJK between characters and keeps punctuation on its line, counting code points', () => {
    const t = transcript([seg(0, 0, 1, ['你', '好', '。', '𠀀', '𠀁', '世', '界'])]);
    expect(buildCues(t, { maxLineChars: 3, maxLines: 3 }).map((c) => c.lines)).toEqual([['你好。', '𠀀𠀁世', '界']]);
  });
});

describe('toVtt', () => {
  it('writes the header and dot-separated timestamps, escaping markup', () => {
    const t = transcript([seg(0, 1, 2.5, [' a', ' <b>', ' &'])]);
    expect(toVtt(t)).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:02.500\na &lt;b&gt; &amp;\n');
    expect(toVtt(basic)).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:04.000\nhello\n\n00:00:04.500 --> 00:00:06.250\nworld.\n');
  });

  it('is just the header for a transcript without segments', () => {
    expect(toVtt(transcript([]))).toBe('WEBVTT\n');
  });

  it('with wordTimestamps, times each word after the cue\'s first with a cue timestamp tag', () => {
    const long = transcript([seg(0, 10, 11, [' one', ' two', ' three', ' four', ' five', ' six'])]);
    expect(toVtt(long, { maxLineChars: 9, maxLines: 2, wordTimestamps: true })).toBe(
      'WEBVTT\n\n' +
        '00:00:10.000 --> 00:00:10.180\none <00:00:10.060>two\n<00:00:10.120>three\n\n' +
        '00:00:10.180 --> 00:00:11.000\nfour <00:00:10.240>five\n<00:00:10.300>six\n',
    );
    // Without the option the same cues, untimed.
    expect(toVtt(long, { maxLineChars: 9, maxLines: 2 })).toBe(
      'WEBVTT\n\n00:00:10.000 --> 00:00:10.180\none two\nthree\n\n00:00:10.180 --> 00:00:11.000\nfour five\nsix\n',
    );
  });

  it('with wordTimestamps, escapes the text but not the tags, and skips the tag prefix', () => {
    const t = transcript([seg(0, 1, 2.5, [' en', ' <b>', ' &'])]);
    expect(toVtt(t, { wordTimestamps: true })).toBe('WEBVTT\n\n00:00:01.000 --> 00:00:02.500\nen <00:00:01.060>&lt;b&gt; <00:00:01.120>&amp;\n');
    expect(toVtt(t, { wordTimestamps: true, tags: true })).toBe(
      'WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n[en|NEUTRAL|Speech] en <00:00:01.060>&lt;b&gt; <00:00:01.120>&amp;\n',
    );
  });

  it('with wordTimestamps, times each Han character (a word of its own) and keeps times within the cue', () => {
    const t = transcript([seg(0, 0, 0.1, ['你好', '世'])]);
    expect(toVtt(t, { wordTimestamps: true })).toBe('WEBVTT\n\n00:00:00.000 --> 00:00:00.100\n你<00:00:00.030>好<00:00:00.060>世\n');
    // A word starting at or past the cue's end gets no tag (WebVTT: timestamps inside the cue,
    // increasing); nor does a word starting with the one before. A segment without words has none.
    const late = transcript([seg(0, 0, 0.06, ['你好', '世'])]);
    expect(toVtt(late, { wordTimestamps: true })).toContain('\n你<00:00:00.030>好世\n');
    const same = transcript([{ ...seg(0, 0, 1, [' a', ' b', ' c']), words: [{ word: 'a', startS: 0, endS: 0.06 }, { word: 'b', startS: 0.2, endS: 0.3 }, { word: 'c', startS: 0.2, endS: 0.3 }] }]);
    expect(toVtt(same, { wordTimestamps: true })).toContain('\na <00:00:00.200>b c\n');
    const untimed = transcript([{ ...seg(0, 0, 1, [' a', ' b']), words: [] }]);
    expect(toVtt(untimed, { wordTimestamps: true })).toBe(toVtt(untimed));
  });

  it('SubRip ignores wordTimestamps', () => {
    const t = transcript([seg(0, 1, 2.5, [' a', ' b', ' c'])]);
    expect(toSrt(t, { wordTimestamps: true })).toBe(toSrt(t));
  });
});

describe('toText and toRichText', () => {
  it('writes one line per segment with text', () => {
    expect(toText(basic)).toBe('hello\nworld.\n');
    expect(toText(transcript([]))).toBe('');
  });

  it('writes the rich text one line per segment (FunASR glues joined segments)', () => {
    expect(toRichText(basic)).toBe('hello\n😀world.😡\n');
    expect(toRichText(transcript([]))).toBe('');
  });
});

describe('per-channel labels', () => {
  // The basic transcript's segments on two channels: hello (0), world. (1), a text-less BGM one (1).
  const split = {
    ...basic,
    segments: basic.segments.map((s, i) => ({ ...s, channel: i === 0 ? 0 : 1, ...(i === 2 && { event: 'BGM' }) })),
    channels: [
      { channel: 0, name: 'agent' },
      { channel: 1, name: null },
    ],
  };

  it('starts every line and cue with its channel name, `Channel N` when unnamed, never a bare label', () => {
    expect(toText(split)).toBe('agent: hello\nChannel 1: world.\n');
    expect(toRichText(split)).toBe('agent: hello\nChannel 1: 😀world.😡\n');
    expect(toSrt(split)).toBe('1\n00:00:00,000 --> 00:00:04,000\nagent: hello\n\n2\n00:00:04,500 --> 00:00:06,250\nChannel 1: world.\n\n');
    // With tags on, the text-less segment gets a cue with its channel and its (missing) tags.
    expect(toVtt(split, { tags: true })).toContain('00:00:07.000 --> 00:00:08.000\nChannel 1: [?|?|BGM]');
    expect(toVtt(split)).not.toContain('00:00:07.000');
  });

  it('adds nothing to a mixed transcript', () => {
    expect(toText(basic)).toBe('hello\nworld.\n');
  });
});

describe('formatTranscript', () => {
  it('returns body, content type and extension for every format', () => {
    const out = Object.fromEntries(TRANSCRIPT_FORMATS.map((f) => [f, formatTranscript(basic, f)]));
    expect(JSON.parse(out.json?.body ?? '')).toEqual(basic);
    expect(out.json).toMatchObject({ contentType: 'application/json; charset=utf-8', extension: 'json' });
    expect(out.rich).toMatchObject({ body: 'hello\n😀world.😡\n', contentType: 'text/plain; charset=utf-8', extension: 'rich.txt' });
    expect(out.txt).toMatchObject({ body: 'hello\nworld.\n', extension: 'txt' });
    expect(out.srt).toMatchObject({ contentType: 'application/x-subrip; charset=utf-8', extension: 'srt' });
    expect(out.vtt).toMatchObject({ contentType: 'text/vtt; charset=utf-8', extension: 'vtt' });
    expect(formatTranscript(basic, 'srt', { tags: true }).body).toContain('[en|ANGRY|Laughter]');
  });

  it('labels output of a synthetic model', () => {
    const synthetic = { ...basic, model: { ...basic.model, synthetic: true } };
    expect(formatTranscript(synthetic, 'txt').body).toBe(`${SYNTHETIC_LABEL}\nhello\nworld.\n`);
    expect(formatTranscript(synthetic, 'rich').body.startsWith(`${SYNTHETIC_LABEL}\n`)).toBe(true);
    expect(formatTranscript(synthetic, 'vtt').body.startsWith(`WEBVTT\n\nNOTE ${SYNTHETIC_LABEL}\n\n00:00:00.000`)).toBe(true);
    expect(formatTranscript(basic, 'txt').body).not.toContain('synthetic');
  });

  it('leaves noSpeech segments out of the text formats under dropNoSpeech, and keeps them flagged in JSON', () => {
    const flagged = { ...basic, segments: basic.segments.map((seg, i) => ({ ...seg, noSpeech: i === 0 })) };
    expect(formatTranscript(flagged, 'txt').body).toBe('hello\nworld.\n');
    const dropping = { ...flagged, options: { ...flagged.options, dropNoSpeech: true } };
    expect(formatTranscript(dropping, 'txt').body).toBe('world.\n');
    expect(formatTranscript(dropping, 'srt').body).not.toContain('hello');
    expect(formatTranscript(dropping, 'vtt').body).not.toContain('hello');
    expect(formatTranscript(dropping, 'rich').body).toBe('😀world.😡\n');
    expect((JSON.parse(formatTranscript(dropping, 'json').body) as Transcript).segments.map((x) => x.noSpeech)).toEqual([true, false, false]);
  });

  it('recognises format names', () => {
    expect(isTranscriptFormat('vtt')).toBe(true);
    expect(isTranscriptFormat('pdf')).toBe(false);
  });
});
