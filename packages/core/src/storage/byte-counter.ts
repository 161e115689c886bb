import { Transform, type Readable } from 'node:stream';

/** A pass-through stream that counts the bytes flowing through it. */
export interface ByteCounter {
  stream: Transform;
  bytes(): number;
}

export function byteCounter(): ByteCounter {
  let bytes = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback(null, chunk);
    },
  });
  return { stream, bytes: () => bytes };
}

/**
 * Remembers the first error `source` emits, so a failed upload can tell the caller's stream
 * failing (rethrown as it is: a client abort is not a storage failure) from the backend failing.
 */
export function watchSourceError(source: Readable): () => unknown {
  let error: unknown;
  source.on('error', (err) => {
    error ??= err;
  });
  return () => error;
}

/** Reads a whole stream into one buffer (only for objects known to be small). */
export async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}
