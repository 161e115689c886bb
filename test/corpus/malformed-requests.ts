/**
 * A generated corpus of broken requests for the API (run by test/malformed-requests.test.ts).
 *
 * Every case is built by plain deterministic functions from a few valid bodies, so the corpus is
 * reviewable here and the same on every run. Names are `<category>/<variant>`; run one case with
 * `npx vitest run --project integration test/malformed-requests.test.ts -t '<name>'`, list them
 * all with `npx tsx test/corpus/malformed-requests.ts`.
 *
 * Words:
 * - **target**: the route a case is sent to (`create-job` = POST /v1/jobs, `create-upload` =
 *   POST /v1/uploads, `put-upload` = PUT /v1/uploads/:id on an upload the runner creates first).
 * - **then**: what the client does after sending its bytes: wait for the `answer`, `hang-up`
 *   (close the socket; nobody reads an answer), or `stall` (keep the socket open and send nothing
 *   for longer than the run's request timeout, then hang up).
 * - **expect**: what the API must do. `problem`: a 4xx problem JSON answer with this status and
 *   code (framing Node's HTTP parser refuses, such as bad chunking or contradictory lengths, is
 *   answered by the server's clientError handler: 400 VALIDATION_FAILED). `hang-up`: no answer
 *   needed. `stall`: the server's request timeout ends the request while the client waits: 408
 *   REQUEST_TIMEOUT, and other requests are served meanwhile. `accepted`: a 202, by design (`why`).
 *
 * Whatever the expectation, afterwards nothing may be left in storage and the process must still
 * be up; the runner checks both after every case.
 */

/** The API settings this corpus is written against; the runner starts the API with them. */
export const CORPUS_LIMITS = {
  /** EARSHOT_MAX_UPLOAD_BYTES for the run (small, so too-large cases stay small). */
  maxUploadBytes: 64 * 1024,
  /** Room for boundaries and fields on top of the file (routes/create-job.ts MULTIPART_OVERHEAD_BYTES). */
  multipartOverheadBytes: 1024 * 1024,
  /** POST /v1/jobs JSON limit (routes/create-job.ts JSON_BODY_LIMIT). */
  jobJsonBytes: 256 * 1024,
  /** POST /v1/uploads JSON limit (routes/uploads.ts). */
  uploadJsonBytes: 16 * 1024,
  /** Text fields per multipart request and bytes per field (jobs/receive-multipart.ts). */
  maxFields: 50,
  maxFieldBytes: 64 * 1024,
  /** Deepest JSON nesting (middleware/json-body.ts). */
  maxJsonDepth: 64,
  /** EARSHOT_REQUEST_TIMEOUT_MS for the run; `stall` cases stall for longer than this. */
  requestTimeoutMs: 1000,
} as const;

export type Expectation =
  | { kind: 'problem'; status: number; code: string }
  | { kind: 'hang-up' }
  | { kind: 'stall' }
  | { kind: 'accepted'; why: string };

export type Target =
  | { route: 'create-job' }
  | { route: 'create-upload' }
  /** `declare`: what the runner's POST /v1/uploads declares for the upload first. */
  | { route: 'put-upload'; declare?: { contentType?: string; sizeBytes?: number } };

export interface MalformedCase {
  name: string;
  target: Target;
  /** Header lines after Host and Authorization, in order. Content-Length is added per `length`. */
  headers: [string, string][];
  /** The bytes after the header block, exactly as they go on the wire (chunk framing included). */
  body: Buffer;
  /** Content-Length: the body's length (default), another number, or none at all. */
  length?: number | 'none';
  /** The body in this many writes, this far apart. @defaultValue one write */
  trickle?: { pieces: number; intervalMs: number };
  /** @defaultValue 'answer' */
  then?: 'answer' | 'hang-up' | 'stall';
  expect: Expectation;
}

// ---------- building blocks ----------

const BOUNDARY = 'earshot-corpus-7d1f0c';
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const JSON_TYPE = 'application/json';

/** Deterministic stand-in audio: the API never looks inside (no worker runs in the test). */
export function audioBytes(n: number): Buffer {
  const bytes = Buffer.alloc(n);
  for (let i = 0; i < n; i++) bytes[i] = (i * 31 + 7) & 0xff;
  return bytes;
}

export interface Part {
  /** Omitted: no name parameter. Bytes: written raw (invalid UTF-8 on purpose). */
  name?: string | Buffer;
  filename?: string | Buffer;
  contentType?: string;
  /** Replaces the generated header lines (each without CRLF). */
  rawHeaders?: (string | Buffer)[];
  data: Buffer | string;
}

export const field = (name: string | Buffer, value: string | Buffer): Part => ({ name, data: value });
export const filePart = (data: Buffer, name: string | Buffer = 'file', filename: string | Buffer = 'a.wav'): Part => ({
  name,
  filename,
  contentType: 'audio/wav',
  data,
});

const bytes = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

/**
 * A multipart body and the offsets of its structure (for truncation): `<label>/…` per part
 * (`in-delimiter`, `after-delimiter`, `in-headers`, `before-blank-line`, `after-headers`,
 * `in-body`, `end-of-body`) and `closing/…`.
 */
export function multipartBody(parts: Part[], boundary = BOUNDARY): { body: Buffer; marks: Map<string, number> } {
  const chunks: Buffer[] = [];
  const marks = new Map<string, number>();
  let offset = 0;
  const push = (b: Buffer): void => {
    chunks.push(b);
    offset += b.length;
  };
  const mark = (label: string, delta = 0): void => {
    marks.set(label, offset + delta);
  };
  parts.forEach((part, index) => {
    const label = `part-${index + 1}`;
    const delimiter = bytes(`${index === 0 ? '' : '\r\n'}--${boundary}`);
    mark(`${label}/in-delimiter`, Math.floor(delimiter.length / 2));
    push(delimiter);
    push(bytes('\r\n'));
    mark(`${label}/after-delimiter`);
    const headers = part.rawHeaders ?? defaultHeaders(part);
    headers.forEach((line, i) => {
      if (i === 0) mark(`${label}/in-headers`, Math.floor(bytes(line).length / 2));
      push(Buffer.concat([bytes(line), bytes('\r\n')]));
    });
    mark(`${label}/before-blank-line`);
    push(bytes('\r\n'));
    mark(`${label}/after-headers`);
    const data = bytes(part.data);
    mark(`${label}/in-body`, Math.floor(data.length / 2));
    push(data);
    mark(`${label}/end-of-body`);
  });
  const closing = bytes(`\r\n--${boundary}--\r\n`);
  mark('closing/in-delimiter', closing.length - 4); // "\r\n--<boundary>-"
  push(closing);
  return { body: Buffer.concat(chunks), marks };
}

function defaultHeaders(part: Part): Buffer[] {
  const disposition: Buffer[] = [bytes('Content-Disposition: form-data')];
  if (part.name !== undefined) disposition.push(bytes('; name="'), bytes(part.name), bytes('"'));
  if (part.filename !== undefined) disposition.push(bytes('; filename="'), bytes(part.filename), bytes('"'));
  const lines: Buffer[] = [Buffer.concat(disposition)];
  if (part.contentType) lines.push(bytes(`Content-Type: ${part.contentType}`));
  return lines;
}

/** `body` in HTTP/1.1 chunked framing, `chunkBytes` per chunk, with the final 0-chunk unless `final` is false. */
export function chunked(body: Buffer, chunkBytes = 4096, final = true): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < body.length; i += chunkBytes) {
    const chunk = body.subarray(i, i + chunkBytes);
    out.push(bytes(`${chunk.length.toString(16)}\r\n`), chunk, bytes('\r\n'));
  }
  if (final) out.push(bytes('0\r\n\r\n'));
  return Buffer.concat(out);
}

/** `depth` nested arrays: `[[[…]]]`. */
export function nestedArrays(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

/** `depth` nested objects ending in 1: `{"a":{"a":…1}}`. */
export function nestedObjects(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

const problem = (status: number, code: string): Expectation => ({ kind: 'problem', status, code });
const INVALID = problem(400, 'VALIDATION_FAILED');
const TOO_LARGE = problem(413, 'PAYLOAD_TOO_LARGE');
const UNSUPPORTED = problem(415, 'UNSUPPORTED_MEDIA_TYPE');
const EMPTY = problem(422, 'AUDIO_EMPTY');
/** Framing Node's HTTP parser refuses; the server's clientError handler answers problem JSON. */
const HTTP_400 = problem(400, 'VALIDATION_FAILED');

const multipartCase = (name: string, parts: Part[], expect: Expectation, extra: Partial<MalformedCase> = {}): MalformedCase => ({
  name,
  target: { route: 'create-job' },
  headers: [['Content-Type', MULTIPART]],
  body: multipartBody(parts).body,
  expect,
  ...extra,
});

/** The valid multipart job request the truncation cases cut up: a field, the file, a field after it. */
export function validJobParts(fileBytes = 2000): Part[] {
  return [field('language', 'en'), filePart(audioBytes(fileBytes)), field('metadata', '{"ticket":"T-1"}')];
}

const JOB_JSON = '{"audio":{"url":"https://example.com/a.wav"},"language":"en"}';

// ---------- the corpus ----------

/** Multipart bodies cut at every structural point: once as a complete HTTP message (the form ends early), once by a client that hangs up. */
function truncatedMultipart(): MalformedCase[] {
  const { body, marks } = multipartBody(validJobParts());
  const points: [string, number][] = [['empty-body', 0], ...marks];
  return points.flatMap(([point, at]): MalformedCase[] => [
    {
      name: `multipart-truncated/${point}`,
      target: { route: 'create-job' },
      headers: [['Content-Type', MULTIPART]],
      body: body.subarray(0, at),
      expect: INVALID,
    },
    {
      name: `multipart-hang-up/${point}`,
      target: { route: 'create-job' },
      headers: [['Content-Type', MULTIPART]],
      body: body.subarray(0, at),
      length: body.length,
      then: 'hang-up',
      expect: { kind: 'hang-up' },
    },
  ]);
}

function multipartStructure(): MalformedCase[] {
  const audio = audioBytes(1500);
  const fields = (n: number): Part[] => Array.from({ length: n }, (_, i) => field(`extra${i}`, 'x'));
  const big = 'x'.repeat(CORPUS_LIMITS.maxFieldBytes + 1);
  return [
    multipartCase('multipart-parts/two-file-parts', [filePart(audio), filePart(audio, 'file', 'b.wav')], INVALID),
    multipartCase('multipart-parts/other-file-part-before-file', [filePart(audio, 'audio'), filePart(audio)], INVALID),
    multipartCase('multipart-parts/other-file-part-after-file', [filePart(audio), filePart(audio, 'audio')], INVALID),
    multipartCase('multipart-parts/only-other-file-part', [filePart(audio, 'upload')], INVALID),
    multipartCase('multipart-parts/no-file-part', [field('language', 'en')], INVALID),
    multipartCase('multipart-parts/no-parts-at-all', [], INVALID),
    multipartCase('multipart-parts/empty-file', [filePart(Buffer.alloc(0))], EMPTY),
    multipartCase('multipart-parts/unknown-field-before-file', [field('colour', 'blue'), filePart(audio)], INVALID),
    multipartCase('multipart-parts/unknown-field-after-file', [filePart(audio), field('colour', 'blue')], INVALID),
    multipartCase('multipart-parts/bad-option-value-after-file', [filePart(audio), field('language', 'klingon')], INVALID),
    multipartCase('multipart-parts/field-without-name', [{ data: 'en' }, filePart(audio)], INVALID),
    multipartCase('multipart-parts/file-without-name', [{ filename: 'a.wav', contentType: 'audio/wav', data: audio }], INVALID),
    multipartCase('multipart-parts/file-without-name-after-file', [filePart(audio), { filename: 'b.wav', data: audio }], INVALID),
    multipartCase('multipart-parts/malformed-part-header', [{ rawHeaders: ['Content-Disposition form-data; name="file"'], data: audio }], INVALID),
    multipartCase('multipart-parts/header-line-without-end', [{ rawHeaders: [`X-Long: ${'h'.repeat(20_000)}`], data: audio }], INVALID),
    multipartCase('multipart-fields/repeated-before-file', [field('language', 'en'), field('language', 'de'), filePart(audio)], INVALID),
    multipartCase('multipart-fields/repeated-after-file', [filePart(audio), field('language', 'en'), field('language', 'de')], INVALID),
    multipartCase('multipart-fields/repeated-around-file', [field('language', 'en'), filePart(audio), field('language', 'de')], INVALID),
    multipartCase('multipart-fields/oversize-before-file', [field('metadata', big), filePart(audio)], TOO_LARGE),
    multipartCase('multipart-fields/oversize-after-file', [filePart(audio), field('metadata', big)], TOO_LARGE),
    multipartCase('multipart-fields/overlong-name', [field('n'.repeat(300), 'x'), filePart(audio)], INVALID),
    multipartCase('multipart-fields/too-many-before-file', [...fields(CORPUS_LIMITS.maxFields + 1), filePart(audio)], INVALID),
    multipartCase('multipart-fields/too-many-after-file', [filePart(audio), ...fields(CORPUS_LIMITS.maxFields + 1)], INVALID),
    multipartCase('multipart-fields/far-too-many-after-file', [filePart(audio), ...fields(CORPUS_LIMITS.maxFields * 4)], INVALID),
    multipartCase('multipart-fields/deep-json-metadata', [field('metadata', nestedObjects(9000)), filePart(audio)], INVALID),
    multipartCase('multipart-fields/deep-json-metadata-after-file', [filePart(audio), field('metadata', nestedObjects(9000))], INVALID),
    multipartCase('multipart-fields/deep-json-option', [field('vad', nestedArrays(20_000)), filePart(audio)], INVALID),
  ];
}

function boundaries(): MalformedCase[] {
  const { body } = multipartBody(validJobParts());
  const other = multipartBody(validJobParts(), 'some-other-boundary').body;
  const long = 'b'.repeat(200);
  const withType = (name: string, type: string, payload: Buffer = body): MalformedCase => ({
    name,
    target: { route: 'create-job' },
    headers: [['Content-Type', type]],
    body: payload,
    expect: INVALID,
  });
  return [
    withType('multipart-boundary/missing', 'multipart/form-data'),
    withType('multipart-boundary/empty', 'multipart/form-data; boundary='),
    withType('multipart-boundary/empty-quoted', 'multipart/form-data; boundary=""'),
    withType('multipart-boundary/mismatched', MULTIPART, other),
    withType('multipart-boundary/overlong', `multipart/form-data; boundary=${long}`),
    withType('multipart-boundary/overlong-matching-but-truncated', `multipart/form-data; boundary=${long}`, multipartBody(validJobParts(), long).body.subarray(0, 700)),
    withType('multipart-boundary/garbage-parameters', 'multipart/form-data; ;;; boundary'),
    withType('multipart-boundary/body-not-multipart', MULTIPART, Buffer.from(JOB_JSON)),
  ];
}

function contentTypes(): MalformedCase[] {
  const { body } = multipartBody(validJobParts());
  const typed = (name: string, headers: [string, string][], payload: Buffer = body, route: 'create-job' | 'create-upload' = 'create-job'): MalformedCase => ({
    name,
    target: { route },
    headers,
    body: payload,
    expect: UNSUPPORTED,
  });
  return [
    typed('content-type/text-plain', [['Content-Type', 'text/plain']]),
    typed('content-type/none', []),
    typed('content-type/multipart-mixed', [['Content-Type', `multipart/mixed; boundary=${BOUNDARY}`]]),
    typed('content-type/form-urlencoded', [['Content-Type', 'application/x-www-form-urlencoded']], Buffer.from('language=en&file=abc')),
    typed('content-type/octet-stream', [['Content-Type', 'application/octet-stream']], audioBytes(1000)),
    typed('content-type/garbage', [['Content-Type', '\u00ff\u00fe;;;=']]),
    typed('content-type/upload-request-text-plain', [['Content-Type', 'text/plain']], Buffer.from('{}'), 'create-upload'),
  ];
}

function sizes(): MalformedCase[] {
  const max = CORPUS_LIMITS.maxUploadBytes;
  const overFile = multipartBody([field('language', 'en'), filePart(audioBytes(max + 10_000))]).body;
  const bigJson = Buffer.from(JSON.stringify({ audio: { url: 'https://example.com/a.wav' }, metadata: { pad: 'p'.repeat(CORPUS_LIMITS.jobJsonBytes) } }));
  return [
    {
      // Refused from the headers alone: only the start of the body is ever sent.
      name: 'size/multipart-content-length-over-limit',
      target: { route: 'create-job' },
      headers: [['Content-Type', MULTIPART]],
      body: overFile.subarray(0, 1000),
      length: max + CORPUS_LIMITS.multipartOverheadBytes + 1,
      expect: TOO_LARGE,
    },
    multipartCase('size/multipart-file-over-limit', [filePart(audioBytes(max + 10_000))], TOO_LARGE),
    multipartCase('size/multipart-file-over-limit-with-fields-after', [filePart(audioBytes(max + 10_000)), field('language', 'en')], TOO_LARGE),
    {
      name: 'size/multipart-file-over-limit-chunked',
      target: { route: 'create-job' },
      headers: [['Content-Type', MULTIPART], ['Transfer-Encoding', 'chunked']],
      body: chunked(overFile),
      length: 'none',
      expect: TOO_LARGE,
    },
    { name: 'size/json-over-limit', target: { route: 'create-job' }, headers: [['Content-Type', JSON_TYPE]], body: bigJson, expect: TOO_LARGE },
    {
      name: 'size/json-over-limit-chunked',
      target: { route: 'create-job' },
      headers: [['Content-Type', JSON_TYPE], ['Transfer-Encoding', 'chunked']],
      body: chunked(bigJson),
      length: 'none',
      expect: TOO_LARGE,
    },
    {
      name: 'size/upload-request-json-over-limit',
      target: { route: 'create-upload' },
      headers: [['Content-Type', JSON_TYPE]],
      body: Buffer.from(JSON.stringify({ filename: 'f'.repeat(CORPUS_LIMITS.uploadJsonBytes) })),
      expect: TOO_LARGE,
    },
    {
      name: 'size/put-content-length-over-limit',
      target: { route: 'put-upload' },
      headers: [['Content-Type', 'audio/wav']],
      body: audioBytes(1000),
      length: max + 1,
      expect: TOO_LARGE,
    },
    {
      name: 'size/put-over-limit-chunked',
      target: { route: 'put-upload' },
      headers: [['Content-Type', 'audio/wav'], ['Transfer-Encoding', 'chunked']],
      body: chunked(audioBytes(max + 10_000)),
      length: 'none',
      expect: TOO_LARGE,
    },
    {
      name: 'size/put-declared-size-mismatch',
      target: { route: 'put-upload', declare: { sizeBytes: 500 } },
      headers: [['Content-Type', 'audio/wav']],
      body: audioBytes(400),
      expect: INVALID,
    },
    {
      name: 'size/put-declared-size-mismatch-chunked',
      target: { route: 'put-upload', declare: { sizeBytes: 500 } },
      headers: [['Content-Type', 'audio/wav'], ['Transfer-Encoding', 'chunked']],
      body: chunked(audioBytes(400), 100),
      length: 'none',
      expect: INVALID,
    },
    { name: 'size/put-empty', target: { route: 'put-upload' }, headers: [['Content-Type', 'audio/wav']], body: Buffer.alloc(0), expect: EMPTY },
    {
      name: 'size/put-empty-chunked',
      target: { route: 'put-upload' },
      headers: [['Content-Type', 'audio/wav'], ['Transfer-Encoding', 'chunked']],
      body: chunked(Buffer.alloc(0)),
      length: 'none',
      expect: EMPTY,
    },
    {
      name: 'content-type/put-not-as-declared',
      target: { route: 'put-upload', declare: { contentType: 'audio/wav' } },
      headers: [['Content-Type', 'text/plain']],
      body: audioBytes(1000),
      expect: UNSUPPORTED,
    },
  ];
}

function invalidUtf8(): MalformedCase[] {
  const audio = audioBytes(1500);
  const bad = (s: string): Buffer => Buffer.concat([Buffer.from(s), Buffer.from([0xff, 0xfe, 0xc3])]);
  return [
    multipartCase('utf8/field-name', [field(bad('lang'), 'en'), filePart(audio)], INVALID),
    multipartCase('utf8/field-name-after-file', [filePart(audio), field(bad('lang'), 'en')], INVALID),
    multipartCase('utf8/field-value', [field('language', bad('en')), filePart(audio)], INVALID),
    multipartCase('utf8/file-part-name', [filePart(audio, bad('file'))], INVALID),
    multipartCase('utf8/filename', [filePart(audio, 'file', bad('a'))], {
      kind: 'accepted',
      why: 'the file name is cosmetic: invalid UTF-8 is decoded with U+FFFD, as browsers do, and the audio is kept',
    }),
    multipartCase('utf8/filename-star', [{ rawHeaders: [`Content-Disposition: form-data; name="file"; filename*=UTF-8''%FF%FEa.wav`], data: audio }], {
      kind: 'accepted',
      why: 'RFC 5987 file name with invalid UTF-8 percent-escapes: decoded with U+FFFD',
    }),
    {
      name: 'utf8/json-key',
      target: { route: 'create-job' },
      headers: [['Content-Type', JSON_TYPE]],
      body: Buffer.concat([Buffer.from('{"audio":{"url":"https://example.com/a.wav"},"lang'), Buffer.from([0xff, 0xfe]), Buffer.from('":"en"}')]),
      expect: INVALID,
    },
  ];
}

function json(): MalformedCase[] {
  const jsonCase = (name: string, body: string | Buffer, expect: Expectation, type = JSON_TYPE, route: 'create-job' | 'create-upload' = 'create-job'): MalformedCase => ({
    name,
    target: { route },
    headers: [['Content-Type', type]],
    body: bytes(body),
    expect,
  });
  return [
    jsonCase('json/deep-arrays-10000', nestedArrays(10_000), INVALID),
    jsonCase('json/deep-arrays-100000', nestedArrays(100_000), INVALID),
    jsonCase('json/deep-metadata', `{"audio":{"url":"https://example.com/a.wav"},"metadata":${nestedObjects(40_000)}}`, INVALID),
    jsonCase('json/deep-audio', `{"audio":${nestedObjects(40_000)}}`, INVALID),
    jsonCase('json/just-over-max-depth', `{"audio":{"url":"https://example.com/a.wav"},"metadata":${nestedObjects(CORPUS_LIMITS.maxJsonDepth)}}`, INVALID),
    jsonCase('json/not-json', 'audio=https://example.com/a.wav', INVALID),
    jsonCase('json/truncated', JOB_JSON.slice(0, 20), INVALID),
    jsonCase('json/binary', audioBytes(2000), INVALID),
    jsonCase('json/empty-body', '', INVALID),
    jsonCase('json/array', '[]', INVALID),
    jsonCase('json/array-of-job', `[${JOB_JSON}]`, INVALID),
    jsonCase('json/number', '42', INVALID),
    jsonCase('json/null', 'null', INVALID),
    jsonCase('json/string', '"https://example.com/a.wav"', INVALID),
    jsonCase('json/proto-key', '{"__proto__":{"admin":true},"audio":{"url":"https://example.com/a.wav"}}', INVALID),
    jsonCase('json/charset-latin1', JOB_JSON, UNSUPPORTED, `${JSON_TYPE}; charset=latin1`),
    jsonCase('json/charset-unknown', JOB_JSON, UNSUPPORTED, `${JSON_TYPE}; charset=klingon-8`),
    jsonCase('json/charset-utf16-but-utf8-bytes', JOB_JSON, INVALID, `${JSON_TYPE}; charset=utf-16`),
    jsonCase('json/charset-utf-unknown-to-decoder', JOB_JSON, UNSUPPORTED, `${JSON_TYPE}; charset=utf-99`),
    jsonCase('json/upload-request-deep', nestedArrays(8000), INVALID, JSON_TYPE, 'create-upload'),
    jsonCase('json/upload-request-not-json', '{filename: a.wav}', INVALID, JSON_TYPE, 'create-upload'),
    jsonCase('json/upload-request-charset', '{}', UNSUPPORTED, `${JSON_TYPE}; charset=iso-8859-1`, 'create-upload'),
    {
      ...jsonCase('json/gzip-garbage', audioBytes(500), INVALID),
      headers: [['Content-Type', JSON_TYPE], ['Content-Encoding', 'gzip']],
    },
    {
      ...jsonCase('json/unknown-content-encoding', JOB_JSON, UNSUPPORTED),
      headers: [['Content-Type', JSON_TYPE], ['Content-Encoding', 'x-klingon']],
    },
  ];
}

/** Chunked framing that Node's HTTP parser rejects, and chunked bodies that stop half way. */
function chunking(): MalformedCase[] {
  const { body } = multipartBody(validJobParts(6000));
  const framed = chunked(body, 1000);
  const goodStart = chunked(body.subarray(0, 3000), 1000, false); // the file part has begun
  const raw = (s: string): Buffer => Buffer.from(s, 'latin1');
  const te = (name: string, target: Target, type: string, payload: Buffer, expect: Expectation, extra: Partial<MalformedCase> = {}): MalformedCase => ({
    name,
    target,
    headers: [['Content-Type', type], ['Transfer-Encoding', 'chunked']],
    body: payload,
    length: 'none',
    expect,
    ...extra,
  });
  const job = { route: 'create-job' } as const;
  const put = { route: 'put-upload' } as const;
  return [
    te('chunked/bad-size-first', job, MULTIPART, raw('zz\r\nabc\r\n0\r\n\r\n'), HTTP_400),
    te('chunked/bad-size-inside-file', job, MULTIPART, Buffer.concat([goodStart, raw('zz\r\nabc\r\n0\r\n\r\n')]), HTTP_400),
    te('chunked/data-longer-than-size', job, MULTIPART, Buffer.concat([goodStart, raw('3\r\nabcdef\r\n0\r\n\r\n')]), HTTP_400),
    te('chunked/missing-crlf-after-data', job, MULTIPART, Buffer.concat([goodStart, raw('3\r\nabc0\r\n\r\n')]), HTTP_400),
    te('chunked/size-overflow', job, MULTIPART, Buffer.concat([goodStart, raw('fffffffffffffffffff\r\nabc\r\n0\r\n\r\n')]), HTTP_400),
    te('chunked/json-bad-size', job, JSON_TYPE, raw(`zz\r\n${JOB_JSON}\r\n0\r\n\r\n`), HTTP_400),
    te('chunked/put-bad-size-inside-body', put, 'audio/wav', Buffer.concat([chunked(audioBytes(3000), 1000, false), raw('xyz\r\n')]), HTTP_400),
    te('chunked/form-truncated-but-framing-complete', job, MULTIPART, chunked(body.subarray(0, 3000), 1000), INVALID),
    te('chunked/hang-up-inside-chunk', job, MULTIPART, framed.subarray(0, 2500), { kind: 'hang-up' }, { then: 'hang-up' }),
    te('chunked/hang-up-before-final-chunk', job, MULTIPART, chunked(body, 1000, false), { kind: 'hang-up' }, { then: 'hang-up' }),
    te('chunked/put-hang-up-inside-chunk', put, 'audio/wav', chunked(audioBytes(3000), 1000).subarray(0, 1500), { kind: 'hang-up' }, { then: 'hang-up' }),
    {
      name: 'framing/content-length-and-chunked',
      target: job,
      headers: [['Content-Type', MULTIPART], ['Transfer-Encoding', 'chunked'], ['Content-Length', String(framed.length)]],
      body: framed,
      length: 'none',
      expect: HTTP_400,
    },
    {
      name: 'framing/content-length-not-a-number',
      target: job,
      headers: [['Content-Type', MULTIPART], ['Content-Length', 'lots']],
      body,
      length: 'none',
      expect: HTTP_400,
    },
    {
      name: 'framing/content-length-twice-different',
      target: job,
      headers: [['Content-Type', MULTIPART], ['Content-Length', String(body.length)], ['Content-Length', String(body.length + 1)]],
      body,
      length: 'none',
      expect: HTTP_400,
    },
  ];
}

/** Bodies that arrive slowly: trickled then abandoned, or stalled until the request timeout. */
function slow(): MalformedCase[] {
  const { body } = multipartBody(validJobParts(6000));
  const job = { route: 'create-job' } as const;
  const put = { route: 'put-upload' } as const;
  const trickle = { pieces: 8, intervalMs: 25 };
  const jsonHeaders: [string, string][] = [['Content-Type', JSON_TYPE]];
  return [
    { name: 'slow/multipart-trickle-then-hang-up', target: job, headers: [['Content-Type', MULTIPART]], body: body.subarray(0, 4000), length: body.length, trickle, then: 'hang-up', expect: { kind: 'hang-up' } },
    { name: 'slow/json-trickle-then-hang-up', target: job, headers: jsonHeaders, body: Buffer.from(JOB_JSON.slice(0, 30)), length: JOB_JSON.length, trickle, then: 'hang-up', expect: { kind: 'hang-up' } },
    { name: 'slow/put-trickle-then-hang-up', target: put, headers: [['Content-Type', 'audio/wav']], body: audioBytes(3000), length: 5000, trickle, then: 'hang-up', expect: { kind: 'hang-up' } },
    { name: 'slow/multipart-trickle-complete', target: job, headers: [['Content-Type', MULTIPART]], body: body.subarray(0, 4000), trickle, expect: INVALID },
    // Stalls: longer than the run's request timeout (EARSHOT_REQUEST_TIMEOUT_MS), then the client hangs up.
    { name: 'slow/multipart-stall-inside-file', target: job, headers: [['Content-Type', MULTIPART]], body: body.subarray(0, 4000), length: body.length, then: 'stall', expect: { kind: 'stall' } },
    { name: 'slow/multipart-stall-before-file', target: job, headers: [['Content-Type', MULTIPART]], body: body.subarray(0, 60), length: body.length, then: 'stall', expect: { kind: 'stall' } },
    {
      name: 'slow/multipart-chunked-stall',
      target: job,
      headers: [['Content-Type', MULTIPART], ['Transfer-Encoding', 'chunked']],
      body: chunked(body.subarray(0, 4000), 1000, false),
      length: 'none',
      then: 'stall',
      expect: { kind: 'stall' },
    },
    { name: 'slow/json-stall', target: job, headers: jsonHeaders, body: Buffer.from(JOB_JSON.slice(0, 30)), length: JOB_JSON.length, then: 'stall', expect: { kind: 'stall' } },
    { name: 'slow/put-stall', target: put, headers: [['Content-Type', 'audio/wav']], body: audioBytes(3000), length: 5000, then: 'stall', expect: { kind: 'stall' } },
  ];
}

/** Every case, in a stable order; names are unique. */
export function malformedRequests(): MalformedCase[] {
  const cases = [...truncatedMultipart(), ...multipartStructure(), ...boundaries(), ...contentTypes(), ...sizes(), ...invalidUtf8(), ...json(), ...chunking(), ...slow()];
  const names = new Set<string>();
  for (const c of cases) {
    if (names.has(c.name)) throw new Error(`duplicate corpus case name ${c.name}`);
    names.add(c.name);
  }
  return cases;
}

/** A valid multipart job request (the runner's last check that the process still works). */
export function validJobRequest(): { contentType: string; body: Buffer } {
  return { contentType: MULTIPART, body: multipartBody(validJobParts()).body };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const c of malformedRequests()) {
    const expect = c.expect.kind === 'problem' ? `${c.expect.status} ${c.expect.code}` : c.expect.kind;
    process.stdout.write(`${c.name.padEnd(60)} ${c.target.route.padEnd(14)} ${String(c.body.length).padStart(8)} B  ${expect}\n`);
  }
}
