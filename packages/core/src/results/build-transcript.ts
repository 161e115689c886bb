import { richTranscriptionPostprocess } from '../decoding/rich-text.js';
import { buildTimelines, DEFAULT_MERGE_GAP_S, dominantLanguage, summarize } from './timeline.js';
import {
  TRANSCRIPT_SCHEMA_VERSION,
  type Transcript,
  type TranscriptModelInfo,
  type TranscriptOptions,
  type TranscriptSegment,
  type TranscriptTimings,
} from './transcript.js';

export const SYNTHETIC_MODEL_NOTICE = 'Generated model with random weights: this output is not a transcription';

export interface BuildTranscriptInput {
  audio: Transcript['audio'];
  /** Decoded segments in time order. */
  segments: TranscriptSegment[];
  timings: TranscriptTimings;
  model: TranscriptModelInfo;
  options: TranscriptOptions;
  /** See DEFAULT_MERGE_GAP_S. @defaultValue 1.0 */
  mergeGapS?: number;
}

/**
 * Assembles the transcript document from decoded segments:
 * - `language`: the language with the most segment seconds;
 * - `text`: the non-empty segment texts joined with one space;
 * - `richText`: rich_transcription_postprocess over all segments' raw texts joined with one
 *   space, which is what FunASR returns for VAD-split audio (AutoModel joins the segments'
 *   raw texts with " " and the caller post-processes the whole string). FunASR's quirks come
 *   with it: tags between segments swallow that space ("hello" + "world" → "helloworld"), a
 *   repeated leading event emoji and a repeated trailing emotion emoji are dropped;
 * - emotion/event timelines and the summary (results/timeline.ts);
 * - `notice` when the model is synthetic.
 * With `options.dropNoSpeech`, `text` and `richText` leave out segments flagged noSpeech (as the
 * text formats do, see textSegments); the segments themselves stay, flagged.
 */
export function buildTranscript(input: BuildTranscriptInput): Transcript {
  const { audio, segments, timings, model, options } = input;
  const mergeGapS = input.mergeGapS ?? DEFAULT_MERGE_GAP_S;
  const shown = textSegments({ segments, options });
  const transcript: Transcript = {
    schemaVersion: TRANSCRIPT_SCHEMA_VERSION,
    audio,
    language: dominantLanguage(segments),
    text: shown
      .map((s) => s.text)
      .filter((t) => t.length > 0)
      .join(' '),
    richText: richTranscriptionPostprocess(shown.map((s) => s.rawText).join(' ')),
    segments,
    ...buildTimelines(segments, mergeGapS, options.timelineMinConfidence),
    summary: summarize(segments, audio.durationS),
    timings,
    model,
    options,
  };
  if (model.synthetic) transcript.notice = SYNTHETIC_MODEL_NOTICE;
  return transcript;
}

/** The segments text outputs show: all of them, or those not flagged noSpeech under `dropNoSpeech`. */
export function textSegments(transcript: { segments: readonly TranscriptSegment[]; options: Pick<TranscriptOptions, 'dropNoSpeech'> }): TranscriptSegment[] {
  return transcript.options.dropNoSpeech ? transcript.segments.filter((s) => !s.noSpeech) : [...transcript.segments];
}
