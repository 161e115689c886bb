import type { TranscriptChannel, TranscriptSegment } from './transcript.js';

/** What the labels need of a transcript: its channels' names (absent when the channels were mixed). */
export interface ChannelNames {
  channels?: readonly Pick<TranscriptChannel, 'channel' | 'name'>[] | undefined;
}

/** A channel's label in text outputs: its name (`channelNames`), else `Channel N` (N 0-based, as in JSON). */
export function channelLabel(transcript: ChannelNames, channel: number): string {
  return transcript.channels?.find((c) => c.channel === channel)?.name ?? `Channel ${channel}`;
}

/**
 * What text outputs put before a segment's text: `label: ` for a segment of a per-channel
 * transcript, nothing when the channels were mixed.
 */
export function channelPrefix(transcript: ChannelNames, segment: Pick<TranscriptSegment, 'channel'>): string {
  return segment.channel === null ? '' : `${channelLabel(transcript, segment.channel)}: `;
}
