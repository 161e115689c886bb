import { z } from 'zod';
import { TranscribeRequestSchema, type TranscribeRequest } from '../engine/transcribe-request.js';
import { MAX_SEPARATE_CHANNELS } from '../results/transcript.js';

/**
 * Alert rules (call-centre quality checks, engagement metrics): a job.alert
 * webhook fires and the result lists the match when a transcript satisfies one.
 * - emotion rule: at least `minSeconds` of segments with that emotion;
 * - event rule: at least `minCount` segments and/or `minPerMinute` per minute of audio with that event;
 * - `minConfidence` on either: only segments whose tag has at least that confidence count;
 * - `channel` on either: only that channel's segments count (`channels: 'separate'`; a rule
 *   naming a channel never matches a mixed-down transcript, whose segments have no channel).
 */
const alertChannel = z.number().int().min(0).max(MAX_SEPARATE_CHANNELS - 1).optional();

export const AlertRuleSchema = z.union([
  z
    .object({
      emotion: z.enum(['HAPPY', 'SAD', 'ANGRY', 'NEUTRAL', 'FEARFUL', 'DISGUSTED', 'SURPRISED']),
      minSeconds: z.number().min(0).max(86_400).default(0),
      /** Only segments whose emotion confidence is at least this count (transcript 1.1). */
      minConfidence: z.number().min(0).max(1).optional(),
      /** Only this channel's segments count (0-based; transcript 1.2). */
      channel: alertChannel,
      name: z.string().max(100).optional(),
    })
    .strict(),
  z
    .object({
      event: z.enum(['BGM', 'Applause', 'Laughter', 'Cry', 'Sneeze', 'Breath', 'Cough', 'Speech']),
      minCount: z.number().int().min(1).max(100_000).optional(),
      minPerMinute: z.number().min(0).max(10_000).optional(),
      /** Only segments whose event confidence is at least this count. */
      minConfidence: z.number().min(0).max(1).optional(),
      /** Only this channel's segments count. */
      channel: alertChannel,
      name: z.string().max(100).optional(),
    })
    .strict(),
]);
export type AlertRule = z.infer<typeof AlertRuleSchema>;

/** Options a client sets on a job (the engine's request plus service options). */
export const JobOptionsSchema = TranscribeRequestSchema.extend({
  webhook: z.object({ url: z.url({ protocol: /^https?$/ }).max(2048) }).strict().optional(),
  /** 1 (first) … 2,097,151 (BullMQ priority; lower runs first). Unset runs before any prioritized job. */
  priority: z.number().int().min(1).max(2_097_151).optional(),
  alerts: z.array(AlertRuleSchema).max(20).default([]),
});
export type JobOptions = z.infer<typeof JobOptionsSchema>;
export type JobOptionsInput = z.input<typeof JobOptionsSchema>;

/**
 * The engine's part of a job's options: every TranscribeRequestSchema field (zod drops the
 * service options). Workers hand this to the engine, so a request option added to the schema
 * reaches the engine without another list to keep.
 */
export function engineRequestOf(options: JobOptions): TranscribeRequest {
  return TranscribeRequestSchema.parse(options);
}
