/**
 * The transcript: Earshot's versioned result document. `schemas/transcript.schema.json`
 * in the repository root is the JSON Schema of this shape; bump the version on any
 * breaking change.
 */
import type { TranscriptWarning } from './warnings.js';

export type { TranscriptWarning };

/**
 * 1.1 (additive): per-segment tag probabilities and confidences, `words`, `noSpeech`,
 * `summary.noSpeech`, options `languages`, `dropNoSpeech`, `timelineMinConfidence`.
 * 1.2 (additive): per-channel transcripts: segment `channel`, timeline intervals' `channel`,
 * `channels`, options `channels` and `channelNames`. Readers of 1.0 are unaffected.
 */
export const TRANSCRIPT_SCHEMA_VERSION = '1.2';

/** How a multichannel file is transcribed: mixed down to one transcript, or channel by channel. */
export const CHANNEL_MODES = ['mix', 'separate'] as const;
export type ChannelMode = (typeof CHANNEL_MODES)[number];
/** Most channels `channels: 'separate'` transcribes (more is INVALID_OPTIONS: no call recorder has them). */
export const MAX_SEPARATE_CHANNELS = 8;

export type LanguageCode = 'zh' | 'en' | 'yue' | 'ja' | 'ko';
export type LanguageOption = 'auto' | LanguageCode;
export const LANGUAGE_CODES: readonly LanguageCode[] = ['zh', 'en', 'yue', 'ja', 'ko'];
export const LANGUAGE_OPTIONS: readonly LanguageOption[] = ['auto', ...LANGUAGE_CODES];

export interface TranscriptToken {
  /** Vocabulary id. */
  id: number;
  /** Piece with a leading `▁` turned into a space (as sherpa-onnx reports it). */
  text: string;
  /** Seconds from the start of the audio: segment start + (frame − 4) × 0.06. */
  startS: number;
  /** startS + one LFR frame (0.06 s). */
  endS: number;
}

/** A word of a segment (results/words.ts): SentencePiece `▁` starts one, a CJK character is one, tags are none. */
export interface TranscriptWord {
  word: string;
  /** From the start of its first token's character to the end of its last (seconds in the audio). */
  startS: number;
  endS: number;
}

export interface TranscriptSegment {
  index: number;
  startS: number;
  endS: number;
  /** The channel (0-based: 0 = left) the segment was heard on under `channels: 'separate'`; null when mixed down (since 1.2). */
  channel: number | null;
  /** Language tag without `<|` `|>` (e.g. "en"); for a synthetic model this may be any piece. */
  language: string | null;
  emotion: string | null;
  event: string | null;
  /** true = `<|withitn|>`, false = `<|woitn|>`, null = the slot held another token. */
  itn: boolean | null;
  /** Plain text: tokens joined, leading whitespace removed. */
  text: string;
  /** FunASR-style raw text: the four slot tokens verbatim followed by the text. */
  rawText: string;
  /** `rich_transcription_postprocess(rawText)`. */
  richText: string;
  tokens: TranscriptToken[];
  /** The words of `tokens` with their times (since 1.1). */
  words: TranscriptWord[];
  /**
   * Probability of each language tag (zh, en, yue, ja, ko, nospeech) in the language query frame:
   * the softmax of its logits over those tags. null when the runner gave no query-frame scores.
   */
  languageProbs: Record<string, number> | null;
  /** The same for the emotions (the seven and EMO_UNKNOWN; without it under banEmotionUnknown). */
  emotionProbs: Record<string, number> | null;
  /** The same for the audio events (Speech, BGM, Applause, Laughter, Cry, Sneeze, Breath, Cough, …). */
  eventProbs: Record<string, number> | null;
  /** Probability of `language` in languageProbs (renormalised over the allowed languages when restricted); null when unknown. */
  languageConfidence: number | null;
  emotionConfidence: number | null;
  eventConfidence: number | null;
  /**
   * Likely no speech here (music, noise, silence): the language frame says "nospeech"
   * (probability ≥ 0.5) or emitted it, or (since 1.2) `speechProbability.max` is below the VAD's
   * negative threshold (the request's `vad.negThreshold`, by default `vad.threshold` − 0.15 = 0.35;
   * 0.35 with VAD off): no 32 ms window of the segment looked like speech to the VAD.
   */
  noSpeech: boolean;
  /**
   * Since 1.2. What the VAD (Silero) saw inside the segment: the mean and the max of its speech
   * probability over the 32 ms windows the segment covers. Measured with VAD on (the span the
   * VAD found) and off (the fixed 30 s chunk); null when not measured (a caller's own spans).
   */
  speechProbability: { mean: number; max: number } | null;
}

/** Consecutive segments with the same label, merged across gaps ≤ 1 s (results/timeline.ts). */
export interface TimelineInterval<L extends string = string> {
  startS: number;
  endS: number;
  label: L;
  /** The channel of a per-channel transcript (each channel has its own intervals); absent when mixed (since 1.2). */
  channel?: number;
}

export interface TranscriptSummary {
  /** Seconds of audio inside speech segments. */
  speechS: number;
  /** speechS / audio duration (0 when the audio is empty). */
  speechRatio: number;
  /** Seconds per emotion label. */
  emotionSeconds: Record<string, number>;
  /** Per event label: number of segments carrying it, their seconds, and that count per minute of audio. */
  events: Record<string, { count: number; seconds: number; perMinute: number }>;
  /** Share (0..1) of segment seconds per language; segments without a language count in the denominator. */
  languageShares: Record<string, number>;
  /** Language probabilities of the whole file: segments' languageProbs weighted by their duration (empty when none). */
  languageProbs: Record<string, number>;
  /** Segments flagged `noSpeech` and their seconds. */
  noSpeech: { segments: number; seconds: number };
}

export interface TranscriptTimings {
  decodeMs: number;
  vadMs: number;
  featuresMs: number;
  inferenceMs: number;
  decodingMs: number;
  totalMs: number;
  /** totalMs / 1000 / audio.durationS. */
  realTimeFactor: number;
}

export interface TranscriptModelInfo {
  /** e.g. "iic/SenseVoiceSmall" from the model's `comment` metadata. */
  name: string;
  /** File name of the ONNX model (no directory). */
  file: string;
  /** true for models generated by `model:generate`: output is NOT a transcription. */
  synthetic: boolean;
  quantized: boolean;
  vocabSize: number;
  executionProvider: string;
}

/** One channel of a per-channel transcript (`channels: 'separate'`, since 1.2). */
export interface TranscriptChannel {
  /** 0-based index in the file (0 = left). */
  channel: number;
  /** From the job's `channelNames`; null when not named (labels then say `Channel N`). */
  name: string | null;
  /** The channel is digitally silent: nothing of it was sent to the model. */
  silent: boolean;
  /** Language with the most speech seconds on this channel. */
  language: string | null;
  /** This channel's segment texts joined with one space (noSpeech ones left out under dropNoSpeech). */
  text: string;
  emotionTimeline: TimelineInterval[];
  eventTimeline: TimelineInterval[];
  /** The summary of this channel's segments (speechRatio over the whole file's duration). */
  summary: TranscriptSummary;
}

export interface TranscriptOptions {
  language: LanguageOption;
  itn: boolean;
  banEmotionUnknown: boolean;
  vad: boolean;
  /** The languages a segment's language was chosen among; null = any. */
  languages: LanguageCode[] | null;
  /** Segments flagged noSpeech are left out of the text formats (and `text`, `richText`). */
  dropNoSpeech: boolean;
  /** Tags below this confidence leave the emotion and event timelines. */
  timelineMinConfidence: number;
  /** `separate`: each channel transcribed on its own (since 1.2). */
  channels: ChannelMode;
  /** Names given to the channels; null = none. */
  channelNames: string[] | null;
}

export interface Transcript {
  schemaVersion: typeof TRANSCRIPT_SCHEMA_VERSION;
  audio: {
    durationS: number;
    /** Sniffed container/codec family of the input. */
    format: string;
    /** Sample rate and channels of the input before conversion to 16 kHz mono. */
    sampleRate: number;
    channels: number;
  };
  /** Language with the most speech seconds, null when no segment has one. */
  language: string | null;
  /** Non-empty segment texts joined with one space. */
  text: string;
  /** FunASR's rich_transcription_postprocess over all segments' rawText joined with one space. */
  richText: string;
  /** In time order (per-channel transcripts: the channels interleaved by start time). */
  segments: TranscriptSegment[];
  /** Per-channel transcripts: every channel's intervals, each with its `channel`, in time order. */
  emotionTimeline: TimelineInterval[];
  eventTimeline: TimelineInterval[];
  /** Over all segments (per-channel transcripts: all channels together; each channel's own is in `channels`). */
  summary: TranscriptSummary;
  /** Present under `channels: 'separate'`: one entry per channel of the file, in channel order (since 1.2). */
  channels?: TranscriptChannel[];
  timings: TranscriptTimings;
  model: TranscriptModelInfo;
  options: TranscriptOptions;
  /** Present when model.synthetic: a human-readable warning. */
  notice?: string;
  /** Present (never empty) when the result is usable but incomplete, e.g. AUDIO_PARTIALLY_DECODED. */
  warnings?: TranscriptWarning[];
}
