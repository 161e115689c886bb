import type { Transcript } from '../transcript.js';

/** Plain text: one line per segment with text (empty segments skipped); empty transcript → "". */
export function toText(transcript: Pick<Transcript, 'segments'>): string {
  return transcript.segments
    .map((s) => s.text.replace(/\s+/g, ' ').trim())
    .filter((t) => t !== '')
    .map((t) => `${t}\n`)
    .join('');
}

/**
 * Rich text (emoji for emotions and events), one line per segment with text.
 * Per segment rather than the transcript's FunASR-exact `richText`, because
 * FunASR's post-processing of joined segments glues English words across
 * segment boundaries ("hello" + "world" → "helloworld"). Empty → "".
 */
export function toRichText(transcript: Pick<Transcript, 'segments'>): string {
  return transcript.segments
    .map((s) => s.richText.trim())
    .filter((t) => t !== '')
    .map((t) => `${t}\n`)
    .join('');
}
