import { z } from 'zod';
import { VadOptionsSchema } from '../vad/vad-options.js';
import { LANGUAGE_CODES, LANGUAGE_OPTIONS, type LanguageOption } from '../results/transcript.js';

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
});

/**
 * The rule between `language` and `languages` (a hint outside the allowed languages is a
 * contradiction). Every schema that parses a request applies it: `.superRefine(checkLanguages)`
 * (a refined zod object cannot be extended, so it is added where a schema is final).
 */
export function checkLanguages(r: { language: LanguageOption; languages?: readonly string[] | undefined }, ctx: z.RefinementCtx): void {
  if (r.language !== 'auto' && r.languages !== undefined && !r.languages.includes(r.language)) {
    ctx.addIssue({ code: 'custom', path: ['language'], message: `language "${r.language}" is not one of languages (${r.languages.join(', ')})` });
  }
}

/** TranscribeRequestSchema with its cross-field rule: what the engine parses. */
export const CheckedTranscribeRequestSchema = TranscribeRequestSchema.superRefine(checkLanguages);

/** The language prompt the model gets: `language`, or the only allowed language, else auto. */
export function promptLanguage(request: Pick<TranscribeRequest, 'language' | 'languages'>): LanguageOption {
  if (request.language !== 'auto') return request.language;
  return request.languages?.length === 1 ? (request.languages[0] ?? 'auto') : 'auto';
}

export type TranscribeRequest = z.infer<typeof TranscribeRequestSchema>;
export type TranscribeRequestInput = z.input<typeof TranscribeRequestSchema>;
