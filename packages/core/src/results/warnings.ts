/**
 * Warnings: things a client should know about a *completed* transcript. A warning never
 * replaces an error (a file that cannot be used fails with an AppError code); it says the
 * result is usable but not the whole story. Codes are stable, like error codes: clients
 * switch on them.
 *
 * - `AUDIO_PARTIALLY_DECODED`: the decoder reported errors, or decoded noticeably less
 *   audio than the container declares, but not so little that the file was refused
 *   (audio/decode-completeness.ts has the rule). The transcript covers `decodedS` seconds.
 */

export const WARNING_CODES = ['AUDIO_PARTIALLY_DECODED'] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface PartialDecodeWarning {
  code: 'AUDIO_PARTIALLY_DECODED';
  /** Human-readable: what was decoded and what the decoder said. */
  message: string;
  /** Seconds of audio decoded (what the transcript covers). */
  decodedS: number;
  /** Seconds the container declares; null when it declares none (e.g. MediaRecorder WebM). */
  declaredS: number | null;
}

/** Every warning shape, discriminated by `code`. */
export type TranscriptWarning = PartialDecodeWarning;
