import { decodeAudio, openAudioFile, SILENCE_PEAK, type DecodedAudio, type DecodedAudioInfo, type DecodedSource } from '../audio/decode.js';
import { memorySampleSource, type SampleSource } from '../audio/sample-source.js';
import type { EngineConfig } from '../config/engine-config.js';
import type { SymbolTable } from '../decoding/symbol-table.js';
import { decodeSenseVoiceOutput } from '../decoding/sense-voice-output.js';
import { scoreSegmentTags, vadSaysNoSpeech } from '../decoding/segment-tags.js';
import { createTagScorer, type TagScorer } from '../decoding/tag-confidence.js';
import { AppError } from '../errors/app-error.js';
import type { SegmentBatcher } from '../model/dynamic-batcher.js';
import type { InferenceRunner, ItemDecode } from '../model/inference-runner.js';
import { modelNameOf, type SenseVoiceMetadata } from '../model/model-metadata.js';
import { buildTranscript } from '../results/build-transcript.js';
import { segmentWords } from '../results/words.js';
import { MAX_SEPARATE_CHANNELS, type Transcript, type TranscriptSegment, type TranscriptTimings } from '../results/transcript.js';
import type { SpeechDetector } from '../vad/speech-detector.js';
import type { SpeechProbability } from '../vad/span-probability.js';
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
  /** What the VAD saw inside the span (mean and max window probability); absent or null: not measured. */
  speechProbability?: SpeechProbability | null;
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
  /**
   * The first step of `transcribe`: any supported format → 16 kHz mono, with this engine's ffmpeg
   * and length limit; with `channel`, that channel alone (a silent one says `silent: true`).
   */
  decode(bytes: Uint8Array, signal?: AbortSignal, channel?: number): Promise<DecodedAudio>;
  /**
   * The first step of `transcribeFile`: the file at `path` decoded to 16 kHz mono readable in
   * pieces (`channel`: as for `decode`). The caller closes `samples` (which deletes the temp file).
   */
  open(path: string, signal?: AbortSignal, channel?: number): Promise<DecodedSource>;
  /**
   * The spans `transcribeAudio` decodes one by one: the request's VAD (or fixed 30 s chunks when
   * VAD is off), boundaries on whole milliseconds, each with the speech probability the VAD saw in
   * it (chunks too). A fan-out splitter groups these into chunks and hands each chunk's spans to
   * `transcribeSpans`.
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
   * whichever entry point decoded it (a span's `speechProbability` becomes its segment's, null when
   * absent, and counts in `noSpeech`). For a fan-out chunk, `audio` is the chunk, `spans` are
   * relative to it and `offsetS` is where the chunk starts in the file: every time in the result
   * (segments, tokens) is a time in the file. `clock` carries the time already spent on this
   * audio (decode, VAD) when the caller did those steps itself. A request with
   * `channels: 'separate'` names the `channel` the audio is (its segments carry it); a mixed one
   * names none.
   */
  transcribeSpans(
    audio: EngineAudio,
    spans: readonly SpeechSpan[],
    request?: TranscribeRequestInput,
    hooks?: TranscribeHooks,
    options?: { offsetS?: number; clock?: { decodeMs: number; vadMs: number; started: number }; channel?: number },
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
    if (parseRequest(request).channels === 'separate') {
      return this.transcribeChannels((channel, signal) => this.decode(bytes, signal, channel), request, hooks, started);
    }
    hooks.onProgress?.({ phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 });
    const audio = await this.decode(bytes, hooks.signal);
    const decodeMs = performance.now() - started;
    return this.transcribeAudio(audio, request, hooks, { decodeMs, started });
  }

  async transcribeFile(path: string, request: TranscribeRequestInput = {}, hooks: TranscribeHooks = {}): Promise<Transcript> {
    const started = performance.now();
    // Bad options fail before any decoding.
    if (parseRequest(request).channels === 'separate') {
      return this.transcribeChannels((channel, signal) => this.open(path, signal, channel), request, hooks, started);
    }
    hooks.onProgress?.({ phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 });
    const audio = await this.open(path, hooks.signal);
    try {
      const decodeMs = performance.now() - started;
      return await this.transcribeAudio(audio, request, hooks, { decodeMs, started });
    } finally {
      await audio.samples.close();
    }
  }

  decode(bytes: Uint8Array, signal?: AbortSignal, channel?: number): Promise<DecodedAudio> {
    return decodeAudio(bytes, this.decodeOptions(signal, channel));
  }

  open(path: string, signal?: AbortSignal, channel?: number): Promise<DecodedSource> {
    return openAudioFile(path, this.decodeOptions(signal, channel));
  }

  private decodeOptions(signal: AbortSignal | undefined, channel?: number): Parameters<typeof decodeAudio>[1] {
    return {
      ffmpegPath: this.config.ffmpegPath === 'none' ? null : this.config.ffmpegPath,
      maxDurationS: this.config.maxAudioS,
      ...(this.config.tempDir !== undefined && { tempDir: this.config.tempDir }),
      ...(signal ? { signal } : {}),
      ...(channel !== undefined && { channel }),
    };
  }

  /**
   * `channels: 'separate'`: decodes each channel of the file on its own (`decodeChannel`) and
   * transcribes them at the same time (their segments share the batcher with every other
   * request), then builds one transcript of the channels interleaved by time. A silent channel
   * is decoded but never reaches the VAD or the model; all channels silent is AUDIO_SILENT, as
   * for a mixed-down file. The first failure stops the other channels.
   */
  private async transcribeChannels(
    decodeChannel: (channel: number, signal: AbortSignal) => Promise<EngineAudio>,
    requestInput: TranscribeRequestInput,
    hooks: TranscribeHooks,
    started: number,
  ): Promise<Transcript> {
    const request = parseRequest(requestInput);
    const stop = new AbortController();
    const signal = hooks.signal ? AbortSignal.any([hooks.signal, stop.signal]) : stop.signal;
    const progress = new ChannelProgress(hooks.onProgress);
    progress.report(0, { phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 });
    // The first channel's decode tells how many channels there are.
    const first = await decodeTimed(() => decodeChannel(0, signal));
    const count = first.audio.source.channels;
    if (count > MAX_SEPARATE_CHANNELS) {
      await closeAudio(first.audio);
      throw new AppError('INVALID_OPTIONS', `channels: "separate" transcribes at most ${MAX_SEPARATE_CHANNELS} channels; this audio has ${count}`, {
        details: { channels: count },
      });
    }
    progress.resize(count);
    const runChannel = async (channel: number): Promise<ChannelRun> => {
      const { audio, decodeMs } = channel === 0 ? first : await decodeTimed(() => decodeChannel(channel, signal));
      try {
        const empty = { channel, audio, segments: [], times: { decodeMs, vadMs: 0, featuresMs: 0, inferenceMs: 0, decodingMs: 0 } };
        if (audio.silent === true) {
          progress.report(channel, { phase: 'done', fraction: 1, segmentsDone: 0, segmentsTotal: 0 });
          return empty;
        }
        const onProgress = (p: TranscribeProgress): void => progress.report(channel, p);
        onProgress({ phase: 'vad', fraction: 0.05, segmentsDone: 0, segmentsTotal: 0, audioS: audio.durationS });
        const source = sourceOf(audio);
        const t = performance.now();
        const plan = await this.planSpans(source, request, signal);
        const planMs = performance.now() - t;
        const channelHooks: TranscribeHooks = { signal, onProgress, ...(hooks.onSegment && { onSegment: hooks.onSegment }) };
        const { segments, times } = await this.decodeSpanList(audio, source, plan, request, channelHooks, 0, channel);
        const { scoringMs, ...rest } = times;
        return { ...empty, segments, times: { ...rest, decodeMs, vadMs: planMs + scoringMs } };
      } finally {
        await closeAudio(audio);
      }
    };
    // The first failure (in time) is the cause: the other channels stop because of it.
    let failure: { reason: unknown } | null = null;
    const settled = await Promise.allSettled(
      Array.from({ length: count }, (_, channel) =>
        runChannel(channel).catch((err: unknown) => {
          failure ??= { reason: err };
          stop.abort(err);
          throw err;
        }),
      ),
    );
    if (hooks.signal?.aborted) throw new AppError('JOB_CANCELED', 'transcription canceled');
    if (failure !== null) throw (failure as { reason: unknown }).reason;
    const runs = settled.map((r) => (r as PromiseFulfilledResult<ChannelRun>).value);
    if (runs.every((r) => r.audio.silent === true)) {
      throw new AppError('AUDIO_SILENT', `Every channel of the audio is silent (peak below ${SILENCE_PEAK}, about −80 dBFS)`, {
        details: { durationS: first.audio.durationS, channels: count },
      });
    }
    const segments = runs
      .flatMap((r) => r.segments)
      .sort((a, b) => a.startS - b.startS || (a.channel ?? 0) - (b.channel ?? 0))
      .map((segment, index) => ({ ...segment, index }));
    const sum = (key: keyof ChannelRun['times']): number => runs.reduce((total, r) => total + r.times[key], 0);
    hooks.onProgress?.({ phase: 'done', fraction: 1, segmentsDone: segments.length, segmentsTotal: segments.length, audioS: first.audio.durationS });
    return this.finishTranscript(first.audio, segments, request, {
      decodeMs: sum('decodeMs'),
      vadMs: sum('vadMs'),
      featuresMs: sum('featuresMs'),
      inferenceMs: sum('inferenceMs'),
      decodingMs: sum('decodingMs'),
      totalMs: performance.now() - started,
    }, runs.map((r) => ({ channel: r.channel, silent: r.audio.silent === true })));
  }

  async speechSpans(audio: EngineAudio, requestInput: TranscribeRequestInput = {}, signal?: AbortSignal): Promise<SpeechSpan[]> {
    // Any audio: one channel of a per-channel request, or a mix.
    return this.spansOf(sourceOf(audio), parseRequest(requestInput), signal);
  }

  async transcribeAudio(
    audio: EngineAudio,
    requestInput: TranscribeRequestInput = {},
    hooks: TranscribeHooks = {},
    clock: { decodeMs: number; started: number } = { decodeMs: 0, started: performance.now() },
  ): Promise<Transcript> {
    const request = parseMixedRequest(requestInput);
    // 1. Speech segments.
    hooks.onProgress?.({ phase: 'vad', fraction: 0.05, segmentsDone: 0, segmentsTotal: 0, audioS: audio.durationS });
    const t = performance.now();
    const source = sourceOf(audio);
    const plan = await this.planSpans(source, request, hooks.signal);
    const vadMs = performance.now() - t;
    if (hooks.signal?.aborted) throw new AppError('JOB_CANCELED', 'transcription canceled');
    return this.transcribeSpanList(audio, source, plan, request, hooks, { ...clock, vadMs }, 0);
  }

  async transcribeSpans(
    audio: EngineAudio,
    spans: readonly SpeechSpan[],
    requestInput: TranscribeRequestInput = {},
    hooks: TranscribeHooks = {},
    options: { offsetS?: number; clock?: { decodeMs: number; vadMs: number; started: number }; channel?: number } = {},
  ): Promise<Transcript> {
    const request = parseRequest(requestInput);
    const channel = options.channel ?? null;
    if ((request.channels === 'separate') !== (channel !== null)) {
      throw new AppError('INVALID_OPTIONS', 'transcribeSpans takes a channel exactly when the request says channels: "separate"');
    }
    const clock = options.clock ?? { decodeMs: 0, vadMs: 0, started: performance.now() };
    return this.transcribeSpanList(audio, sourceOf(audio), { spans: spans.map(toMs), scored: null }, request, hooks, clock, options.offsetS ?? 0, channel);
  }

  /** The request's spans with their speech probabilities (`planSpans`, waiting for the scores). */
  private async spansOf(source: SampleSource, request: TranscribeRequest, signal: AbortSignal | undefined): Promise<SpeechSpan[]> {
    const plan = await this.planSpans(source, request, signal);
    return plan.scored ? (await plan.scored).spans : plan.spans;
  }

  /**
   * The spans a request decodes. Boundaries snap to the millisecond (16 samples) so that a
   * segment's reported startS/endS name exactly the samples that were decoded. With VAD they are
   * what it found, probabilities included. Without VAD they are fixed chunks, known at once; the
   * VAD still scores them for the no-speech guard (about 0.5 % of the audio's length in CPU time),
   * and the scores (`scored`) arrive while the model already runs: the guard costs no wall time
   * as long as the VAD thread keeps ahead of the model, which it does by far (README "No-speech guard").
   */
  private async planSpans(source: SampleSource, request: TranscribeRequest, signal: AbortSignal | undefined): Promise<SpanPlan> {
    if (request.vad) return { spans: (await this.speechDetector.detect(source, request.vad, signal)).map(toMs), scored: null };
    const chunks = fixedChunks(source.durationS, NO_VAD_CHUNK_S);
    const t = performance.now();
    const scored = this.speechDetector.score(source, chunks, signal).then((spans) => ({ spans: spans.map(toMs), ms: performance.now() - t }));
    // Awaited by decodeSpanList; until then a failure must not count as unhandled.
    scored.catch(() => undefined);
    return { spans: chunks.map(toMs), scored };
  }

  /** Steps 2–4 of the pipeline for one audio (a mix, or one `channel` of a fan-out chunk). */
  private async transcribeSpanList(
    audio: DecodedAudioInfo,
    source: SampleSource,
    plan: SpanPlan,
    request: TranscribeRequest,
    hooks: TranscribeHooks,
    clock: { decodeMs: number; vadMs: number; started: number },
    offsetS: number,
    channel: number | null = null,
  ): Promise<Transcript> {
    const progressHook = hooks.onProgress;
    const onProgress = progressHook && ((p: TranscribeProgress): void => progressHook({ ...p, audioS: audio.durationS }));
    const { segments, times } = await this.decodeSpanList(audio, source, plan, request, { ...hooks, ...(onProgress && { onProgress }) }, offsetS, channel);
    const { scoringMs, ...rest } = times;
    onProgress?.({ phase: 'done', fraction: 1, segmentsDone: plan.spans.length, segmentsTotal: plan.spans.length });
    return this.finishTranscript(audio, segments, request, {
      ...rest,
      decodeMs: clock.decodeMs,
      vadMs: clock.vadMs + scoringMs,
      totalMs: performance.now() - clock.started,
    });
  }

  /**
   * Steps 2–4 for one list of spans: features, computed a few batches ahead of the model,
   * batched inference shared with every other request on this engine (segment-feed.ts), and
   * tokens → tags, text, times (in the file: a chunk's spans are shifted by `offsetS`). The
   * segments carry `channel` (null for mixed-down audio). Scores that arrive while the model runs
   * (`plan.scored`) are waited for before a segment is built; `scoringMs` is their wall time (0
   * when the spans came with them).
   */
  private async decodeSpanList(
    audio: DecodedAudioInfo,
    source: SampleSource,
    plan: SpanPlan,
    request: TranscribeRequest,
    hooks: TranscribeHooks,
    offsetS: number,
    channel: number | null,
  ): Promise<{ segments: TranscriptSegment[]; times: Pick<TranscriptTimings, 'featuresMs' | 'inferenceMs' | 'decodingMs'> & { scoringMs: number } }> {
    const { spans } = plan;
    // The signal also reaches the batcher: a canceled request's waiting segments leave the queue.
    const { signal, onProgress } = hooks;
    onProgress?.({ phase: 'features', fraction: 0.1, segmentsDone: 0, segmentsTotal: spans.length, audioS: audio.durationS });
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
        audioS: audio.durationS,
      });
    report(0);
    // The spans with their speech probabilities: `spans` itself, or `plan.scored`'s once it is in.
    let scored: readonly SpeechSpan[] | null = null;
    let scoringMs = 0;
    const toSegment = (greedy: ItemDecode, index: number): TranscriptSegment => {
      const span = spans[index]!;
      const startS = round3(span.startS + offsetS);
      const decoded = decodeSenseVoiceOutput(greedy, this.symbols, {
        segmentStartS: startS,
        lfrWindowShift: meta.lfrWindowShift,
      });
      const { slotPieces: _slots, ...rest } = decoded;
      const tags = scoreSegmentTags(decoded, greedy.queryLogProbs, this.tags, request);
      const speechProbability = (scored ?? spans)[index]?.speechProbability ?? null;
      const noSpeech = tags.noSpeech || vadSaysNoSpeech(speechProbability, request.vad);
      return { index, startS, endS: round3(span.endS + offsetS), channel, ...rest, words: segmentWords(rest.tokens), ...tags, noSpeech, speechProbability };
    };
    const early = hooks.onSegment ? new SegmentsInOrder(toSegment, hooks.onSegment) : null;
    // Late scores: decodes that arrive first wait here, and are handed on once the scores are in.
    const waiting: [ItemDecode, number][] = [];
    const scoresIn = plan.scored?.then((s) => {
      scored = s.spans;
      scoringMs = s.ms;
      for (const [decode, index] of waiting.splice(0)) early?.decoded(decode, index);
    });
    scoresIn?.catch(() => undefined); // awaited below, once the decodes are in
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
        if (plan.scored && scored === null) waiting.push([decode, index]);
        else early?.decoded(decode, index);
      },
    });
    // Inference overlaps the features: its time is the rest of this step's wall time.
    const inferenceMs = performance.now() - t0 - featuresMs;
    await scoresIn;
    const t = performance.now();
    const segments: TranscriptSegment[] = early?.segments() ?? decodes.map(toSegment);
    return { segments, times: { featuresMs, inferenceMs, decodingMs: performance.now() - t, scoringMs } };
  }

  /** The transcript document of decoded segments (`channels`: of a per-channel transcription). */
  private finishTranscript(
    audio: DecodedAudioInfo,
    segments: TranscriptSegment[],
    request: TranscribeRequest,
    times: Omit<TranscriptTimings, 'realTimeFactor'>,
    channels?: { channel: number; silent: boolean }[],
  ): Transcript {
    const meta = this.runner.metadata;
    const transcript = buildTranscript({
      audio: {
        durationS: round3(audio.durationS),
        format: audio.source.format,
        sampleRate: audio.source.sampleRate,
        channels: audio.source.channels,
      },
      segments,
      timings: {
        decodeMs: round1(times.decodeMs),
        vadMs: round1(times.vadMs),
        featuresMs: round1(times.featuresMs),
        inferenceMs: round1(times.inferenceMs),
        decodingMs: round1(times.decodingMs),
        totalMs: round1(times.totalMs),
        realTimeFactor: audio.durationS > 0 ? Number((times.totalMs / 1000 / audio.durationS).toFixed(4)) : 0,
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
        channels: request.channels,
        channelNames: request.channelNames ?? null,
      },
      ...(channels && { channels }),
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

/** A request for an entry point that takes audio already mixed down (`channels: 'separate'` needs the file). */
function parseMixedRequest(input: TranscribeRequestInput): TranscribeRequest {
  const request = parseRequest(input);
  if (request.channels === 'separate') {
    throw new AppError('INVALID_OPTIONS', 'channels: "separate" needs the audio file (transcribe, transcribeFile), not decoded mono audio');
  }
  return request;
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

/** The spans a request decodes, and (VAD off) their speech probabilities to come; see `planSpans`. */
interface SpanPlan {
  spans: SpeechSpan[];
  scored: Promise<{ spans: SpeechSpan[]; ms: number }> | null;
}

/** One channel's part of a per-channel transcription. */
interface ChannelRun {
  channel: number;
  audio: EngineAudio;
  segments: TranscriptSegment[];
  times: Pick<TranscriptTimings, 'decodeMs' | 'vadMs' | 'featuresMs' | 'inferenceMs' | 'decodingMs'>;
}

async function decodeTimed(decode: () => Promise<EngineAudio>): Promise<{ audio: EngineAudio; decodeMs: number }> {
  const t = performance.now();
  const audio = await decode();
  return { audio, decodeMs: performance.now() - t };
}

/** Deletes a file-backed decode's temp file (decodes in memory hold nothing to close). */
async function closeAudio(audio: EngineAudio): Promise<void> {
  if (!(audio.samples instanceof Float32Array)) await audio.samples.close();
}

/**
 * The progress of a per-channel transcription as one: the mean fraction of the channels, the
 * least advanced channel's phase, their segment counts summed.
 */
class ChannelProgress {
  private channels: TranscribeProgress[] = [];
  constructor(private readonly onProgress: ((p: TranscribeProgress) => void) | undefined) {}

  resize(count: number): void {
    const first = this.channels[0] ?? { phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 };
    this.channels = Array.from({ length: count }, (_, k) => (k === 0 ? first : { phase: 'decoding', fraction: 0, segmentsDone: 0, segmentsTotal: 0 }));
  }

  report(channel: number, p: TranscribeProgress): void {
    if (!this.onProgress) return;
    this.channels[channel] = p;
    const all = this.channels.length > 0 ? this.channels : [p];
    const least = all.reduce((a, b) => (PHASE_ORDER.indexOf(b.phase) < PHASE_ORDER.indexOf(a.phase) ? b : a));
    const audioS = all.find((c) => c.audioS !== undefined)?.audioS;
    this.onProgress({
      phase: least.phase,
      fraction: all.reduce((total, c) => total + c.fraction, 0) / all.length,
      segmentsDone: all.reduce((total, c) => total + c.segmentsDone, 0),
      segmentsTotal: all.reduce((total, c) => total + c.segmentsTotal, 0),
      ...(audioS !== undefined && { audioS }),
    });
  }
}

const PHASE_ORDER: readonly TranscribePhase[] = ['decoding', 'vad', 'features', 'inference', 'done'];

const toMs = (s: SpeechSpan): SpeechSpan => ({
  startS: round3(s.startS),
  endS: round3(s.endS),
  ...(s.speechProbability !== undefined && { speechProbability: s.speechProbability }),
});
const round1 = (x: number): number => Math.round(x * 10) / 10;
const round3 = (x: number): number => Math.round(x * 1000) / 1000;
