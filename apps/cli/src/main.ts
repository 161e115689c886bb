#!/usr/bin/env node
/**
 * `earshot`: the embedded way to run the main job (`transcribe`: files in this process with no
 * Redis or S3: decode → VAD → batched SenseVoice → transcript), and a client of a running API
 * (`submit`, `status`, `result`, `jobs`).
 */
import { Command, Option } from 'commander';
import { processEnv } from '@earshot/core/config/env';
import { isAppError } from '@earshot/core/errors/app-error';
import { EXECUTION_PROVIDERS } from '@earshot/core/model/inference-runner';
import { DEFAULT_SEGMENTER_OPTIONS } from '@earshot/core/vad/segmenter';
import { runTranscribe, type TranscribeCliOptions } from './transcribe-command.js';
import { runDownload, type DownloadCliOptions } from './download-command.js';
import { TRANSCRIPT_FORMATS } from '@earshot/core/results/formats/format-transcript';
import { runClientCommand, runJobs, runResult, runStatus, runSubmit, type SubmitCliOptions } from './client/client-commands.js';
import { JOB_STATUSES } from './client/api-client.js';
import { CHANNEL_MODES } from '@earshot/core/results/transcript';

/** `zh, en` → ['zh', 'en'] (list options; the request schema checks the values). */
const commaList = (value: string): string[] =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');

const program = new Command()
  .name('earshot')
  .description('Rich transcripts (text, language, emotion, audio events) with SenseVoice ONNX')
  .showHelpAfterError();

program
  .command('transcribe')
  .description('transcribe audio files (WAV natively; MP3, FLAC, OGG, M4A, WebM through ffmpeg)')
  .argument('<files...>', 'audio files')
  .addOption(new Option('-l, --language <lang>', 'language hint').choices(['auto', 'zh', 'en', 'yue', 'ja', 'ko']).default('auto'))
  .option('--itn', 'inverse text normalisation (punctuation, digits)', false)
  .option('--no-vad', 'decode each file as one segment (short or pre-segmented clips)')
  .option('--merge-vad', 'merge VAD segments into spans up to --merge-length-s (FunASR merge_vad)', false)
  .option('--merge-length-s <s>', 'longest merged span', parseFloat, 15)
  .option('--max-segment-s <s>', 'longest VAD segment', parseFloat, 30)
  .option('--vad-threshold <p>', 'speech probability threshold', parseFloat, 0.5)
  .option('--min-silence-ms <ms>', 'pause that ends a VAD segment', parseFloat, DEFAULT_SEGMENTER_OPTIONS.minSilenceMs)
  .option('--ban-emotion-unknown', 'never output EMO_UNKNOWN (FunASR ban_emo_unk)', false)
  .option('--languages <list>', 'tag each segment with the most probable of these languages (e.g. zh,en)', commaList)
  .option('--drop-no-speech', 'leave segments flagged noSpeech out of text formats', false)
  .option('--timeline-min-confidence <p>', 'leave tags below this confidence out of the timelines', parseFloat)
  .addOption(new Option('--channels <mode>', 'mix the channels down, or transcribe each channel on its own (calls)').choices(CHANNEL_MODES).default('mix'))
  .option('--channel-names <list>', 'with --channels separate: names for the channels in text labels (e.g. agent,customer)', commaList)
  .addOption(new Option('-f, --format <format>', 'output format').choices(TRANSCRIPT_FORMATS).default('rich'))
  .option('--tags', 'with --format srt|vtt|txt: prefix cues with language/emotion/event tags', false)
  .option('--word-timestamps', 'with --format vtt: time each word of a cue (WebVTT cue timestamps, karaoke style)', false)
  .option('-m, --model <dir>', 'model directory (model.onnx / model.int8.onnx + tokens.txt); default $EARSHOT_MODEL_DIR or ./models/sensevoice')
  .option('--model-file <name>', "ONNX file in the model directory ('auto': int8 on CPU, fp32 then fp16 on cuda/webgpu)")
  .option('-t, --threads <n>', 'model threads (0 = all cores)', (v) => parseInt(v, 10))
  .addOption(new Option('--provider <ep>', 'execution provider (webgpu needs a Vulkan driver; cuda a CUDA 12 build)').choices(EXECUTION_PROVIDERS))
  .option('--force-int8-on-gpu', 'load an int8 model on cuda/webgpu anyway (no GPU int8 kernels: slow)')
  .option('--batch-size-s <s>', 'seconds of padded audio per model batch', parseFloat)
  .option('-o, --out-dir <dir>', 'write <file>.<ext> there instead of printing')
  .option('--progress', 'print progress to stderr (default: when stderr is a terminal)')
  .action(async (files: string[], opts: TranscribeCliOptions) => {
    process.exitCode = await runTranscribe(files, opts, processEnv());
  });

program
  .command('download-model')
  .description('fetch the official sherpa-onnx SenseVoiceSmall export (needs internet)')
  .option('-o, --out <dir>', 'target directory', 'models/sensevoice')
  .addOption(new Option('--variant <v>', 'which weights to keep').choices(['int8', 'fp32', 'both']).default('int8'))
  .option('--url <url>', 'release archive URL (default: the 2024-07-17 sherpa-onnx release)')
  .option('--sha256 <hex>', 'expected SHA-256 of the archive (checked when given)')
  .option('--dry-run', 'print what would be done and exit', false)
  .action(async (opts: DownloadCliOptions) => {
    process.exitCode = await runDownload(opts);
  });

const withConnection = (command: Command): Command =>
  command
    .option('--url <url>', 'Earshot API base URL (default $EARSHOT_URL, then http://127.0.0.1:8080)')
    .option('--api-key <key>', 'API key (default $EARSHOT_API_KEY)');

withConnection(program.command('submit'))
  .description('send a file, an https:// URL or an s3:// URI to a running Earshot API; prints the job id')
  .argument('<source>', 'audio file, URL or s3:// URI')
  .option('-w, --wait', 'wait for the job (progress on stderr) and print its result', false)
  .addOption(new Option('-l, --language <lang>', 'language hint').choices(['auto', 'zh', 'en', 'yue', 'ja', 'ko']))
  .option('--itn', 'inverse text normalisation', false)
  .option('--languages <list>', 'tag each segment with the most probable of these languages (e.g. zh,en)', commaList)
  .addOption(new Option('--channels <mode>', 'mix the channels down, or transcribe each channel on its own (calls)').choices(CHANNEL_MODES))
  .option('--channel-names <list>', 'with --channels separate: names for the channels (e.g. agent,customer)', commaList)
  .addOption(new Option('-f, --format <format>', 'result format printed with --wait').choices(TRANSCRIPT_FORMATS).default('rich'))
  .option('--webhook <url>', 'webhook URL for job.completed / job.failed')
  .option('--progress', 'draw the progress bar even when stderr is not a terminal')
  .action(async (source: string, opts: SubmitCliOptions) => {
    process.exitCode = await runClientCommand(() => runSubmit(source, opts, processEnv()));
  });

withConnection(program.command('status'))
  .description("a job's status, progress and result summary")
  .argument('<id>', 'job id')
  .option('--json', 'print the job resource as JSON', false)
  .action(async (id: string, opts: { json: boolean }) => {
    process.exitCode = await runClientCommand(() => runStatus(id, opts, processEnv()));
  });

withConnection(program.command('result'))
  .description("a completed job's transcript")
  .argument('<id>', 'job id')
  .addOption(new Option('-f, --format <format>', 'format').choices(TRANSCRIPT_FORMATS).default('rich'))
  .action(async (id: string, opts: { format: string }) => {
    process.exitCode = await runClientCommand(() => runResult(id, opts, processEnv()));
  });

withConnection(program.command('jobs'))
  .description("the tenant's jobs, newest first")
  .addOption(new Option('--status <status>', 'only jobs in this status').choices([...JOB_STATUSES]))
  .option('-n, --limit <n>', 'how many', (v) => parseInt(v, 10), 20)
  .action(async (opts: { status?: string; limit: number }) => {
    process.exitCode = await runClientCommand(() => runJobs(opts, processEnv()));
  });

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isAppError(err)) {
    process.stderr.write(`earshot: ${err.code}: ${err.message}\n`);
  } else {
    process.stderr.write(`earshot: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  }
  process.exitCode = 1;
});
