/**
 * sherpa-onnx-node loads the generated model. sherpa runs in a child process: a missing metadata
 * key makes it call _Exit, which would take the test runner down with it.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateModel, syntheticModelHeader, type GeneratedModelInfo } from './generate.js';
import { TINY_SIZE } from './model-size.js';
import { writeOnnxModel } from './model-writer.js';
import { buildSenseVoiceGraph } from './sense-voice-graph.js';

const SHERPA_URL = pathToFileURL(createRequire(import.meta.url).resolve('sherpa-onnx-node')).href;

/** Decodes 1 s of deterministic noise at 16 kHz; argv: sherpa module URL, model, tokens. */
const CHILD_SCRIPT = `
const [sherpaUrl, model, tokens] = process.argv.slice(1);
const { default: sherpa } = await import(sherpaUrl);
const recognizer = new sherpa.OfflineRecognizer({
  featConfig: { sampleRate: 16000, featureDim: 80 },
  modelConfig: { senseVoice: { model, language: '', useInverseTextNormalization: 0 }, tokens, numThreads: 1, provider: 'cpu', debug: 0 },
});
const samples = new Float32Array(16000);
let state = 12345;
for (let i = 0; i < samples.length; i++) {
  state = (Math.imul(state, 1103515245) + 12345) >>> 0;
  samples[i] = (state / 4294967296 - 0.5) * 0.2;
}
const stream = recognizer.createStream();
stream.acceptWaveform({ samples, sampleRate: 16000 });
recognizer.decode(stream);
process.stdout.write('RESULT ' + JSON.stringify(recognizer.getResult(stream)) + '\\n');
`;

interface ChildOutcome {
  readonly code: number | null;
  readonly result?: { lang: string; emotion: string; event: string; text: string; tokens: string[]; timestamps: number[] };
  readonly stderr: string;
}

function decodeInChild(modelPath: string, tokensPath: string): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', CHILD_SCRIPT, SHERPA_URL, modelPath, tokensPath],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        const line = stdout.split('\n').find((l) => l.startsWith('RESULT '));
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, stderr, ...(line ? { result: JSON.parse(line.slice('RESULT '.length)) } : {}) });
      },
    );
  });
}

describe('sherpa-onnx-node compatibility (child process)', () => {
  let root: string;
  let info: GeneratedModelInfo;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'modelgen-sherpa-'));
    info = await generateModel({ size: 'tiny', seed: 1, outDir: root, int8: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it.each(['fp32', 'int8'] as const)('decodes 1 s of noise with the tiny %s model into tags and tokens', async (format) => {
    const modelPath = format === 'int8' ? (info.int8Model?.path as string) : info.model.path;
    const outcome = await decodeInChild(modelPath, info.tokens.path);
    expect(outcome.code, outcome.stderr).toBe(0);
    const result = outcome.result;
    expect(result).toBeDefined();
    if (!result) return;
    for (const tag of [result.lang, result.emotion, result.event]) expect(tag.length).toBeGreaterThan(0);
    expect(result.tokens.length).toBeGreaterThan(0);
    expect(result.timestamps).toHaveLength(result.tokens.length);
    // 16,000 samples → 98 fbank frames → 17 LFR frames; timestamps are (frame − 4) × 0.06 s.
    expect(Math.max(...result.timestamps)).toBeLessThanOrEqual(16 * 0.06 + 1e-6);
    const pieces = new Set(
      (await readFile(info.tokens.path, 'utf8')).split('\n').map((line) => line.slice(0, line.lastIndexOf(' ')).replace(/^▁/, ' ')),
    );
    for (const token of result.tokens) expect(pieces.has(token), token).toBe(true);
  });

  it('exits the process when a required metadata key is missing (why sherpa must run in a child)', async () => {
    const header = syntheticModelHeader('tiny', 1);
    const metadata = header.metadata.filter(([key]) => key !== 'lfr_window_size');
    const modelPath = join(root, 'missing-key.onnx');
    await writeOnnxModel(modelPath, { ...header, metadata }, buildSenseVoiceGraph({ size: TINY_SIZE, seed: 1 }));
    const outcome = await decodeInChild(modelPath, info.tokens.path);
    expect(outcome.code).not.toBe(0);
    expect(outcome.stderr).toMatch(/'lfr_window_size' does not exist in the metadata/);
    expect(outcome.result).toBeUndefined();
  });
});
