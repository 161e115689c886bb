/**
 * Transcripts in OpenAI's response shapes. `json` is `{ text }`, `verbose_json` is
 * `{ task, language, duration, text, segments, words?, usage }` as OpenAI documents them, plus
 * Earshot's fields: per segment `emotion`, `event`, `language`, `rich_text`; on the top level
 * `emotion_timeline` and `event_timeline` (`{ start, end, label }`); and for a synthetic model
 * `synthetic: true` with its `notice`. Extra fields keep the official SDKs working (they do not
 * check shapes). Segments carry their vocabulary ids as `tokens`, `seek: 0`, the tags' confidences,
 * and `no_speech_prob` when the model gave query-frame scores (the language frame's `nospeech`
 * probability); OpenAI's other decoder statistics (avg_logprob, compression_ratio, temperature) do
 * not exist for a CTC model and are left out rather than made up. `language` is SenseVoice's code.
 */
import type { TimelineInterval, Transcript } from '@earshot/core/results/transcript';

export interface OpenAiSegment {
  id: number;
  seek: number;
  start: number;
  end: number;
  text: string;
  tokens: number[];
  language: string | null;
  emotion: string | null;
  event: string | null;
  rich_text: string;
  language_confidence: number | null;
  emotion_confidence: number | null;
  event_confidence: number | null;
  no_speech_prob?: number;
}

export interface OpenAiWord {
  word: string;
  start: number;
  end: number;
}

export interface OpenAiTimelineInterval {
  start: number;
  end: number;
  label: string;
}

/** Present when the model is synthetic: its output is not a transcription. */
function syntheticLabel(transcript: Transcript): { synthetic: true; notice: string } | Record<string, never> {
  return transcript.model.synthetic ? { synthetic: true, notice: transcript.notice ?? 'synthetic model: not a transcription' } : {};
}

/** OpenAI bills transcriptions by duration; the same usage object, in whole seconds. */
function usageOf(transcript: Transcript): { type: 'duration'; seconds: number } {
  return { type: 'duration', seconds: Math.ceil(transcript.audio.durationS) };
}

export function toOpenAiJson(transcript: Transcript): Record<string, unknown> {
  return { text: transcript.text, usage: usageOf(transcript), ...syntheticLabel(transcript) };
}

const interval = (i: TimelineInterval): OpenAiTimelineInterval => ({ start: i.startS, end: i.endS, label: i.label });

export function toOpenAiVerboseJson(transcript: Transcript, granularities: readonly ('segment' | 'word')[]): Record<string, unknown> {
  const withWords = granularities.includes('word');
  const withSegments = granularities.length === 0 || granularities.includes('segment');
  const segments: OpenAiSegment[] = transcript.segments.map((s) => ({
    id: s.index,
    seek: 0,
    start: s.startS,
    end: s.endS,
    text: s.text,
    tokens: s.tokens.map((t) => t.id),
    language: s.language,
    emotion: s.emotion,
    event: s.event,
    rich_text: s.richText,
    language_confidence: s.languageConfidence,
    emotion_confidence: s.emotionConfidence,
    event_confidence: s.eventConfidence,
    ...(s.languageProbs?.nospeech === undefined ? {} : { no_speech_prob: s.languageProbs.nospeech }),
  }));
  // The transcript's own words (segments[].words, one owner of the word rules), not recomputed.
  const words: OpenAiWord[] = transcript.segments.flatMap((s) => s.words.map((w) => ({ word: w.word, start: w.startS, end: w.endS })));
  return {
    task: 'transcribe',
    language: transcript.language ?? 'unknown',
    duration: transcript.audio.durationS,
    text: transcript.text,
    ...(withSegments ? { segments } : {}),
    ...(withWords ? { words } : {}),
    usage: usageOf(transcript),
    emotion_timeline: transcript.emotionTimeline.map(interval),
    event_timeline: transcript.eventTimeline.map(interval),
    ...syntheticLabel(transcript),
  };
}

/**
 * The `transcript.text.delta` of a segment: its text, after one space when text was sent before,
 * so the deltas of all segments concatenate to `transcript.text` (built the same way); null for a
 * segment without text.
 */
export function deltaOf(text: string, sentBefore: boolean): string | null {
  if (text.length === 0) return null;
  return sentBefore ? ` ${text}` : text;
}
