/**
 * The result formats: the one place that defines each (renderer, content type, file extension,
 * how a synthetic model's output is labelled). The worker stores every format with these, the
 * API serves and names downloads with them, the CLI writes them and the OpenAI-compatible route
 * answers `text`/`srt`/`vtt` through them: adding a format is one entry in RESULT_FORMATS.
 */
import { textSegments } from '../build-transcript.js';
import type { Transcript } from '../transcript.js';
import type { CueOptions } from './cues.js';
import { toSrt } from './srt.js';
import { toRichText, toText } from './txt.js';
import { toVtt } from './vtt.js';

/** First line of text outputs of a synthetic (random-weight) model. */
export const SYNTHETIC_LABEL = '[synthetic model with random weights: this is not a transcription]';

export interface ResultFormat {
  /** HTTP Content-Type, with charset. */
  contentType: string;
  /** File extension without the dot ("rich.txt" so it does not clash with plain txt). */
  extension: string;
  /**
   * `all`: every segment (JSON: segments flagged noSpeech included); `text`: the segments text
   * outputs show (textSegments: without the noSpeech ones under dropNoSpeech).
   */
  segments: 'all' | 'text';
  render(transcript: Transcript, options: CueOptions): string;
  /**
   * The rendering of a synthetic model's output, labelled as such where the format can carry a
   * label. JSON carries `model.synthetic` and `notice` itself; SRT has no comment syntax (its JSON
   * twin and the API's job resource say it).
   */
  labelSynthetic(body: string): string;
}

const unlabelled = (body: string): string => body;
const firstLine = (body: string): string => `${SYNTHETIC_LABEL}\n${body}`;

const defineFormats = <const T extends Record<string, ResultFormat>>(formats: T): T => formats;

export const RESULT_FORMATS = defineFormats({
  json: {
    contentType: 'application/json; charset=utf-8',
    extension: 'json',
    segments: 'all',
    render: (t) => `${JSON.stringify(t, null, 2)}\n`,
    labelSynthetic: unlabelled,
  },
  rich: { contentType: 'text/plain; charset=utf-8', extension: 'rich.txt', segments: 'text', render: (t) => toRichText(t), labelSynthetic: firstLine },
  txt: { contentType: 'text/plain; charset=utf-8', extension: 'txt', segments: 'text', render: (t) => toText(t), labelSynthetic: firstLine },
  srt: { contentType: 'application/x-subrip; charset=utf-8', extension: 'srt', segments: 'text', render: toSrt, labelSynthetic: unlabelled },
  vtt: {
    contentType: 'text/vtt; charset=utf-8',
    extension: 'vtt',
    segments: 'text',
    render: toVtt,
    labelSynthetic: (body) => body.replace(/^WEBVTT\n/, `WEBVTT\n\nNOTE ${SYNTHETIC_LABEL}\n`),
  },
});

export type TranscriptFormat = keyof typeof RESULT_FORMATS;
export const TRANSCRIPT_FORMATS = Object.keys(RESULT_FORMATS) as [TranscriptFormat, ...TranscriptFormat[]];

export interface FormattedTranscript {
  body: string;
  /** HTTP Content-Type, with charset. */
  contentType: string;
  /** File extension without the dot. */
  extension: string;
}

/** Content type and file extension of each format (views of RESULT_FORMATS). */
export const FORMAT_FILES: Record<TranscriptFormat, { contentType: string; extension: string }> = Object.fromEntries(
  TRANSCRIPT_FORMATS.map((f) => [f, { contentType: RESULT_FORMATS[f].contentType, extension: RESULT_FORMATS[f].extension }]),
) as Record<TranscriptFormat, { contentType: string; extension: string }>;

/**
 * Renders a transcript in one of the formats; `options` applies to srt and vtt. Output of a
 * synthetic model is labelled in every format that can carry a label (ResultFormat.labelSynthetic).
 */
export function formatTranscript(transcript: Transcript, format: TranscriptFormat, options: CueOptions = {}): FormattedTranscript {
  const spec: ResultFormat = RESULT_FORMATS[format];
  const shown = spec.segments === 'all' ? transcript : { ...transcript, segments: textSegments(transcript) };
  const body = spec.render(shown, options);
  return {
    body: transcript.model.synthetic ? spec.labelSynthetic(body) : body,
    contentType: spec.contentType,
    extension: spec.extension,
  };
}

export function isTranscriptFormat(value: string): value is TranscriptFormat {
  return Object.hasOwn(RESULT_FORMATS, value);
}
