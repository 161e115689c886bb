import type { ChannelNames } from '../channel-label.js';
import type { Transcript } from '../transcript.js';
import { buildCues, formatTimestamp, type CueOptions } from './cues.js';

/**
 * SubRip: numbered cues from 1, `HH:MM:SS,mmm --> HH:MM:SS,mmm`, a blank line after each
 * cue. A transcript without cues gives an empty file.
 */
export function toSrt(transcript: Pick<Transcript, 'segments'> & ChannelNames, options: CueOptions = {}): string {
  return buildCues(transcript, options)
    .map(
      (cue, i) =>
        `${i + 1}\n${formatTimestamp(cue.startS, ',')} --> ${formatTimestamp(cue.endS, ',')}\n${cue.lines.join('\n')}\n\n`,
    )
    .join('');
}
