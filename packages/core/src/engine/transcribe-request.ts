import { z } from 'zod';
import { VadOptionsSchema } from '../vad/vad-options.js';
import { LANGUAGE_OPTIONS } from '../results/transcript.js';

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
});

export type TranscribeRequest = z.infer<typeof TranscribeRequestSchema>;
export type TranscribeRequestInput = z.input<typeof TranscribeRequestSchema>;
