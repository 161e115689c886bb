import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { AppError } from '@earshot/core/errors/app-error';

/**
 * A pass-through stream between a request and the blob store: counts bytes, hashes them
 * (SHA-256, for idempotency) and fails with PAYLOAD_TOO_LARGE as soon as more than `maxBytes`
 * went through, which aborts the store's put (nothing is stored).
 */
export class HashingLimiter extends Transform {
  private readonly hash = createHash('sha256');
  private count = 0;

  constructor(private readonly maxBytes: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    if (this.count > this.maxBytes) {
      callback(tooLarge(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  get bytes(): number {
    return this.count;
  }

  /** Hex SHA-256 of everything that went through; call once, after the stream ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}

export function tooLarge(maxBytes: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `the audio is larger than the limit of ${maxBytes} bytes`, { details: { maxBytes } });
}

/** `wav` for `call.WAV`; `bin` when the name has no usable extension (the worker sniffs the bytes anyway). */
export function extensionOf(filename: string | null | undefined): string {
  const match = /\.([A-Za-z0-9]{1,16})$/.exec(filename ?? '');
  return match?.[1]?.toLowerCase() ?? 'bin';
}

/** Lone UTF-16 surrogates (JSON can spell them: "\ud800"); encodeURIComponent throws on them. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * A client-given file name made safe to store and echo: no path, no control characters, no lone
 * surrogates (each becomes U+FFFD, as invalid UTF-8 in a multipart file name already does), at
 * most 255 characters.
 */
export function cleanFilename(filename: string | null | undefined): string | null {
  if (!filename) return null;
  const base = filename.split(/[/\\]/).pop() ?? '';
  const clean = base.replace(/[\x00-\x1f\x7f]/g, '').replace(LONE_SURROGATE, '\uFFFD').trim().slice(0, 255).replace(LONE_SURROGATE, '');
  return clean === '' ? null : clean;
}
