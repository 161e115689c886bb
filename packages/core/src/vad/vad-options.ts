import { z } from 'zod';
import { DEFAULT_MERGE_LENGTH_S } from './merge-segments.js';
import { DEFAULT_SEGMENTER_OPTIONS } from './segmenter.js';

const d = DEFAULT_SEGMENTER_OPTIONS;

/**
 * Voice-activity options of one request: the segmenter's knobs (see `SegmenterOptions` in
 * segmenter.ts for their exact meaning) plus FunASR's `merge_vad` / `merge_length_s`.
 */
export const VadOptionsSchema = z
  .object({
    /** Speech probability at which a frame counts as speech. @defaultValue 0.5 */
    threshold: z.number().gt(0).max(1).default(d.threshold),
    /** Exit threshold inside a segment. @defaultValue max(threshold − 0.15, 0.01), at most threshold */
    negThreshold: z.number().gt(0).max(1).optional(),
    /** Shorter segments are dropped. @defaultValue 250 */
    minSpeechMs: z.number().min(0).max(60_000).default(d.minSpeechMs),
    /** Silence needed to end a segment. @defaultValue 250 */
    minSilenceMs: z.number().min(0).max(60_000).default(d.minSilenceMs),
    /** Padding added on both sides of a segment. @defaultValue 30 */
    speechPadMs: z.number().min(0).max(2_000).default(d.speechPadMs),
    /**
     * Longest segment, padding included; longer speech is cut at its longest pause. SenseVoice
     * was trained on utterances up to about 30 s; FunASR's own VAD allows 60 s.
     * @defaultValue 30
     */
    maxSegmentS: z.number().min(1).max(60).default(d.maxSegmentS),
    /**
     * FunASR `merge_vad`: replace the segments by contiguous spans of about mergeLengthS seconds
     * (see `mergeSegments`). Off by default, like FunASR's `AutoModel` (the SenseVoice README turns
     * it on): merged spans include every silence between segments and the leading one, a long
     * pause becomes a span of its own with no speech at all, spans are not capped at maxSegmentS,
     * and per-segment timing, emotion and event get coarser. Turn it on for parity with the
     * README's `merge_vad=True, merge_length_s=15`, or to give the model more context per call.
     * @defaultValue false
     */
    merge: z.boolean().default(false),
    /** FunASR `merge_length_s`. @defaultValue 15 */
    mergeLengthS: z.number().positive().max(600).default(DEFAULT_MERGE_LENGTH_S),
  })
  // Unknown keys are errors, so a typo (`treshold`) is refused rather than silently ignored.
  .strict()
  .refine((o) => o.negThreshold === undefined || o.negThreshold <= o.threshold, {
    message: 'negThreshold must not exceed threshold',
    path: ['negThreshold'],
  })
  .refine((o) => o.maxSegmentS > (2 * o.speechPadMs) / 1000 + 0.032, {
    message: 'maxSegmentS must exceed twice speechPadMs by at least one 32 ms frame',
    path: ['maxSegmentS'],
  });

export type VadOptions = z.infer<typeof VadOptionsSchema>;
export type VadOptionsInput = z.input<typeof VadOptionsSchema>;
