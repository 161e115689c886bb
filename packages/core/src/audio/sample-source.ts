/**
 * 16 kHz mono samples readable in pieces. The front end (VAD, features) reads a decoded file
 * through this interface, so a long file need not be held whole as float samples: a source may
 * be an array in memory or a PCM file on disk.
 */
export interface SampleSource {
  readonly sampleRate: 16_000;
  /** Number of samples. */
  readonly length: number;
  /** `length / sampleRate`. */
  readonly durationS: number;
  /**
   * Samples `[from, to)`, clamped to `[0, length)`, as a new array the caller owns (it may
   * transfer it to a worker thread). Reads may run concurrently.
   */
  read(from: number, to: number): Promise<Float32Array>;
}

/** A source over samples already in memory (each read is a copy, so it can be transferred). */
export function memorySampleSource(samples: Float32Array): SampleSource {
  return {
    sampleRate: 16_000,
    length: samples.length,
    durationS: samples.length / 16_000,
    read: (from, to) => {
      const a = Math.max(0, Math.min(samples.length, from));
      const b = Math.max(a, Math.min(samples.length, to));
      return Promise.resolve(samples.slice(a, b));
    },
  };
}

/** A source holding a resource (an open file, a temp file to delete): close it when done. */
export interface ClosableSampleSource extends SampleSource {
  /** Releases the source (deletes its temp file, if any); safe to call more than once. */
  close(): Promise<void>;
}
