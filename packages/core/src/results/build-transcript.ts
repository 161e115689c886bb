import { richTranscriptionPostprocess } from '../decoding/rich-text.js';
import { buildTimelines, DEFAULT_MERGE_GAP_S, dominantLanguage, summarize } from './timeline.js';
import {
  TRANSCRIPT_SCHEMA_VERSION,
  type TimelineInterval,
  type Transcript,
  type TranscriptChannel,
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
  /**
   * A per-channel transcript (`channels: 'separate'`): every channel of the file, in order, and
   * whether it was silent. The segments then carry their `channel`.
   */
  channels?: readonly { channel: number; silent: boolean }[];
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
 *
 * A per-channel transcript (`input.channels`) gets the same fields over all channels together
 * (segments interleaved by time), and in `channels` each channel's own language, text,
 * timelines and summary; its top-level timelines are the channels' intervals, each marked with
 * its channel, in time order.
 */
export function buildTranscript(input: BuildTranscriptInput): Transcript {
  const { audio, segments, timings, model, options } = input;
  const mergeGapS = input.mergeGapS ?? DEFAULT_MERGE_GAP_S;
  const shown = textSegments({ segments, options });
  const channels = input.channels?.map((c) => channelPart(c, segments, input, mergeGapS));
  const transcript: Transcript = {
    schemaVersion: TRANSCRIPT_SCHEMA_VERSION,
    audio,
    language: dominantLanguage(segments),
    text: joinTexts(shown),
    richText: richTranscriptionPostprocess(shown.map((s) => s.rawText).join(' ')),
    segments,
    ...(channels
      ? {
          emotionTimeline: inTimeOrder(channels.flatMap((c) => c.emotionTimeline)),
          eventTimeline: inTimeOrder(channels.flatMap((c) => c.eventTimeline)),
        }
      : buildTimelines(segments, mergeGapS, options.timelineMinConfidence)),
    summary: summarize(segments, audio.durationS),
    timings,
    model,
    options,
    ...(channels && { channels }),
  };
  if (model.synthetic) transcript.notice = SYNTHETIC_MODEL_NOTICE;
  return transcript;
}

/** One channel's part of a per-channel transcript: its segments' language, text, timelines, summary. */
function channelPart(
  { channel, silent }: { channel: number; silent: boolean },
  all: readonly TranscriptSegment[],
  { audio, options }: Pick<BuildTranscriptInput, 'audio' | 'options'>,
  mergeGapS: number,
): TranscriptChannel {
  const segments = all.filter((s) => s.channel === channel);
  const timelines = buildTimelines(segments, mergeGapS, options.timelineMinConfidence);
  const mark = (intervals: TimelineInterval[]): TimelineInterval[] => intervals.map((i) => ({ ...i, channel }));
  return {
    channel,
    name: options.channelNames?.[channel] ?? null,
    silent,
    language: dominantLanguage(segments),
    text: joinTexts(textSegments({ segments, options })),
    emotionTimeline: mark(timelines.emotionTimeline),
    eventTimeline: mark(timelines.eventTimeline),
    summary: summarize(segments, audio.durationS),
  };
}

function joinTexts(segments: readonly TranscriptSegment[]): string {
  return segments
    .map((s) => s.text)
    .filter((t) => t.length > 0)
    .join(' ');
}

function inTimeOrder(intervals: TimelineInterval[]): TimelineInterval[] {
  return intervals.sort((a, b) => a.startS - b.startS || (a.channel ?? 0) - (b.channel ?? 0));
}

/** The segments text outputs show: all of them, or those not flagged noSpeech under `dropNoSpeech`. */
export function textSegments(transcript: { segments: readonly TranscriptSegment[]; options: Pick<TranscriptOptions, 'dropNoSpeech'> }): TranscriptSegment[] {
  return transcript.options.dropNoSpeech ? transcript.segments.filter((s) => !s.noSpeech) : [...transcript.segments];
}
