import { z } from 'zod';
import { CHANNEL_MODES, MAX_SEPARATE_CHANNELS, TRANSCRIPT_SCHEMA_VERSION, type Transcript } from './transcript.js';
import { WARNING_CODES } from './warnings.js';

/**
 * The transcript document as a zod schema: validates stored/received transcripts and is the
 * source of `schemas/transcript.schema.json` (regenerate with
 * `npx tsx packages/core/src/results/write-transcript-schema.ts`). A compile-time check
 * below keeps it equal to the `Transcript` type.
 */

const seconds = z.number().nonnegative();
const tag = z.string().nullable();
const probability = z.number().min(0).max(1);
const tagProbs = z.record(z.string(), probability).nullable();
const confidence = probability.nullable();
const channelIndex = z.number().int().min(0).max(MAX_SEPARATE_CHANNELS - 1);

export const transcriptTokenSchema = z.object({
  id: z.number().int().nonnegative().describe('Vocabulary id.'),
  text: z.string().describe('Piece with a leading U+2581 turned into a space.'),
  startS: seconds.describe('Seconds from the start of the audio: segment start + (frame - 4) x 0.06.'),
  endS: seconds.describe('startS + one LFR frame (0.06 s).'),
});

export const transcriptSegmentSchema = z.object({
  index: z.number().int().nonnegative(),
  startS: seconds,
  endS: seconds,
  channel: channelIndex
    .nullable()
    .describe("Since 1.2. The channel (0-based, 0 = left) under channels: 'separate'; null when the channels were mixed down."),
  language: tag.describe('Language tag without <| |> (e.g. "en"); null when too few tokens were emitted.'),
  emotion: tag.describe('Emotion tag without <| |> (e.g. "NEUTRAL").'),
  event: tag.describe('Audio event tag without <| |> (e.g. "Speech").'),
  itn: z.boolean().nullable().describe('true = <|withitn|>, false = <|woitn|>, null = the slot held another token.'),
  text: z.string().describe('Plain text: tokens joined, leading whitespace removed.'),
  rawText: z.string().describe('FunASR-style raw text: the four slot tokens verbatim followed by the text.'),
  richText: z.string().describe('rich_transcription_postprocess(rawText).'),
  tokens: z.array(transcriptTokenSchema),
  words: z
    .array(z.object({ word: z.string(), startS: seconds, endS: seconds }))
    .describe('Since 1.1. Words of the tokens: a leading U+2581 starts one, a Han/Kana character is one, tags are none.'),
  languageProbs: tagProbs.describe(
    'Since 1.1. Probability per language tag (zh, en, yue, ja, ko, nospeech): softmax of the language query frame over those tags; null without query-frame scores.',
  ),
  emotionProbs: tagProbs.describe('Since 1.1. The same for the emotion tags (EMO_UNKNOWN left out under banEmotionUnknown).'),
  eventProbs: tagProbs.describe('Since 1.1. The same for the audio event tags.'),
  languageConfidence: confidence.describe('Since 1.1. Probability of `language` among all language tags; null when unknown.'),
  emotionConfidence: confidence.describe('Since 1.1. Probability of `emotion` in emotionProbs; null when unknown.'),
  eventConfidence: confidence.describe('Since 1.1. Probability of `event` in eventProbs; null when unknown.'),
  noSpeech: z
    .boolean()
    .describe(
      'Since 1.1. Likely no speech here: the language frame says nospeech (probability >= 0.5) or emitted it, or (since 1.2) speechProbability.max is below the VAD negative threshold (the request vad.negThreshold, by default vad.threshold - 0.15 = 0.35; 0.35 with VAD off).',
    ),
  speechProbability: z
    .object({
      mean: probability.describe('Mean speech probability of the 32 ms VAD windows the segment covers.'),
      max: probability.describe('Highest speech probability of those windows.'),
    })
    .nullable()
    .describe('Since 1.2. What the VAD (Silero) saw inside the segment, with VAD on or off; null when not measured.'),
});

export const timelineIntervalSchema = z.object({
  startS: seconds,
  endS: seconds,
  label: z.string(),
  channel: channelIndex.optional().describe('Since 1.2. The channel of a per-channel transcript; absent when mixed.'),
});

export const transcriptSummarySchema = z.object({
  speechS: seconds.describe('Seconds of audio inside speech segments.'),
  speechRatio: z.number().min(0).max(1).describe('speechS / audio duration (0 when the audio is empty).'),
  emotionSeconds: z.record(z.string(), seconds).describe('Seconds per emotion label.'),
  events: z
    .record(
      z.string(),
      z.object({ count: z.number().int().nonnegative(), seconds, perMinute: z.number().nonnegative() }),
    )
    .describe('Per event label: segments carrying it, their seconds, and that count per minute of audio.'),
  languageShares: z.record(z.string(), z.number().min(0).max(1)).describe('Share (0..1) of speech seconds per language.'),
  languageProbs: z.record(z.string(), probability).describe("Since 1.1. The segments' languageProbs weighted by their seconds."),
  noSpeech: z
    .object({ segments: z.number().int().nonnegative(), seconds })
    .describe('Since 1.1. Segments flagged noSpeech and their seconds.'),
});

export const transcriptTimingsSchema = z.object({
  decodeMs: z.number().nonnegative(),
  vadMs: z.number().nonnegative(),
  featuresMs: z.number().nonnegative(),
  inferenceMs: z.number().nonnegative(),
  decodingMs: z.number().nonnegative(),
  totalMs: z.number().nonnegative(),
  realTimeFactor: z.number().nonnegative().describe('totalMs / 1000 / audio.durationS.'),
});

export const transcriptModelInfoSchema = z.object({
  name: z.string().describe('e.g. "iic/SenseVoiceSmall" from the model\'s comment metadata.'),
  file: z.string().describe('File name of the ONNX model (no directory).'),
  synthetic: z.boolean().describe('true for generated models with random weights: output is NOT a transcription.'),
  quantized: z.boolean(),
  vocabSize: z.number().int().positive(),
  executionProvider: z.string(),
});

export const transcriptOptionsSchema = z.object({
  language: z.enum(['auto', 'zh', 'en', 'yue', 'ja', 'ko']),
  itn: z.boolean(),
  banEmotionUnknown: z.boolean(),
  vad: z.boolean(),
  languages: z.array(z.enum(['zh', 'en', 'yue', 'ja', 'ko'])).nullable().describe('Since 1.1. Languages a segment was tagged among; null = any.'),
  dropNoSpeech: z.boolean().describe('Since 1.1. Segments flagged noSpeech left out of the text formats.'),
  timelineMinConfidence: probability.describe('Since 1.1. Tags below this confidence left out of the timelines.'),
  channels: z.enum(CHANNEL_MODES).describe("Since 1.2. 'separate': each channel transcribed on its own."),
  channelNames: z.array(z.string()).nullable().describe('Since 1.2. Names given to the channels; null = none.'),
});

export const transcriptChannelSchema = z.object({
  channel: channelIndex.describe('0-based index in the file (0 = left).'),
  name: z.string().nullable().describe('From channelNames; null when not named (labels say "Channel N").'),
  silent: z.boolean().describe('The channel is digitally silent: nothing of it was sent to the model.'),
  language: tag.describe('Language with the most speech seconds on this channel.'),
  text: z.string().describe("This channel's segment texts joined with one space."),
  emotionTimeline: z.array(timelineIntervalSchema),
  eventTimeline: z.array(timelineIntervalSchema),
  summary: transcriptSummarySchema.describe("This channel's summary (speechRatio over the whole file's duration)."),
});

export const partialDecodeWarningSchema = z.object({
  code: z.literal('AUDIO_PARTIALLY_DECODED'),
  message: z.string(),
  decodedS: seconds.describe('Seconds of audio decoded: what the transcript covers.'),
  declaredS: seconds.nullable().describe('Seconds the container declares; null when it declares none.'),
});

/** One schema per warning code, discriminated by `code` (results/warnings.ts lists the codes). */
export const transcriptWarningSchema = z
  .discriminatedUnion('code', [partialDecodeWarningSchema])
  .describe(`A warning on a usable result; codes: ${WARNING_CODES.join(', ')}.`);

export const transcriptSchema = z
  .object({
    schemaVersion: z.literal(TRANSCRIPT_SCHEMA_VERSION),
    audio: z.object({
      durationS: seconds,
      format: z.string().describe('Sniffed container/codec family of the input.'),
      sampleRate: z.number().int().positive().describe('Input sample rate before conversion to 16 kHz mono.'),
      channels: z.number().int().positive().describe('Input channels before conversion to mono.'),
    }),
    language: tag.describe('Language with the most speech seconds, null when no segment has one.'),
    text: z.string(),
    richText: z.string(),
    segments: z.array(transcriptSegmentSchema).describe('In time order (per-channel transcripts: the channels interleaved by start time).'),
    emotionTimeline: z.array(timelineIntervalSchema),
    eventTimeline: z.array(timelineIntervalSchema),
    summary: transcriptSummarySchema,
    channels: z
      .array(transcriptChannelSchema)
      .optional()
      .describe("Since 1.2. Present under channels: 'separate': one entry per channel of the file, in channel order."),
    timings: transcriptTimingsSchema,
    model: transcriptModelInfoSchema,
    options: transcriptOptionsSchema,
    notice: z.string().optional().describe('Present when model.synthetic: a human-readable warning.'),
    warnings: z
      .array(transcriptWarningSchema)
      .optional()
      .describe('Present (never empty) when the result is usable but incomplete, e.g. AUDIO_PARTIALLY_DECODED.'),
  })
  .meta({
    title: 'Earshot transcript',
    description: `Rich transcript produced by Earshot (schema version ${TRANSCRIPT_SCHEMA_VERSION}).`,
  });

/** Compile-time proof that the schema and the TypeScript type describe the same shape. */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Assert<T extends true> = T;
export type TranscriptSchemaMatchesType = Assert<Equals<z.output<typeof transcriptSchema>, Transcript>>;

/** The committed JSON Schema text (2-space JSON, trailing newline). */
export function transcriptJsonSchemaText(): string {
  return `${JSON.stringify(z.toJSONSchema(transcriptSchema), null, 2)}\n`;
}

/** Where the JSON Schema is committed: `<repo>/schemas/transcript.schema.json`. */
export const TRANSCRIPT_JSON_SCHEMA_URL = new URL('../../../../schemas/transcript.schema.json', import.meta.url);
