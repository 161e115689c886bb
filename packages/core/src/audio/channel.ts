import { AppError } from '../errors/app-error.js';

/**
 * Refuses a channel the audio lacks (one-channel decodes for per-channel transcripts): both
 * decoders (the WAV reader, ffmpeg) check with this once they know the channel count.
 * @throws AppError INVALID_OPTIONS
 */
export function checkChannel(channel: number | undefined, channels: number): void {
  if (channel === undefined || (Number.isInteger(channel) && channel >= 0 && channel < channels)) return;
  throw new AppError('INVALID_OPTIONS', `channel ${channel} does not exist: the audio has ${channels} channel(s)`, { details: { channel, channels } });
}
