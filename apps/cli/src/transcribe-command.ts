import { mkdir, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import type { EnvSource } from '@earshot/core/config/env';
import type { TranscribeProgress } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import type { TranscribeRequestInput } from '@earshot/core/engine/transcribe-request';
import { AppError, isAppError } from '@earshot/core/errors/app-error';
import type { ExecutionProvider } from '@earshot/core/model/inference-runner';
import { findModelDir, HOW_TO_GET_A_MODEL } from '@earshot/core/model/model-files';
import { formatTranscript, type TranscriptFormat } from '@earshot/core/results/formats/format-transcript';
import type { ChannelMode, LanguageOption } from '@earshot/core/results/transcript';

export interface TranscribeCliOptions {
  language: LanguageOption;
  itn: boolean;
  vad: boolean;
  mergeVad: boolean;
  mergeLengthS: number;
  maxSegmentS: number;
  vadThreshold: number;
  minSilenceMs: number;
  banEmotionUnknown: boolean;
  /** Allowed languages (`--languages zh,en`). */
  languages?: string[];
  channels: ChannelMode;
  channelNames?: string[];
  dropNoSpeech: boolean;
  timelineMinConfidence?: number;
  format: TranscriptFormat;
  tags: boolean;
  /** With vtt: a cue timestamp before each word after a cue's first. */
  wordTimestamps: boolean;
  model?: string;
  modelFile?: string;
  threads?: number;
  provider?: ExecutionProvider;
  forceInt8OnGpu?: boolean;
  batchSizeS?: number;
  outDir?: string;
  progress?: boolean;
}

/** Returns the process exit code: 0 when every file was transcribed, 1 otherwise. */
export async function runTranscribe(files: string[], opts: TranscribeCliOptions, env: EnvSource): Promise<number> {
  const config = loadEngineConfig(env, {
    modelDir: opts.model,
    modelFile: opts.modelFile,
    threads: opts.threads,
    provider: opts.provider,
    forceInt8OnGpu: opts.forceInt8OnGpu,
    batchSizeS: opts.batchSizeS,
  });
  const modelDir = findModelDir(config.modelDir);
  if (!modelDir) {
    process.stderr.write(`${HOW_TO_GET_A_MODEL}\n`);
    return 2;
  }
  const showProgress = opts.progress ?? process.stderr.isTTY;
  const engine = await loadEngine({ ...config, modelDir }, { inferenceThread: false });
  if (engine.metadata.synthetic) {
    process.stderr.write(
      'earshot: WARNING: this is a SYNTHETIC model (random weights, generated for tests); its output is not a transcription.\n',
    );
  }
  const request: TranscribeRequestInput = {
    language: opts.language,
    itn: opts.itn,
    banEmotionUnknown: opts.banEmotionUnknown,
    dropNoSpeech: opts.dropNoSpeech,
    ...(opts.languages !== undefined ? { languages: opts.languages as TranscribeRequestInput['languages'] } : {}),
    channels: opts.channels,
    ...(opts.channelNames !== undefined ? { channelNames: opts.channelNames } : {}),
    ...(opts.timelineMinConfidence !== undefined ? { timelineMinConfidence: opts.timelineMinConfidence } : {}),
    vad: opts.vad
      ? {
          threshold: opts.vadThreshold,
          minSilenceMs: opts.minSilenceMs,
          maxSegmentS: opts.maxSegmentS,
          merge: opts.mergeVad,
          mergeLengthS: opts.mergeLengthS,
        }
      : false,
  };
  let failures = 0;
  try {
    if (opts.outDir) await mkdir(opts.outDir, { recursive: true });
    for (const file of files) {
      try {
        // From the path: the file is decoded in pieces, never read whole.
        const transcript = await engine.transcribeFile(file, request, {
          onProgress: showProgress ? (p) => printProgress(file, p) : undefined,
        });
        // Usable but incomplete (e.g. AUDIO_PARTIALLY_DECODED): said on stderr, the exit status stays 0.
        for (const w of transcript.warnings ?? []) process.stderr.write(`earshot: ${file}: warning: ${w.code}: ${w.message}\n`);
        const out = formatTranscript(transcript, opts.format, { tags: opts.tags, wordTimestamps: opts.wordTimestamps });
        if (opts.outDir) {
          const target = join(opts.outDir, `${basename(file, extname(file))}.${out.extension}`);
          await writeFile(target, out.body);
          process.stderr.write(`${file} → ${target}\n`);
        } else {
          if (files.length > 1 && opts.format !== 'json') process.stdout.write(`==> ${file} <==\n`);
          process.stdout.write(out.body.endsWith('\n') ? out.body : `${out.body}\n`);
        }
      } catch (err) {
        failures++;
        const e = isAppError(err) ? err : new AppError('INTERNAL', String(err), { cause: err });
        process.stderr.write(`earshot: ${file}: ${e.code}: ${e.message}\n`);
      }
    }
  } finally {
    await engine.close();
  }
  return failures === 0 ? 0 : 1;
}

function printProgress(file: string, p: TranscribeProgress): void {
  const pct = Math.round(p.fraction * 100);
  const detail = p.segmentsTotal > 0 ? ` ${p.segmentsDone}/${p.segmentsTotal} segments` : '';
  const line = `${basename(file)}: ${p.phase} ${pct}%${detail}`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r\x1b[2K${line}${p.phase === 'done' ? '\n' : ''}`);
  } else {
    process.stderr.write(`${line}\n`);
  }
}
