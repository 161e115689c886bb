/**
 * Limits on what a header may claim about an audio stream. Values outside them are a broken
 * (or hostile) header, not an unusual recording: the WAV parser and ffprobe's answer are
 * both checked against them, and a file that fails is AUDIO_CORRUPT.
 */

/**
 * Channels: 1..256. WAVE_FORMAT_EXTENSIBLE names 18 speaker positions, but more channels
 * exist in practice (64-channel MADI, 128-channel Dante recorders, 15th-order ambisonics
 * has 256); ffmpeg itself stops at 512. A header claiming 1,000 is garbage.
 */
export const MAX_CHANNELS = 256;
/** Below 1 kHz a "sample rate" is a broken header (and 1 Hz would turn 1 MB into 16 GB at 16 kHz). */
export const MIN_SAMPLE_RATE = 1000;
/** 768 kHz is the highest rate audio interfaces offer (DXD is 352.8 kHz); DSD is not PCM. */
export const MAX_SAMPLE_RATE = 768_000;

/** Why `channels`/`sampleRate` cannot be a real stream, or null when they can. */
export function implausibleStream(stream: { channels: number; sampleRate: number }): string | null {
  const { channels, sampleRate } = stream;
  if (!Number.isInteger(channels) || channels < 1) return `${channels} channels`;
  if (channels > MAX_CHANNELS) return `${channels} channels (more than ${MAX_CHANNELS})`;
  if (!Number.isFinite(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    return `an implausible sample rate of ${sampleRate} Hz (accepted: ${MIN_SAMPLE_RATE}..${MAX_SAMPLE_RATE} Hz)`;
  }
  return null;
}
