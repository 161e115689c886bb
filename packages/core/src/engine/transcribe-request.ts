import { z } from 'zod';
import { VadOptionsSchema } from '../vad/vad-options.js';
import { CHANNEL_MODES, LANGUAGE_CODES, LANGUAGE_OPTIONS, MAX_SEPARATE_CHANNELS, type ChannelMode, type LanguageOption } from '../results/transcript.js';

/**
 * Per-request decoding options (CLI flags, API job options). The language hint
 * selects the model's language query; SenseVoice's maintainers note it mostly
 * sets the output tag and does not restrict what is recognised.
 */
export const TranscribeRequestSchema = z.object({
  /** @defaultValue 'auto' */
  language: z.enum(LANGUAGE_OPTIONS as ['auto', 'zh', 'en', 'yue', 'ja', 'ko']).default('auto'),
  /** Inverse text normalisation (punctuation, digits). @defaultValue true */
  itn: z.boolean().default(true),
  /** Never emit `<|EMO_UNKNOWN|>` (FunASR ban_emo_unk). @defaultValue false */
  banEmotionUnknown: z.boolean().default(false),
  /** Voice-activity detection; false decodes the audio as one segment (chunks of 30 s beyond that). */
  vad: z.union([z.literal(false), VadOptionsSchema]).default(() => VadOptionsSchema.parse({})),
  /**
   * The languages a segment may be tagged with: its language is the most probable of these in
   * the language query frame. One language also becomes the model's language prompt (as
   * `language` would). Unset: any language.
   */
  languages: z
    .array(z.enum(LANGUAGE_CODES as unknown as ['zh', 'en', 'yue', 'ja', 'ko']))
    .min(1)
    .max(LANGUAGE_CODES.length)
    .refine((l) => new Set(l).size === l.length, { message: 'languages must not repeat' })
    .optional(),
  /** Leave segments flagged noSpeech out of the text formats (they stay, flagged, in JSON). @defaultValue false */
  dropNoSpeech: z.boolean().default(false),
  /** Emotion/event tags below this confidence leave the timelines. @defaultValue 0 */
  timelineMinConfidence: z.number().min(0).max(1).default(0),
  /**
   * `mix`: the channels are mixed down to one transcript. `separate`: each channel is transcribed
   * on its own (calls: agent left, customer right) and every segment says its `channel`
   * (0-based); a silent channel costs no model time. @defaultValue 'mix'
   */
  channels: z.enum(CHANNEL_MODES).default('mix'),
  /** Names of the channels under `channels: 'separate'` (index = channel), shown in text labels instead of `Channel N`. */
  channelNames: z.array(z.string().trim().min(1).max(40)).min(1).max(MAX_SEPARATE_CHANNELS).optional(),
});

/**
 * The rules between fields: a `language` hint outside the allowed `languages` is a
 * contradiction, and `channelNames` name the channels of `channels: 'separate'` only. Every
 * schema that parses a request applies them: `.superRefine(checkRequest)` (a refined zod object
 * cannot be extended, so it is added where a schema is final).
 */
export function checkRequest(
  r: { language: LanguageOption; languages?: readonly string[] | undefined; channels: ChannelMode; channelNames?: readonly string[] | undefined },
  ctx: z.RefinementCtx,
): void {
  if (r.language !== 'auto' && r.languages !== undefined && !r.languages.includes(r.language)) {
    ctx.addIssue({ code: 'custom', path: ['language'], message: `language "${r.language}" is not one of languages (${r.languages.join(', ')})` });
  }
  if (r.channelNames !== undefined && r.channels !== 'separate') {
    ctx.addIssue({ code: 'custom', path: ['channelNames'], message: 'channelNames needs channels: "separate"' });
  }
}

/** TranscribeRequestSchema with its cross-field rules: what the engine parses. */
export const CheckedTranscribeRequestSchema = TranscribeRequestSchema.superRefine(checkRequest);

/** The language prompt the model gets: `language`, or the only allowed language, else auto. */
export function promptLanguage(request: Pick<TranscribeRequest, 'language' | 'languages'>): LanguageOption {
  if (request.language !== 'auto') return request.language;
  return request.languages?.length === 1 ? (request.languages[0] ?? 'auto') : 'auto';
}

export type TranscribeRequest = z.infer<typeof TranscribeRequestSchema>;
export type TranscribeRequestInput = z.input<typeof TranscribeRequestSchema>;
