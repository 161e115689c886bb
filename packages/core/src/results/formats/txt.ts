import { channelPrefix, type ChannelNames } from '../channel-label.js';
import type { Transcript } from '../transcript.js';

/**
 * Plain text: one line per segment with text (empty segments skipped), `label: ` first in a
 * per-channel transcript (channel-label.ts); empty transcript → "".
 */
export function toText(transcript: Pick<Transcript, 'segments'> & ChannelNames): string {
  return transcript.segments
    .map((s) => ({ s, text: s.text.replace(/\s+/g, ' ').trim() }))
    .filter(({ text }) => text !== '')
    .map(({ s, text }) => `${channelPrefix(transcript, s)}${text}\n`)
    .join('');
}

/**
 * Rich text (emoji for emotions and events), one line per segment with text, labelled like
 * `toText`. Per segment rather than the transcript's FunASR-exact `richText`, because
 * FunASR's post-processing of joined segments glues English words across
 * segment boundaries ("hello" + "world" → "helloworld"). Empty → "".
 */
export function toRichText(transcript: Pick<Transcript, 'segments'> & ChannelNames): string {
  return transcript.segments
    .map((s) => ({ s, text: s.richText.trim() }))
    .filter(({ text }) => text !== '')
    .map(({ s, text }) => `${channelPrefix(transcript, s)}${text}\n`)
    .join('');
}
