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

/** Renders a transcript in one of the download formats; `options` applies to srt and vtt. */
export function formatTranscript(
  transcript: Transcript,
  format: TranscriptFormat,
  options: CueOptions = {},
): FormattedTranscript {
  switch (format) {
    case 'json':
      return { body: `${JSON.stringify(transcript, null, 2)}\n`, contentType: 'application/json; charset=utf-8', extension: 'json' };
    case 'rich':
      return { body: toRichText(transcript), contentType: 'text/plain; charset=utf-8', extension: 'rich.txt' };
    case 'txt':
      return { body: toText(transcript), contentType: 'text/plain; charset=utf-8', extension: 'txt' };
    case 'srt':
      return { body: toSrt(transcript, options), contentType: 'application/x-subrip; charset=utf-8', extension: 'srt' };
    case 'vtt':
      return { body: toVtt(transcript, options), contentType: 'text/vtt; charset=utf-8', extension: 'vtt' };
  }
}

export function isTranscriptFormat(value: string): value is TranscriptFormat {
  return (TRANSCRIPT_FORMATS as readonly string[]).includes(value);
}
