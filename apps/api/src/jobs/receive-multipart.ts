/**
 * Reads a multipart/form-data job request with busboy, streaming the `file` part straight into
 * the blob store (never buffered whole) through a HashingLimiter (size limit + SHA-256). Small
 * text fields are collected. Fields sent before the file can be checked by `beforeFile`, so a
 * request with bad options fails before a byte is stored; fields after the file are fine too.
 *
 * On any failure the stored object (if any) is deleted, the rest of the request body is drained
 * and the error is thrown: PAYLOAD_TOO_LARGE for an oversize file or field, VALIDATION_FAILED for
 * malformed or incomplete multipart bodies (or a client that hung up), or whatever the store threw.
 *
 * Every stream here has an error listener from the moment it exists (the request: see
 * `feedRequestBody`; the parser, each file part and the limiter: below), because any of them can
 * fail at any time: busboy fails the current file part as soon as the body ends early, which may
 * be before the store's put has started reading the limiter.
 */
import type { Request } from 'express';
import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Logger } from 'pino';
import { AppError } from '@earshot/core/errors/app-error';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { HashingLimiter, cleanFilename } from '../uploads/hashing-limiter.js';
import { feedRequestBody, type BodyFeed } from '../uploads/request-body.js';

export interface ReceivedFile {
  key: string;
  sizeBytes: number;
  sha256: string;
  filename: string | null;
  contentType: string;
}

export interface ReceivedMultipart {
  /** Text fields in arrival order (duplicate names are rejected, except `repeatable` ones). */
  fields: Map<string, string>;
  /** The values of each `repeatable` field that was sent, in arrival order. */
  lists: Map<string, string[]>;
  file: ReceivedFile | null;
}

export interface ReceiveOptions {
  store: BlobStore;
  maxFileBytes: number;
  /** Storage key for the file, from its (cleaned) client file name. */
  keyFor(filename: string | null): string;
  /** Runs when the file part starts, with the fields seen so far; throw to reject the request. */
  beforeFile?(fields: ReadonlyMap<string, string>): void;
  /** Field names that may repeat (`timestamp_granularities[]`), collected in `lists`. */
  repeatable?: readonly string[];
  logger: Logger;
}

/** Name of the part holding the audio. */
export const FILE_FIELD = 'file';
const MAX_FIELD_BYTES = 64 * 1024;
const MAX_FIELDS = 50;
const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]{1,64}\/[A-Za-z0-9!#$&^_.+-]{1,64}$/;

function invalid(message: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { details: { errors: [{ path: '', message }] } });
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export function receiveMultipart(req: Request, opts: ReceiveOptions): Promise<ReceivedMultipart> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: req.headers,
      defParamCharset: 'utf8',
      limits: { files: 1, fields: MAX_FIELDS, parts: MAX_FIELDS + 1, fieldSize: MAX_FIELD_BYTES, fieldNameSize: 200 },
    });
  } catch (err) {
    return Promise.reject(invalid(`malformed multipart request: ${asError(err).message}`));
  }
  const fields = new Map<string, string>();
  const lists = new Map<string, string[]>();

  return new Promise<ReceivedMultipart>((resolve, reject) => {
    let failure: unknown = null;
    let upload: Promise<ReceivedFile> | null = null;
    let limiter: HashingLimiter | null = null;
    let finishing = false;
    let feed: BodyFeed | null = null;

    const finish = async (): Promise<void> => {
      if (finishing) return;
      finishing = true;
      let file: ReceivedFile | null = null;
      let uploadError: unknown = null;
      if (upload) {
        try {
          file = await upload;
        } catch (err) {
          uploadError = err;
        }
      }
      const error = failure ?? uploadError;
      if (error === null) {
        resolve({ fields, lists, file });
        return;
      }
      if (file) await opts.store.delete(file.key).catch((err: unknown) => opts.logger.warn({ err, key: file.key }, 'could not delete a rejected upload'));
      reject(error instanceof AppError ? error : invalid(`the multipart body could not be read: ${asError(error).message}`));
    };

    const fail = (err: unknown): void => {
      if (failure !== null) return;
      failure = err;
      // Stop parsing and throw the rest of the body away (keeps the connection usable), abort the put.
      feed?.stop();
      limiter?.destroy(asError(err));
      // Not synchronously: this may run inside one of the parser's own callbacks. Destroying it
      // ends (with an error) a part it is still emitting, so nothing waits for it.
      process.nextTick(() => parser.destroy());
      void finish();
    };

    // A throw inside a parser event would escape into the request's 'data' handler and crash the
    // process: every handler runs guarded, and a part without a name (busboy then gives undefined,
    // whatever its types say) is rejected before its name is used.
    const guarded =
      <A extends unknown[]>(handler: (...args: A) => void) =>
      (...args: A): void => {
        try {
          handler(...args);
        } catch (err) {
          fail(err);
        }
      };
    const unnamed = (name: string | undefined): boolean => {
      if (typeof name === 'string' && name !== '') return false;
      fail(invalid('every multipart part needs a name (Content-Disposition: form-data; name="…")'));
      return true;
    };

    parser.on('field', guarded((name: string, value: string, info: busboy.FieldInfo) => {
      if (failure !== null || unnamed(name)) return;
      if (info.nameTruncated || info.valueTruncated) {
        fail(new AppError('PAYLOAD_TOO_LARGE', `multipart field "${name.slice(0, 100)}" is larger than ${MAX_FIELD_BYTES} bytes`));
      } else if (opts.repeatable?.includes(name)) {
        lists.set(name, [...(lists.get(name) ?? []), value]);
      } else if (fields.has(name)) {
        fail(invalid(`multipart field "${name.slice(0, 100)}" appears twice`));
      } else {
        fields.set(name, value);
      }
    }));

    parser.on('file', (name: string, stream: Readable, info: busboy.FileInfo) => {
      // Listened to before anything can throw: the part outlives a failed request.
      stream.on('error', fail);
      guarded(() => receiveFile(name, stream, info))();
    });

    const receiveFile = (name: string, stream: Readable, info: busboy.FileInfo): void => {
      if (failure !== null || unnamed(name) || name !== FILE_FIELD) {
        stream.resume(); // dropped
        if (failure === null) fail(invalid(`unexpected file part "${name.slice(0, 100)}": send the audio as the "${FILE_FIELD}" part`));
        return;
      }
      opts.beforeFile?.(fields);
      const filename = cleanFilename(info.filename);
      const contentType = CONTENT_TYPE.test(info.mimeType) ? info.mimeType.toLowerCase() : 'application/octet-stream';
      const key = opts.keyFor(filename);
      const hashing = new HashingLimiter(opts.maxFileBytes);
      limiter = hashing;
      // Listened to from now on, before the store reads anything: the part fails when the body
      // ends inside it or the parser is destroyed; the limiter fails by itself only with
      // PAYLOAD_TOO_LARGE (an AppError). Its other errors come from the store's side (a failed
      // write destroys the body) and reach us as the put's rejection, classified by the store.
      hashing.on('error', (err) => {
        if (err instanceof AppError) fail(err);
      });
      stream.pipe(hashing);
      const putting = opts.store
        .put(key, hashing, { contentType })
        .then((put): ReceivedFile => ({ key, sizeBytes: put.size, sha256: hashing.sha256(), filename, contentType }));
      upload = putting;
      putting.catch(fail);
    };

    parser.on('filesLimit', () => fail(invalid(`send exactly one file part ("${FILE_FIELD}")`)));
    parser.on('fieldsLimit', () => fail(invalid(`too many multipart fields (at most ${MAX_FIELDS})`)));
    parser.on('partsLimit', () => fail(invalid('too many multipart parts')));
    // Stays attached for the parser's whole life: busboy also emits errors without being destroyed.
    parser.on('error', (err) => fail(invalid(`malformed multipart body: ${asError(err).message}`)));
    parser.on('close', () => {
      if (failure === null) void finish();
    });
    feed = feedRequestBody(req, parser, fail);
  });
}
