import type { Transcript } from '../transcript.js';

/** Plain text: one line per segment with text (empty segments skipped); empty transcript → "". */
export function toText(transcript: Pick<Transcript, 'segments'>): string {
  return transcript.segments
    .map((s) => s.text.replace(/\s+/g, ' ').trim())
    .filter((t) => t !== '')
    .map((t) => `${t}\n`)
    .join('');
}

/** Rich text (emoji for emotions and events) as one paragraph; empty → "". */
export function toRichText(transcript: Pick<Transcript, 'richText'>): string {
  return transcript.richText === '' ? '' : `${transcript.richText}\n`;
}
