import { textSegments } from '../build-transcript.js';
import type { Transcript } from '../transcript.js';
import type { CueOptions } from './cues.js';
import { toSrt } from './srt.js';
import { toRichText, toText } from './txt.js';
import { toVtt } from './vtt.js';

export const TRANSCRIPT_FORMATS = ['json', 'rich', 'txt', 'srt', 'vtt'] as const;
export type TranscriptFormat = (typeof TRANSCRIPT_FORMATS)[number];

export interface FormattedTranscript {
  body: string;
  /** HTTP Content-Type, with charset. */
  contentType: string;
  /** File extension without the dot ("rich.txt" so it does not clash with plain txt). */
  extension: string;
}

/** First line of text outputs of a synthetic (random-weight) model. */
export const SYNTHETIC_LABEL = '[synthetic model with random weights: this is not a transcription]';

/**
 * Renders a transcript in one of the download formats; `options` applies to srt and vtt.
 * Output of a synthetic model is labelled in every format that can carry a label: JSON has
 * `model.synthetic` and `notice`, txt/rich start with SYNTHETIC_LABEL, VTT has a NOTE block
 * (SRT has no comment syntax; its JSON twin and the API's headers say it).
 */
export function formatTranscript(
  transcript: Transcript,
  format: TranscriptFormat,
  options: CueOptions = {},
): FormattedTranscript {
  const out = render(transcript, format, options);
  if (!transcript.model.synthetic) return out;
  if (format === 'txt' || format === 'rich') return { ...out, body: `${SYNTHETIC_LABEL}\n${out.body}` };
  if (format === 'vtt') return { ...out, body: out.body.replace(/^WEBVTT\n/, `WEBVTT\n\nNOTE ${SYNTHETIC_LABEL}\n`) };
  return out;
}

/**
 * Content type (with charset) and file extension of each format: the one owner of these facts
 * (the worker stores results with them, the API serves and names downloads with them).
 */
export const FORMAT_FILES: Record<TranscriptFormat, { contentType: string; extension: string }> = {
  json: { contentType: 'application/json; charset=utf-8', extension: 'json' },
  rich: { contentType: 'text/plain; charset=utf-8', extension: 'rich.txt' },
  txt: { contentType: 'text/plain; charset=utf-8', extension: 'txt' },
  srt: { contentType: 'application/x-subrip; charset=utf-8', extension: 'srt' },
  vtt: { contentType: 'text/vtt; charset=utf-8', extension: 'vtt' },
};

function render(transcript: Transcript, format: TranscriptFormat, options: CueOptions): FormattedTranscript {
  // Text formats show what `textSegments` keeps (dropNoSpeech); JSON keeps every segment, flagged.
  const shown = format === 'json' ? transcript : { ...transcript, segments: textSegments(transcript) };
  return { body: renderBody(shown, format, options), ...FORMAT_FILES[format] };
}

function renderBody(transcript: Transcript, format: TranscriptFormat, options: CueOptions): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(transcript, null, 2)}\n`;
    case 'rich':
      return toRichText(transcript);
    case 'txt':
      return toText(transcript);
    case 'srt':
      return toSrt(transcript, options);
    case 'vtt':
      return toVtt(transcript, options);
  }
}

export function isTranscriptFormat(value: string): value is TranscriptFormat {
  return (TRANSCRIPT_FORMATS as readonly string[]).includes(value);
}
