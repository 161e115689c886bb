import type { ChannelNames } from '../channel-label.js';
import type { Transcript } from '../transcript.js';
import { buildCues, formatTimestamp, type CueOptions } from './cues.js';

/**
 * WebVTT: the `WEBVTT` header, then cues `HH:MM:SS.mmm --> HH:MM:SS.mmm` with `&`, `<`, `>`
 * escaped (cue text is markup in VTT). Cues carry no identifiers. A transcript without cues
 * gives the header alone, which is a valid file.
 */
export function toVtt(transcript: Pick<Transcript, 'segments'> & ChannelNames, options: CueOptions = {}): string {
  const cues = buildCues(transcript, options).map(
    (cue) =>
      `${formatTimestamp(cue.startS, '.')} --> ${formatTimestamp(cue.endS, '.')}\n${cue.lines.map(escapeVtt).join('\n')}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

function escapeVtt(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
