import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { decodeAudio, type DecodedAudio } from '../audio/decode.js';
import { memorySampleSource } from '../audio/sample-source.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { SymbolTable } from '../decoding/symbol-table.js';
import { decodeSenseVoiceOutput } from '../decoding/sense-voice-output.js';
import { scoreSegmentTags } from '../decoding/segment-tags.js';
import { createTagScorer, type TagScorer } from '../decoding/tag-confidence.js';
import { AppError } from '../errors/app-error.js';
import type { Features } from '../features/compute-features.js';
import type { SegmentBatcher } from '../model/dynamic-batcher.js';
import type { InferenceRunner, ItemDecode } from '../model/inference-runner.js';
import type { SenseVoiceMetadata } from '../model/model-metadata.js';
import { buildTranscript } from '../results/build-transcript.js';
import type { Transcript, TranscriptSegment } from '../results/transcript.js';
import type { SpeechDetector } from '../vad/speech-detector.js';
import { SegmentsInOrder } from './segments-in-order.js';
import { CheckedTranscribeRequestSchema, promptLanguage, type TranscribeRequestInput, type TranscribeRequest } from './transcribe-request.js';

const SAMPLE_RATE = 16_000;
/** Chunk length when VAD is off and the audio is longer than one segment should be. */
const NO_VAD_CHUNK_S = 30;
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
 * The speech engine: audio bytes → decode → VAD → features → batched
 * SenseVoice → transcript. One engine per process: it owns one model runner
 * and one batcher, which every concurrent `transcribe` call shares, so
 * segments of different files fill the same batches.
 */
export interface Engine {
  /** The model's constants (read from its ONNX metadata). */
  readonly metadata: SenseVoiceMetadata;
  /** Segments waiting for a model batch (for metrics). */
  readonly queuedSegments: number;
  /** Decodes the bytes (any supported format) and transcribes them. */
  transcribe(bytes: Uint8Array, request?: TranscribeRequestInput, hooks?: TranscribeHooks): Promise<Transcript>;
  /** The first step of `transcribe`: any supported format → 16 kHz mono, with this engine's ffmpeg and length limit. */
  decode(bytes: Uint8Array, signal?: AbortSignal): Promise<DecodedAudio>;
  /**
   * The spans `transcribeAudio` decodes one by one: the request's VAD (or fixed 30 s chunks when
   * VAD is off), boundaries on whole milliseconds. A fan-out splitter groups these into chunks and
   * hands each chunk's spans to `transcribeSpans`.
   */
  speechSpans(audio: DecodedAudio, request?: TranscribeRequestInput): Promise<SpeechSpan[]>;
  /** Transcribes already decoded 16 kHz mono audio. */
  transcribeAudio(
    audio: DecodedAudio,
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
    audio: DecodedAudio,
    spans: readonly SpeechSpan[],
    request?: TranscribeRequestInput,
    hooks?: TranscribeHooks,
    options?: { offsetS?: number; clock?: { decodeMs: number; vadMs: number; started: number } },
  ): Promise<Transcript>;
  /** Closes the runner and the speech detector (the engine owns the parts it was built from). */
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
  /** 16 kHz mono samples → model input (LFR + CMVN features of the runner's model). */
  features: { compute(samples16k: Float32Array): Features };
  /** The queue in front of `runner` that every request shares. */
  batcher: SegmentBatcher;
  /** tokens.txt of the model (ids → pieces). */
  symbols: SymbolTable;
  /** The decoding settings the engine applies itself (ffmpeg, length limit). */
  config: Pick<EngineConfig, 'ffmpegPath' | 'maxAudioS'>;
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

  decode(bytes: Uint8Array, signal?: AbortSignal): Promise<DecodedAudio> {
    return decodeAudio(bytes, {
      ffmpegPath: this.config.ffmpegPath === 'none' ? null : this.config.ffmpegPath,
      maxDurationS: this.config.maxAudioS,
      ...(signal ? { signal } : {}),
    });
  }

  async speechSpans(audio: DecodedAudio, requestInput: TranscribeRequestInput = {}): Promise<SpeechSpan[]> {
    return this.spansOf(audio, parseRequest(requestInput));
  }

  async transcribeAudio(
    audio: DecodedAudio,
    requestInput: TranscribeRequestInput = {},
    hooks: TranscribeHooks = {},
    clock: { decodeMs: number; started: number } = { decodeMs: 0, started: performance.now() },
  ): Promise<Transcript> {
    const request = parseRequest(requestInput);
    // 1. Speech segments.
    hooks.onProgress?.({ phase: 'vad', fraction: 0.05, segmentsDone: 0, segmentsTotal: 0, audioS: audio.durationS });
    const t = performance.now();
    const spans = await this.spansOf(audio, request);
    const vadMs = request.vad ? performance.now() - t : 0;
    if (hooks.signal?.aborted) throw new AppError('JOB_CANCELED', 'transcription canceled');
    return this.transcribeSpanList(audio, spans, request, hooks, { ...clock, vadMs }, 0);
  }

  async transcribeSpans(
    audio: DecodedAudio,
    spans: readonly SpeechSpan[],
    requestInput: TranscribeRequestInput = {},
    hooks: TranscribeHooks = {},
    options: { offsetS?: number; clock?: { decodeMs: number; vadMs: number; started: number } } = {},
  ): Promise<Transcript> {
    const request = parseRequest(requestInput);
    const clock = options.clock ?? { decodeMs: 0, vadMs: 0, started: performance.now() };
    return this.transcribeSpanList(audio, spans.map(toMs), request, hooks, clock, options.offsetS ?? 0);
  }

  private async spansOf(audio: DecodedAudio, request: TranscribeRequest): Promise<SpeechSpan[]> {
    // Boundaries snap to the millisecond (16 samples) so that a segment's reported
    // startS/endS name exactly the samples that were decoded.
    const spans = request.vad
      ? await this.speechDetector.detect(memorySampleSource(audio.samples), request.vad)
      : fixedChunks(audio.durationS, NO_VAD_CHUNK_S);
    return spans.map(toMs);
  }

  /** Steps 2–4 of the pipeline, shared by every entry point. */
  private async transcribeSpanList(
    audio: DecodedAudio,
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
    const checkAbort = (): void => {
      if (signal?.aborted) throw new AppError('JOB_CANCELED', 'transcription canceled');
    };

    // 2. Features, one segment at a time, yielding between segments.
    onProgress?.({ phase: 'features', fraction: 0.1, segmentsDone: 0, segmentsTotal: spans.length });
    let t = performance.now();
    const meta = this.runner.metadata;
    const languageId = meta.languageIds[promptLanguage(request)];
    const textNormId = request.itn ? meta.withItn : meta.withoutItn;
    const bannedIds = request.banEmotionUnknown ? idsOf(this.symbols, [EMO_UNKNOWN_PIECE]) : [];
    const items = [];
    for (const span of spans) {
      const from = Math.round(span.startS * SAMPLE_RATE);
      const to = Math.min(audio.samples.length, Math.round(span.endS * SAMPLE_RATE));
      const f = this.features.compute(audio.samples.subarray(from, to));
      items.push({ features: f.data, frames: f.frames, languageId, textNormId, bannedIds });
      await yieldToEventLoop();
      checkAbort();
    }
    const featuresMs = performance.now() - t;

    // 3. Batched inference, shared with every other request on this engine.
    t = performance.now();
    let done = 0;
    const report = (): void =>
      onProgress?.({
        phase: 'inference',
        fraction: 0.1 + (0.9 * done) / Math.max(1, spans.length),
        segmentsDone: done,
        segmentsTotal: spans.length,
      });
    report();
    // 4. Tokens → tags, text, times (in the file: a chunk's spans are shifted by its offset).
    const toSegment = (greedy: ItemDecode, index: number): TranscriptSegment => {
      const span = spans[index]!;
      const startS = round3(span.startS + offsetS);
      const decoded = decodeSenseVoiceOutput(greedy, this.symbols, {
        segmentStartS: startS,
        lfrWindowShift: meta.lfrWindowShift,
      });
      const { slotPieces: _slots, ...rest } = decoded;
      const tags = scoreSegmentTags(decoded, greedy.queryLogProbs, this.tags, request);
      return { index, startS, endS: round3(span.endS + offsetS), ...rest, ...tags };
    };
    const early = hooks.onSegment ? new SegmentsInOrder(toSegment, hooks.onSegment) : null;
    const decodes = await Promise.all(
      items.map((item, index) =>
        this.batcher.decode(item, signal ? { signal } : {}).then((d) => {
          done++;
          report();
          early?.decoded(d, index);
          return d;
        }),
      ),
    );
    const inferenceMs = performance.now() - t;
    checkAbort();

    t = performance.now();
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
        name: meta.comment || 'SenseVoice',
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
    await Promise.all([this.runner.close(), this.speechDetector.close()]);
  }
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
