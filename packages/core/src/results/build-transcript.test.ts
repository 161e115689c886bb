import { describe, expect, it } from 'vitest';
import { UNSCORED_TAGS } from '../decoding/segment-tags.js';
import { decodeSenseVoiceOutput } from '../decoding/sense-voice-output.js';
import { SymbolTable } from '../decoding/symbol-table.js';
import { buildTranscript, SYNTHETIC_MODEL_NOTICE, type BuildTranscriptInput } from './build-transcript.js';
import { transcriptSchema } from './transcript-schema.js';
import { segmentWords } from './words.js';
import type { TranscriptSegment } from './transcript.js';

const PIECES = ['<unk>', '<|en|>', '<|zh|>', '<|NEUTRAL|>', '<|HAPPY|>', '<|Speech|>', '<|BGM|>', '<|woitn|>', '▁hello', '▁world', '你', '好'];
const symbols = SymbolTable.parse(PIECES.map((p, i) => `${p} ${i}`).join('\n'));

/** A segment decoded from emitted pieces (slots at frames 0..3, text one piece per frame from 4). */
function segment(index: number, startS: number, endS: number, pieces: string[]): TranscriptSegment {
  const ids = pieces.map((p) => symbols.id(p) as number);
  const decoded = decodeSenseVoiceOutput({ ids, frames: ids.map((_, i) => i) }, symbols, { segmentStartS: startS, lfrWindowShift: 6 });
  const { slotPieces: _slots, ...rest } = decoded;
  return { index, startS, endS, channel: null, ...rest, words: segmentWords(rest.tokens), ...UNSCORED_TAGS, speechProbability: null };
}

function input(segments: TranscriptSegment[], synthetic = false): BuildTranscriptInput {
  return {
    audio: { durationS: 30, format: 'wav', sampleRate: 16000, channels: 1 },
    segments,
    timings: { decodeMs: 1, vadMs: 2, featuresMs: 3, inferenceMs: 4, decodingMs: 5, totalMs: 15, realTimeFactor: 0.0005 },
    model: { name: 'iic/SenseVoiceSmall', file: 'model.int8.onnx', synthetic, quantized: true, vocabSize: 25055, executionProvider: 'cpu' },
    options: { language: 'auto', itn: false, banEmotionUnknown: false, vad: true, languages: null, dropNoSpeech: false, timelineMinConfidence: 0, channels: 'mix', channelNames: null },
  };
}

const EN = ['<|en|>', '<|NEUTRAL|>', '<|Speech|>', '<|woitn|>'];
const ZH_HAPPY_BGM = ['<|zh|>', '<|HAPPY|>', '<|BGM|>', '<|woitn|>'];

describe('buildTranscript', () => {
  const segments = [
    segment(0, 0, 4, [...EN, '▁hello']),
    segment(1, 4.5, 6, [...EN, '▁world']),
    segment(2, 10, 12, [...ZH_HAPPY_BGM, '你', '好']),
    segment(3, 13, 14, ['<|en|>', '<|NEUTRAL|>']), // too few tokens: no tags, no text
  ];
  const t = buildTranscript(input(segments));

  it('joins texts with one space, skipping empty ones', () => {
    expect(t.text).toBe('hello world 你好');
  });

  it('post-processes the joined raw texts like FunASR (which glues segments together)', () => {
    expect(t.richText).toBe('helloworld🎼你好😊');
  });

  it('picks the language with the most seconds and builds timelines and summary', () => {
    expect(t.language).toBe('en');
    expect(t.emotionTimeline).toEqual([
      { startS: 0, endS: 6, label: 'NEUTRAL' },
      { startS: 10, endS: 12, label: 'HAPPY' },
    ]);
    expect(t.eventTimeline).toEqual([
      { startS: 0, endS: 6, label: 'Speech' },
      { startS: 10, endS: 12, label: 'BGM' },
    ]);
    expect(t.summary.speechS).toBe(8.5);
    expect(t.summary.events.BGM).toEqual({ count: 1, seconds: 2, perMinute: 2 });
    expect(t.summary.languageShares).toEqual({ en: 0.6471, zh: 0.2353 });
  });

  it('honours mergeGapS', () => {
    const split = buildTranscript({ ...input(segments), mergeGapS: 0.2 });
    expect(split.emotionTimeline.map((i) => [i.startS, i.endS])).toEqual([
      [0, 4],
      [4.5, 6],
      [10, 12],
    ]);
  });

  it('produces a document that satisfies the schema, without notice for real models', () => {
    expect(t.schemaVersion).toBe('1.2');
    expect(t.notice).toBeUndefined();
    expect('notice' in t).toBe(false);
    expect(transcriptSchema.parse(JSON.parse(JSON.stringify(t)))).toEqual(t);
  });

  it('adds the notice for synthetic models', () => {
    expect(buildTranscript(input(segments, true)).notice).toBe(SYNTHETIC_MODEL_NOTICE);
  });

  it('handles a transcript without segments', () => {
    const empty = buildTranscript(input([]));
    expect(empty).toMatchObject({ language: null, text: '', richText: '', emotionTimeline: [], eventTimeline: [] });
    expect(empty.summary).toEqual({ speechS: 0, speechRatio: 0, emotionSeconds: {}, events: {}, languageShares: {}, languageProbs: {}, noSpeech: { segments: 0, seconds: 0 } });
    expect(transcriptSchema.safeParse(empty).success).toBe(true);
  });
});
