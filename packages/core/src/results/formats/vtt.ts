import type { ChannelNames } from '../channel-label.js';
import type { Transcript } from '../transcript.js';
import { buildCues, formatTimestamp, type Cue, type CueOptions } from './cues.js';

/**
 * WebVTT: the `WEBVTT` header, then cues `HH:MM:SS.mmm --> HH:MM:SS.mmm` with `&`, `<`, `>`
 * escaped (cue text is markup in VTT). Cues carry no identifiers. A transcript without cues
 * gives the header alone, which is a valid file. With `wordTimestamps`, a cue timestamp tag
 * `<HH:MM:SS.mmm>` stands before each word after the cue's first (karaoke style: players show
 * the words before it as past).
 */
export function toVtt(transcript: Pick<Transcript, 'segments'> & ChannelNames, options: CueOptions = {}): string {
  const cues = buildCues(transcript, options).map(
    (cue) => `${formatTimestamp(cue.startS, '.')} --> ${formatTimestamp(cue.endS, '.')}\n${cueText(cue).join('\n')}\n`,
  );
  return ['WEBVTT\n', ...cues].join('\n');
}

/** The cue's lines, escaped, with a timestamp tag at each of its word starts. */
function cueText(cue: Cue): string[] {
  return cue.lines.map((line, l) => {
    const starts = (cue.wordStarts ?? []).filter((w) => w.line === l);
    let out = '';
    let from = 0;
    for (const start of starts) {
      out += `${escapeVtt(line.slice(from, start.offset))}<${formatTimestamp(start.startS, '.')}>`;
      from = start.offset;
    }
    return out + escapeVtt(line.slice(from));
  });
}

function escapeVtt(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
