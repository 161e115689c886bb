/**
 * What `POST /v1/audio/transcriptions` accepts: OpenAI's multipart fields, as zod schemas (also
 * the source of the OpenAPI description).
 *
 * - `model` is required, as OpenAI requires it, and not checked: the fleet serves one model
 *   (GET /v1/models), so clients that send `whisper-1` work unchanged.
 * - `prompt` and `temperature` are accepted and ignored (SenseVoice takes no prompt and decodes
 *   greedily).
 * - `language` is one of SenseVoice's (`zh`, `en`, `yue`, `ja`, `ko`) or `auto` (the default). A
 *   client that names the language knows it: it becomes the job's only allowed language
 *   (`languages: [language]`), so every segment is tagged with it and the model gets it as its
 *   prompt; `auto` leaves the language free.
 * - `timestamp_granularities[]` (repeatable) needs `verbose_json`, as at OpenAI, or `vtt`, where
 *   `word` times the words of each cue (WebVTT cue timestamps; Earshot's extension).
 * - `stream=true` answers server-sent events, whatever the response_format.
 */
import { z } from 'zod';
import { AppError } from '@earshot/core/errors/app-error';
import { TranscribeRequestSchema } from '@earshot/core/engine/transcribe-request';
import type { JobOptionsInput } from '@earshot/core/jobs/job-options';
import type { CueOptions } from '@earshot/core/results/formats/cues';
import { parseOrThrow } from '../middleware/problem.js';

export const OPENAI_RESPONSE_FORMATS = ['json', 'text', 'srt', 'vtt', 'verbose_json'] as const;
export type OpenAiResponseFormat = (typeof OPENAI_RESPONSE_FORMATS)[number];
export const TIMESTAMP_GRANULARITIES_FIELD = 'timestamp_granularities[]';

export const TranscriptionFieldsSchema = z
  .object({
    model: z.string().min(1).max(256).meta({ description: 'Any model name (e.g. whisper-1): the fleet serves the model GET /v1/models lists.' }),
    language: TranscribeRequestSchema.shape.language.meta({ description: 'Spoken language: the job allows only that one (languages: [language]), so every segment is tagged with it; auto (default) detects it.' }),
    prompt: z.string().max(65_536).optional().meta({ description: 'Accepted and ignored: SenseVoice takes no prompt.' }),
    response_format: z.enum(OPENAI_RESPONSE_FORMATS).default('json'),
    [TIMESTAMP_GRANULARITIES_FIELD]: z
      .array(z.enum(['segment', 'word']))
      .max(2)
      .optional()
      .meta({ description: 'segment and/or word (verbose_json; with vtt, word times the words of each cue); repeat the field for both.' }),
    stream: z.stringbool().default(false).meta({ description: 'true: server-sent events transcript.text.delta (one per segment) and transcript.text.done.' }),
    temperature: z.coerce.number().min(0).max(1).optional().meta({ description: 'Accepted and ignored: decoding is greedy.' }),
  })
  .strict();

/** The OpenAPI view of the multipart body: the fields plus the file. */
export const TranscriptionMultipartSchema = TranscriptionFieldsSchema.extend({
  file: z.string().meta({ format: 'binary', description: 'The audio (any format the worker decodes: wav, mp3, flac, ogg/opus, m4a, webm, ...).' }),
}).meta({ id: 'CreateTranscriptionRequest' });

export type TranscriptionRequest = z.infer<typeof TranscriptionFieldsSchema>;

export function parseTranscriptionFields(fields: ReadonlyMap<string, string>, lists: ReadonlyMap<string, string[]>): TranscriptionRequest {
  const input: Record<string, unknown> = Object.fromEntries(fields);
  const granularities = lists.get(TIMESTAMP_GRANULARITIES_FIELD);
  if (granularities) input[TIMESTAMP_GRANULARITIES_FIELD] = granularities;
  const request = parseOrThrow(TranscriptionFieldsSchema, input, 'transcription request');
  if (request[TIMESTAMP_GRANULARITIES_FIELD] && request.response_format !== 'verbose_json' && request.response_format !== 'vtt') {
    throw new AppError('VALIDATION_FAILED', 'timestamp_granularities[] needs response_format=verbose_json (or vtt)', {
      details: { errors: [{ path: TIMESTAMP_GRANULARITIES_FIELD, message: 'needs response_format=verbose_json (or vtt)' }] },
    });
  }
  return request;
}

/** The job options of a transcription request (see the module comment for `language`). */
export function jobOptionsOf(request: TranscriptionRequest): JobOptionsInput {
  if (request.language === 'auto') return { language: 'auto' };
  return { language: request.language, languages: [request.language] };
}

/** The cue options of a `vtt` answer: `word` granularity times each cue's words. */
export function cueOptionsOf(request: TranscriptionRequest): CueOptions {
  return { wordTimestamps: request[TIMESTAMP_GRANULARITIES_FIELD]?.includes('word') === true };
}
