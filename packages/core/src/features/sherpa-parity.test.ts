/**
 * Golden test against the independent implementation: sherpa-onnx-node 1.13.8
 * (kaldi-native-fbank inside). Its Node API does not expose features, so a
 * generated "probe" model with the SenseVoice contract reports them through
 * decoded tokens: it holds our features as a constant, and for every LFR frame
 * its logits peak at the token id that encodes max_d |sherpa[t, d] − ours[t, d]|
 * (resolution 1e-7, ids alternate in parity so CTC never merges two frames).
 * sherpa runs in a child process because a bad model makes it `_Exit`.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureExtractor, type FeatureOptions } from './compute-features.js';

const { onnx } = onnxProto;
const VOCAB = 25_055;
const DIM = 560;
/** Diff units per token step; diffs above (TOP_ID − 2) / 2 / SCALE ≈ 1.25e-3 saturate. */
const SCALE = 1e7;
/** Ids above TOP_ID are reserved for the 4 query slots. */
const TOP_ID = 25_050;

const OPTIONS: FeatureOptions = {
  lfrWindowSize: 7,
  lfrWindowShift: 6,
  negMean: Array.from({ length: DIM }, (_, d) => -Number((8.3 + 6.7 * ((d % 80) / 79)).toFixed(6))),
  invStddev: Array.from({ length: DIM }, (_, d) => Number((0.155 - 0.012 * ((d % 80) / 79)).toFixed(6))),
  normalizeSamples: false,
};

const CHILD_SCRIPT = `
const fs = require('node:fs');
const [sherpaPath, jobsPath, outPath] = process.argv.slice(2);
const sherpa = require(sherpaPath);
const jobs = JSON.parse(fs.readFileSync(jobsPath, 'utf8'));
const results = jobs.map(({ model, tokens, samplesPath }) => {
  const bytes = fs.readFileSync(samplesPath);
  const samples = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const recognizer = new sherpa.OfflineRecognizer({
    featConfig: { sampleRate: 16000, featureDim: 80 },
    modelConfig: { senseVoice: { model, language: 'auto', useInverseTextNormalization: 1 }, tokens, numThreads: 1, provider: 'cpu', debug: 0 },
  });
  const stream = recognizer.createStream();
  stream.acceptWaveform({ samples, sampleRate: 16000 });
  recognizer.decode(stream);
  return recognizer.getResult(stream);
});
fs.writeFileSync(outPath, JSON.stringify(results));
`;

interface SherpaResult {
  lang: string;
  emotion: string;
  event: string;
  tokens: string[];
  timestamps: number[];
}

function floatTensor(name: string, dims: number[], data: Float32Array) {
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]) {
  const dim = dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d }));
  return { name, type: { tensorType: { elemType, shape: { dim } } } };
}

/** The probe: `logits[t] = −|1 + (t mod 2) + 2·SCALE·max_d|x − ref| − k|`, wrong-parity ids penalised. */
function probeModel(reference: Float32Array, frames: number): Uint8Array {
  const FLOAT = onnx.TensorProto.DataType.FLOAT;
  const INT32 = onnx.TensorProto.DataType.INT32;
  const queries = new Float32Array(4 * VOCAB);
  for (let q = 0; q < 4; q++) queries[q * VOCAB + TOP_ID + 1 + q] = 10;
  const node = (opType: string, input: string[], output: string, attribute: object[] = []) => ({ opType, input, output: [output], name: output, attribute });
  const graph = {
    name: 'feature-probe',
    input: [valueInfo('x', FLOAT, ['N', 'T', DIM]), valueInfo('x_length', INT32, ['N']), valueInfo('language', INT32, ['N']), valueInfo('text_norm', INT32, ['N'])],
    output: [valueInfo('logits', FLOAT, ['N', 'T4', VOCAB])],
    initializer: [
      floatTensor('ref', [1, frames, DIM], reference),
      floatTensor('frame_parity', [1, frames, 1], Float32Array.from({ length: frames }, (_, t) => t % 2)),
      floatTensor('id_parity', [1, 1, VOCAB], Float32Array.from({ length: VOCAB }, (_, k) => (k === 0 || k > TOP_ID ? 5 : (k - 1) % 2))),
      floatTensor('ids', [VOCAB], Float32Array.from({ length: VOCAB }, (_, k) => k)),
      floatTensor('queries', [1, 4, VOCAB], queries),
      floatTensor('two_scale', [], Float32Array.of(2 * SCALE)),
      floatTensor('one', [], Float32Array.of(1)),
      floatTensor('penalty', [], Float32Array.of(-1e6)),
    ],
    node: [
      node('Sub', ['x', 'ref'], 'diff'),
      node('Abs', ['diff'], 'abs_diff'),
      node('ReduceMax', ['abs_diff'], 'max_diff', [
        { name: 'axes', type: onnx.AttributeProto.AttributeType.INTS, ints: [2] },
        { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 1 },
      ]),
      node('Mul', ['max_diff', 'two_scale'], 'scaled'),
      node('Add', ['scaled', 'one'], 'shifted'),
      node('Add', ['shifted', 'frame_parity'], 'target'),
      node('Sub', ['target', 'ids'], 'distance'),
      node('Abs', ['distance'], 'abs_distance'),
      node('Sub', ['frame_parity', 'id_parity'], 'parity_diff'),
      node('Abs', ['parity_diff'], 'parity_mismatch'),
      node('Mul', ['parity_mismatch', 'penalty'], 'parity_mask'),
      node('Sub', ['parity_mask', 'abs_distance'], 'body'),
      node('Concat', ['queries', 'body'], 'logits', [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 1 }]),
    ],
  };
  const metadata: Record<string, string> = {
    vocab_size: String(VOCAB),
    lfr_window_size: String(OPTIONS.lfrWindowSize),
    lfr_window_shift: String(OPTIONS.lfrWindowShift),
    normalize_samples: OPTIONS.normalizeSamples ? '1' : '0',
    with_itn: '14',
    without_itn: '15',
    lang_auto: '0',
    lang_zh: '3',
    lang_en: '4',
    lang_yue: '7',
    lang_ja: '11',
    lang_ko: '12',
    neg_mean: Array.from(OPTIONS.negMean).join(','),
    inv_stddev: Array.from(OPTIONS.invStddev).join(','),
    comment: 'earshot feature probe',
  };
  const model = {
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    producerName: 'earshot-test',
    graph,
    metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

function readPcm16(path: string): Float32Array {
  const bytes = readFileSync(path);
  expect(bytes.toString('latin1', 36, 40)).toBe('data');
  const pcm = new Int16Array(bytes.buffer.slice(bytes.byteOffset + 44, bytes.byteOffset + bytes.length - ((bytes.length - 44) % 2)));
  return Float32Array.from(pcm, (v) => v / 32768);
}

describe('features match sherpa-onnx-node (kaldi-native-fbank) after LFR and CMVN', () => {
  let dir: string;
  const inputs = new Map<string, Float32Array>();
  const results = new Map<string, SherpaResult>();
  const ours = new Map<string, { data: Float32Array; frames: number }>();
  const extractor = new FeatureExtractor(OPTIONS);

  function say(name: string, voice: string, text: string, volume: number): void {
    const raw = join(dir, `${name}.espeak.wav`);
    const wav = join(dir, `${name}.wav`);
    execFileSync('espeak-ng', ['-v', voice, '-w', raw, text]);
    execFileSync('sox', ['-D', raw, '-r', '16000', '-c', '1', '-b', '16', wav, 'vol', String(volume)]);
    inputs.set(name, readPcm16(wav));
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'earshot-sherpa-parity-'));
    say('english', 'en-us', 'The quick brown fox jumps over the lazy dog, while seven wizards quietly hex the jovial cook.', 1);
    say('mandarin-quiet', 'cmn-latn-pinyin', 'ni3 hao3, jin1 tian1 tian1 qi4 hen3 hao3.', 0.05);
    inputs.set(
      'chirp-1s',
      Float32Array.from({ length: 16_000 }, (_, i) => 0.6 * Math.sin(2 * Math.PI * (100 + 3 * i * 0.25) * (i / 16000)) * Math.min(1, i / 4000)),
    );

    const jobs: { name: string; model: string; tokens: string; samplesPath: string }[] = [];
    const tokens = join(dir, 'tokens.txt');
    writeFileSync(tokens, Array.from({ length: VOCAB }, (_, k) => `${k === 0 ? '<blank>' : `t${k}`} ${k}`).join('\n') + '\n');
    const addJob = (name: string, samples: Float32Array, reference: Float32Array, frames: number) => {
      const model = join(dir, `${name}.onnx`);
      const samplesPath = join(dir, `${name}.f32`);
      writeFileSync(model, probeModel(reference, frames));
      writeFileSync(samplesPath, new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength));
      jobs.push({ name, model, tokens, samplesPath });
    };
    for (const [name, samples] of inputs) {
      const features = extractor.compute(samples);
      ours.set(name, features);
      addJob(name, samples, features.data, features.frames);
    }
    // Control: the probe must see a deliberate 5e-4 error in LFR frame 5, dim 123.
    const english = ours.get('english')!;
    const perturbed = english.data.slice();
    perturbed[5 * DIM + 123]! += 5e-4;
    addJob('control', inputs.get('english')!, perturbed, english.frames);

    const script = join(dir, 'run-sherpa.cjs');
    const jobsPath = join(dir, 'jobs.json');
    const outPath = join(dir, 'results.json');
    writeFileSync(script, CHILD_SCRIPT);
    writeFileSync(jobsPath, JSON.stringify(jobs));
    const sherpaPath = createRequire(import.meta.url).resolve('sherpa-onnx-node');
    execFileSync(process.execPath, [script, sherpaPath, jobsPath, outPath], { stdio: 'pipe', timeout: 120_000 });
    const decoded = JSON.parse(readFileSync(outPath, 'utf8')) as SherpaResult[];
    jobs.forEach((job, i) => results.set(job.name, decoded[i]!));
  }, 180_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Per-LFR-frame max |sherpa − ours| decoded from the probe's tokens. */
  function frameDiffs(name: string, frames: number): number[] {
    const result = results.get(name)!;
    expect([result.lang, result.emotion, result.event]).toEqual(['t25051', 't25052', 't25053']);
    expect(result.tokens).toHaveLength(frames); // same frame count, one token per frame
    return result.tokens.map((token, t) => {
      expect(Math.round(result.timestamps[t]! / 0.06)).toBe(t);
      const id = Number(token.slice(1));
      expect((id - 1) % 2).toBe(t % 2);
      return (id - 1 - (t % 2)) / 2 / SCALE;
    });
  }

  for (const name of ['english', 'mandarin-quiet', 'chirp-1s']) {
    it(`${name}: every value within 1e-4 of sherpa's`, () => {
      const features = ours.get(name)!;
      expect(features.frames).toBeGreaterThan(10);
      const diffs = frameDiffs(name, features.frames);
      // Measured: english 2.3e-5, mandarin-quiet and chirp below that; sherpa 1.13.8 runs its FFT in float32 (kissfft).
      expect(Math.max(...diffs)).toBeLessThan(1e-4);
    });
  }

  it('the probe really measures: a 5e-4 error planted in one value shows up in that frame only', () => {
    const diffs = frameDiffs('control', ours.get('english')!.frames);
    expect(diffs[5]).toBeGreaterThan(4.5e-4);
    expect(diffs[5]).toBeLessThan(5.5e-4);
    expect(Math.max(...diffs.filter((_, t) => t !== 5))).toBeLessThan(1e-4);
  });
});
