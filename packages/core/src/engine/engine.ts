import { decodeAudio, openAudioFile, type DecodedAudio, type DecodedAudioInfo, type DecodedSource } from '../audio/decode.js';
import { memorySampleSource, type SampleSource } from '../audio/sample-source.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { SymbolTable } from '../decoding/symbol-table.js';
import { decodeSenseVoiceOutput } from '../decoding/sense-voice-output.js';
import { scoreSegmentTags } from '../decoding/segment-tags.js';
import { createTagScorer, type TagScorer } from '../decoding/tag-confidence.js';
import { AppError } from '../errors/app-error.js';
import type { SegmentBatcher } from '../model/dynamic-batcher.js';
import type { InferenceRunner, ItemDecode } from '../model/inference-runner.js';
import { modelNameOf, type SenseVoiceMetadata } from '../model/model-metadata.js';
import { buildTranscript } from '../results/build-transcript.js';
import { segmentWords } from '../results/words.js';
import type { Transcript, TranscriptSegment } from '../results/transcript.js';
import type { SpeechDetector } from '../vad/speech-detector.js';
import { feedSegments, type FeatureComputer, type FeedLimits } from './segment-feed.js';
import { SegmentsInOrder } from './segments-in-order.js';
import { CheckedTranscribeRequestSchema, promptLanguage, type TranscribeRequestInput, type TranscribeRequest } from './transcribe-request.js';

const SAMPLE_RATE = 16_000;
/** Chunk length when VAD is off and the audio is longer than one segment should be. */
const NO_VAD_CHUNK_S = 30;
/** Groups of segments (one batch each) a request keeps submitted and not yet decoded (segment-feed.ts). */
const GROUPS_IN_FLIGHT = 3;
/** FunASR's EMO_UNKNOWN piece, banned by `banEmotionUnknown`. */
const EMO_UNKNOWN_PIECE = '<|EMO_UNKNOWN|>';

/** A span of audio decoded as one model input, in seconds (whole milliseconds). */
export interface SpeechSpan {
  startS: number;
  endS: number;
}

export type TranscribePhase = 'decoding' | 'vad' | 'features' | 'inference' | 'done';

export interface TranscribeProgress {
  phase: TranscribePhase;
  /** 0..1 over the whole request. */
  fraction: number;
  segmentsDone: number;
  segmentsTotal: number;
  /** Seconds of decoded audio, known from the `vad` phase on (exact: after decoding). */
  audioS?: number;
}

export interface TranscribeHooks {
  onProgress?: (p: TranscribeProgress) => void;
  /** Each segment once decoded, in index order (times in the file), before the transcript is built. */
  onSegment?: (segment: TranscriptSegment) => void;
  signal?: AbortSignal;
}

/**
 * Decoded audio as the engine takes it: in memory (`decodeAudio`) or readable in pieces from a
 * file (`openAudioFile`, `Engine.open`).
 */
export type EngineAudio = DecodedAudio | DecodedSource;

/**
 * The speech engine: audio file → decode → VAD → features → batched
 * SenseVoice → transcript. One engine per process: it owns one model runner
 * and one batcher, which every concurrent `transcribe` call shares, so
 * segments of different files fill the same batches.
 *
 * Memory does not grow with the file's length on the path entry points (`transcribeFile`,
 * `open`): the decoded samples live in a temp file read in pieces, and features are computed
 * a few batches ahead of the model (segment-feed.ts).
 */
export interface Engine {
  /** The model's constants (read from its ONNX metadata). */
  readonly metadata: SenseVoiceMetadata;
  /** Segments waiting for a model batch (for metrics). */
  readonly queuedSegments: number;
  /** Decodes the bytes (any supported format) in memory and transcribes them. */
  transcribe(bytes: Uint8Array, request?: TranscribeRequestInput, hooks?: TranscribeHooks): Promise<Transcript>;
  /**
   * Transcribes the audio file at `path` (any supported format), streaming: the file is decoded
   * to a temp PCM file (deleted before this returns or throws), never held whole in memory.
   */
  transcribeFile(path: string, request?: TranscribeRequestInput, hooks?: TranscribeHooks): Promise<Transcript>;
  /** The first step of `transcribe`: any supported format → 16 kHz mono, with this engine's ffmpeg and length limit. */
  decode(bytes: Uint8Array, signal?: AbortSignal): Promise<DecodedAudio>;
  /**
   * The first step of `transcribeFile`: the file at `path` decoded to 16 kHz mono readable in
   * pieces. The caller closes `samples` (which deletes the temp file).
   */
  open(path: string, signal?: AbortSignal): Promise<DecodedSource>;
  /**
   * The spans `transcribeAudio` decodes one by one: the request's VAD (or fixed 30 s chunks when
   * VAD is off), boundaries on whole milliseconds. A fan-out splitter groups these into chunks and
   * hands each chunk's spans to `transcribeSpans`.
   */
  speechSpans(audio: EngineAudio, request?: TranscribeRequestInput, signal?: AbortSignal): Promise<SpeechSpan[]>;
  /** Transcribes already decoded 16 kHz mono audio. */
  transcribeAudio(
    audio: EngineAudio,
    request?: TranscribeRequestInput,
    hooks?: TranscribeHooks,
    clock?: { decodeMs: number; started: number },
  ): Promise<Transcript>;
  /**
   * Transcribes exactly `spans` of `audio`, without VAD: the rest of `transcribeAudio`'s pipeline
   * (features, shared batches, decoding, transcript), so a span gives the same segment and tokens
   * whichever entry point decoded it. For a fan-out chunk, `audio` is the chunk, `spans` are
   * relative to it and `offsetS` is where the chunk starts in the file: every time in the result
   * (segments, tokens) is a time in the file. `clock` carries the time already spent on this
   * audio (decode, VAD) when the caller did those steps itself.
   */
  transcribeSpans(
    audio: EngineAudio,
    spans: readonly SpeechSpan[],
    request?: TranscribeRequestInput,
    hooks?: TranscribeHooks,
    options?: { offsetS?: number; clock?: { decodeMs: number; vadMs: number; started: number } },
  ): Promise<Transcript>;
  /** Closes the runner, the speech detector and the feature pool (the engine owns the parts it was built from). */
  close(): Promise<void>;
}

/**
 * The parts an engine is built from. `loadEngine` builds the real ones from an `EngineConfig`;
 * tests pass fakes (a runner without ONNX, a speech detector that returns fixed spans).
 */
export interface EngineParts {
  /** The model; `batcher` feeds it, the engine reads its metadata and provider. Closed by `close()`. */
  runner: InferenceRunner;
  /** VAD for requests with `vad` on. Closed by `close()`. */
  speechDetector: SpeechDetector;
  /**
   * 16 kHz mono samples → model input (LFR + CMVN features of the runner's model): inline
   * (`FeatureExtractor`) or in worker threads (`FeaturePool`). Closed by `close()` if it has a `close`.
   */
  features: FeatureComputer & { close?(): Promise<void> };
  /** The queue in front of `runner` that every request shares. */
  batcher: SegmentBatcher;
  /** tokens.txt of the model (ids → pieces). */
  symbols: SymbolTable;
  /**
   * The decoding settings the engine applies itself (ffmpeg, length limit, where temp PCM files
   * go) and the batcher's limits, which size the groups of features a request computes ahead.
   */
  config: Pick<EngineConfig, 'ffmpegPath' | 'maxAudioS' | 'batchSizeS' | 'maxBatchItems'> & { tempDir?: string };
  /** File name reported in `transcript.model.file` (e.g. "model.int8.onnx"). */
  modelFile: string;
}

/** An engine from explicit parts. See `loadEngine` for the one built from a configuration. */
export function createEngine(parts: EngineParts): Engine {
  return new PipelineEngine(parts);
}

class PipelineEngine implements Engine {
  private readonly config: EngineParts['config'];
  private readonly runner: InferenceRunner;
  private readonly symbols: SymbolTable;
  private readonly speechDetector: SpeechDetector;
  private readonly features: EngineParts['features'];
  private readonly batcher: SegmentBatcher;
  private readonly modelFile: string;
  private readonly feedLimits: FeedLimits;
  /** Tag probabilities from the runner's query-frame scores (null when it returns none). */
  private readonly tags: TagScorer | null;

  constructor(parts: EngineParts) {
    this.config = parts.config;
    this.runner = parts.runner;
    this.symbols = parts.symbols;
    this.speechDetector = parts.speechDetector;
    this.features = parts.features;
    this.batcher = parts.batcher;
    this.modelFile = parts.modelFile;
    this.feedLimits = { batchItems: parts.config.maxBatchItems, batchS: parts.config.batchSizeS, groupsInFlight: GROUPS_IN_FLIGHT };
    const tagIds = parts.runner.queryTagIds;
    this.tags = tagIds && tagIds.length > 0 ? createTagScorer(parts.symbols, tagIds) : null;
  }

  get metadata(): SenseVoiceMetadata {
    return this.runner.metadata;
  }

  get queuedSegments(): number {
    return this.batcher.queued;
  }

  async transcribe(bytes: Uint8Array, request: TranscribeRequestInput = {}, hooks: TranscribeHooks = {}): Promise<Transcript> {
    const started = performance.now();
    hooks.onProgress?.({ phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 });
    const audio = await this.decode(bytes, hooks.signal);
    const decodeMs = performance.now() - started;
    return this.transcribeAudio(audio, request, hooks, { decodeMs, started });
  }

  async transcribeFile(path: string, request: TranscribeRequestInput = {}, hooks: TranscribeHooks = {}): Promise<Transcript> {
    const started = performance.now();
    parseRequest(request); // bad options fail before any decoding
    hooks.onProgress?.({ phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 });
    const audio = await this.open(path, hooks.signal);
    try {
      const decodeMs = performance.now() - started;
      return await this.transcribeAudio(audio, request, hooks, { decodeMs, started });
    } finally {
      await audio.samples.close();
    }
  }

  decode(bytes: Uint8Array, signal?: AbortSignal): Promise<DecodedAudio> {
    return decodeAudio(bytes, this.decodeOptions(signal));
  }

  open(path: string, signal?: AbortSignal): Promise<DecodedSource> {
    return openAudioFile(path, this.decodeOptions(signal));
  }

  private decodeOptions(signal: AbortSignal | undefined): Parameters<typeof decodeAudio>[1] {
    return {
      ffmpegPath: this.config.ffmpegPath === 'none' ? null : this.config.ffmpegPath,
      maxDurationS: this.config.maxAudioS,
      ...(this.config.tempDir !== undefined && { tempDir: this.config.tempDir }),
      ...(signal ? { signal } : {}),
    };
  }

  async speechSpans(audio: EngineAudio, requestInput: TranscribeRequestInput = {}, signal?: AbortSignal): Promise<SpeechSpan[]> {
    return this.spansOf(sourceOf(audio), parseRequest(requestInput), signal);
  }

  async transcribeAudio(
    audio: EngineAudio,
    requestInput: TranscribeRequestInput = {},
    hooks: TranscribeHooks = {},
    clock: { decodeMs: number; started: number } = { decodeMs: 0, started: performance.now() },
  ): Promise<Transcript> {
    const request = parseRequest(requestInput);
    // 1. Speech segments.
    hooks.onProgress?.({ phase: 'vad', fraction: 0.05, segmentsDone: 0, segmentsTotal: 0, audioS: audio.durationS });
    const t = performance.now();
    const source = sourceOf(audio);
    const spans = await this.spansOf(source, request, hooks.signal);
    const vadMs = request.vad ? performance.now() - t : 0;
    if (hooks.signal?.aborted) throw new AppError('JOB_CANCELED', 'transcription canceled');
    return this.transcribeSpanList(audio, source, spans, request, hooks, { ...clock, vadMs }, 0);
  }

  async transcribeSpans(
    audio: EngineAudio,
    spans: readonly SpeechSpan[],
    requestInput: TranscribeRequestInput = {},
    hooks: TranscribeHooks = {},
    options: { offsetS?: number; clock?: { decodeMs: number; vadMs: number; started: number } } = {},
  ): Promise<Transcript> {
    const request = parseRequest(requestInput);
    const clock = options.clock ?? { decodeMs: 0, vadMs: 0, started: performance.now() };
    return this.transcribeSpanList(audio, sourceOf(audio), spans.map(toMs), request, hooks, clock, options.offsetS ?? 0);
  }

  private async spansOf(source: SampleSource, request: TranscribeRequest, signal: AbortSignal | undefined): Promise<SpeechSpan[]> {
    // Boundaries snap to the millisecond (16 samples) so that a segment's reported
    // startS/endS name exactly the samples that were decoded.
    const spans = request.vad ? await this.speechDetector.detect(source, request.vad, signal) : fixedChunks(source.durationS, NO_VAD_CHUNK_S);
    return spans.map(toMs);
  }

  /** Steps 2–4 of the pipeline, shared by every entry point. */
  private async transcribeSpanList(
    audio: DecodedAudioInfo,
    source: SampleSource,
    spans: readonly SpeechSpan[],
    request: TranscribeRequest,
    hooks: TranscribeHooks,
    clock: { decodeMs: number; vadMs: number; started: number },
    offsetS: number,
  ): Promise<Transcript> {
    // The signal also reaches the batcher: a canceled request's waiting segments leave the queue.
    const { signal } = hooks;
    const progressHook = hooks.onProgress;
    const onProgress = progressHook && ((p: TranscribeProgress): void => progressHook({ ...p, audioS: audio.durationS }));

    // 2–3. Features, computed a few batches ahead of the model, and batched inference shared
    // with every other request on this engine (segment-feed.ts).
    onProgress?.({ phase: 'features', fraction: 0.1, segmentsDone: 0, segmentsTotal: spans.length });
    const t0 = performance.now();
    const meta = this.runner.metadata;
    const languageId = meta.languageIds[promptLanguage(request)];
    const textNormId = request.itn ? meta.withItn : meta.withoutItn;
    const bannedIds = request.banEmotionUnknown ? idsOf(this.symbols, [EMO_UNKNOWN_PIECE]) : [];
    const report = (done: number): void =>
      onProgress?.({
        phase: 'inference',
        fraction: 0.1 + (0.9 * done) / Math.max(1, spans.length),
        segmentsDone: done,
        segmentsTotal: spans.length,
      });
    report(0);
    // 4. (as each decode arrives) Tokens → tags, text, times (in the file: a chunk's spans are shifted by its offset).
    const toSegment = (greedy: ItemDecode, index: number): TranscriptSegment => {
      const span = spans[index]!;
      const startS = round3(span.startS + offsetS);
      const decoded = decodeSenseVoiceOutput(greedy, this.symbols, {
        segmentStartS: startS,
        lfrWindowShift: meta.lfrWindowShift,
      });
      const { slotPieces: _slots, ...rest } = decoded;
      const tags = scoreSegmentTags(decoded, greedy.queryLogProbs, this.tags, request);
      return { index, startS, endS: round3(span.endS + offsetS), ...rest, words: segmentWords(rest.tokens), ...tags };
    };
    const early = hooks.onSegment ? new SegmentsInOrder(toSegment, hooks.onSegment) : null;
    const { decodes, featuresMs } = await feedSegments({
      source,
      spans,
      features: this.features,
      batcher: this.batcher,
      item: (f) => ({ features: f.data, frames: f.frames, languageId, textNormId, bannedIds }),
      limits: this.feedLimits,
      ...(signal ? { signal } : {}),
      onDecoded: (decode, index, done) => {
        report(done);
        early?.decoded(decode, index);
      },
    });
    // Inference overlaps the features: its time is the rest of this step's wall time.
    const inferenceMs = performance.now() - t0 - featuresMs;

    const t = performance.now();
    const segments: TranscriptSegment[] = early?.segments() ?? decodes.map(toSegment);
    const decodingMs = performance.now() - t;
    const totalMs = performance.now() - clock.started;
    onProgress?.({ phase: 'done', fraction: 1, segmentsDone: spans.length, segmentsTotal: spans.length });
    const transcript = buildTranscript({
      audio: {
        durationS: round3(audio.durationS),
        format: audio.source.format,
        sampleRate: audio.source.sampleRate,
        channels: audio.source.channels,
      },
      segments,
      timings: {
        decodeMs: round1(clock.decodeMs),
        vadMs: round1(clock.vadMs),
        featuresMs: round1(featuresMs),
        inferenceMs: round1(inferenceMs),
        decodingMs: round1(decodingMs),
        totalMs: round1(totalMs),
        realTimeFactor: audio.durationS > 0 ? Number((totalMs / 1000 / audio.durationS).toFixed(4)) : 0,
      },
      model: {
        name: modelNameOf(meta),
        file: this.modelFile,
        synthetic: meta.synthetic,
        quantized: this.modelFile.includes('int8'),
        vocabSize: meta.vocabSize,
        executionProvider: this.runner.executionProvider,
      },
      options: {
        language: request.language,
        itn: request.itn,
        banEmotionUnknown: request.banEmotionUnknown,
        vad: request.vad !== false,
        languages: request.languages ?? null,
        dropNoSpeech: request.dropNoSpeech,
        timelineMinConfidence: request.timelineMinConfidence,
      },
    });
    // Decode warnings (AUDIO_PARTIALLY_DECODED) travel with the result they qualify.
    if (audio.warnings?.length) transcript.warnings = audio.warnings;
    return transcript;
  }

  async close(): Promise<void> {
    await Promise.all([this.runner.close(), this.speechDetector.close(), this.features.close?.()]);
  }
}

/** The samples of decoded audio as a source (an array in memory is wrapped, not copied). */
function sourceOf(audio: EngineAudio): SampleSource {
  return audio.samples instanceof Float32Array ? memorySampleSource(audio.samples) : audio.samples;
}

function parseRequest(input: TranscribeRequestInput): TranscribeRequest {
  const parsed = CheckedTranscribeRequestSchema.safeParse(input);
  if (!parsed.success) {
    throw new AppError('INVALID_OPTIONS', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}

function fixedChunks(durationS: number, chunkS: number): { startS: number; endS: number }[] {
  const out = [];
  for (let s = 0; s < durationS; s += chunkS) out.push({ startS: s, endS: Math.min(durationS, s + chunkS) });
  return out;
}

function idsOf(symbols: SymbolTable, pieces: string[]): number[] {
  return pieces.map((p) => symbols.id(p)).filter((id): id is number => id !== undefined);
}

const toMs = (s: SpeechSpan): SpeechSpan => ({ startS: round3(s.startS), endS: round3(s.endS) });
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
