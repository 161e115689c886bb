import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateModel } from './generate.js';
import { fillNormal } from './prng.js';

const FEATURE_DIM = 560;
const VOCAB = 25055;

interface Batch {
  readonly features: Float32Array;
  readonly frames: number;
  readonly lengths: readonly number[];
  readonly language?: number;
  readonly textNorm?: number;
}

async function runModel(session: ort.InferenceSession, batch: Batch): Promise<ort.Tensor> {
  const n = batch.lengths.length;
  const feeds = [
    new ort.Tensor('float32', batch.features, [n, batch.frames, FEATURE_DIM]),
    new ort.Tensor('int32', Int32Array.from(batch.lengths), [n]),
    new ort.Tensor('int32', new Int32Array(n).fill(batch.language ?? 0), [n]),
    new ort.Tensor('int32', new Int32Array(n).fill(batch.textNorm ?? 15), [n]),
  ];
  // Fed by position, like sherpa-onnx.
  const output = await session.run(Object.fromEntries(session.inputNames.map((name, i) => [name, feeds[i] as ort.Tensor])));
  return output[session.outputNames[0] as string] as ort.Tensor;
}

/** Logit rows [from, to) of batch item `item`, shape (to − from) × VOCAB. */
function frames(logits: ort.Tensor, item: number, from: number, to: number): Float32Array {
  const perItem = (logits.dims[1] as number) * VOCAB;
  return (logits.data as Float32Array).slice(item * perItem + from * VOCAB, item * perItem + to * VOCAB);
}

/** Exact (bitwise) equality; vitest's deep equality is too slow for ~1 M floats. */
function sameBits(a: Float32Array, b: Float32Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function argmaxPerFrame(rows: Float32Array): number[] {
  const ids: number[] = [];
  for (let t = 0; t * VOCAB < rows.length; t++) {
    let best = 0;
    for (let v = 1; v < VOCAB; v++) if ((rows[t * VOCAB + v] as number) > (rows[t * VOCAB + best] as number)) best = v;
    ids.push(best);
  }
  return ids;
}

describe.each(['fp32', 'int8'] as const)('tiny %s model in onnxruntime-node', (format) => {
  let root: string;
  let session: ort.InferenceSession;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'modelgen-ort-'));
    const info = await generateModel({ size: 'tiny', seed: 1, outDir: root, int8: format === 'int8' });
    const path = format === 'int8' ? info.int8Model?.path : info.model.path;
    session = await ort.InferenceSession.create(path as string, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  });
  afterAll(async () => {
    await session?.release();
    await rm(root, { recursive: true, force: true });
  });

  it('has inputs x, x_length, language, text_norm and output logits, in that order', () => {
    expect(session.inputNames).toEqual(['x', 'x_length', 'language', 'text_norm']);
    expect(session.outputNames).toEqual(['logits']);
  });

  it('maps [2, T, 560] with different lengths to [2, T+4, 25055] finite, varied logits', async () => {
    const features = fillNormal(new Float32Array(2 * 30 * FEATURE_DIM), 11, 'features', 1);
    const logits = await runModel(session, { features, frames: 30, lengths: [30, 17] });
    expect(logits.dims).toEqual([2, 34, VOCAB]);
    expect((logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    expect(new Set(argmaxPerFrame(frames(logits, 0, 0, 34))).size).toBeGreaterThan(20);
  });

  it('accepts T = 0 and still returns the 4 query frames', async () => {
    const logits = await runModel(session, { features: new Float32Array(0), frames: 0, lengths: [0] });
    expect(logits.dims).toEqual([1, 4, VOCAB]);
    expect((logits.data as Float32Array).every(Number.isFinite)).toBe(true);
  });

  it('lets the language and text_norm inputs change the output', async () => {
    const features = fillNormal(new Float32Array(5 * FEATURE_DIM), 12, 'features', 1);
    const auto = await runModel(session, { features, frames: 5, lengths: [5], language: 0 });
    const english = await runModel(session, { features, frames: 5, lengths: [5], language: 4 });
    const withItn = await runModel(session, { features, frames: 5, lengths: [5], textNorm: 14 });
    expect(sameBits(frames(english, 0, 0, 1), frames(auto, 0, 0, 1))).toBe(false);
    expect(sameBits(frames(withItn, 0, 3, 4), frames(auto, 0, 3, 4))).toBe(false);
  });

  // Dynamic int8 quantization shares one activation scale per batch, so only fp32 is exact (spec §10).
  it.runIf(format === 'fp32')('gives a padded batch item exactly the logits of its single run, whatever the padding holds', async () => {
    const long = 26;
    const short = 9;
    const batch = fillNormal(new Float32Array(2 * long * FEATURE_DIM), 13, 'batch', 1);
    const single = batch.slice(long * FEATURE_DIM, (long + short) * FEATURE_DIM);
    const batched = await runModel(session, { features: batch, frames: long, lengths: [long, short] });
    const alone = await runModel(session, { features: single, frames: short, lengths: [short] });
    expect(alone.dims).toEqual([1, short + 4, VOCAB]);
    expect(sameBits(frames(batched, 1, 0, short + 4), frames(alone, 0, 0, short + 4))).toBe(true);

    const firstAlone = await runModel(session, { features: batch.slice(0, long * FEATURE_DIM), frames: long, lengths: [long] });
    expect(sameBits(frames(batched, 0, 0, long + 4), frames(firstAlone, 0, 0, long + 4))).toBe(true);
  });
});

describe('tiny model with tagged query slots', () => {
  let root: string;
  let plain: ort.InferenceSession;
  let tagged: ort.InferenceSession;
  let taggedInfo: Awaited<ReturnType<typeof generateModel>>;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'modelgen-tagged-'));
    const plainInfo = await generateModel({ size: 'tiny', seed: 1, outDir: join(root, 'plain') });
    taggedInfo = await generateModel({ size: 'tiny', seed: 1, outDir: join(root, 'tagged'), tagged: true });
    plain = await ort.InferenceSession.create(plainInfo.model.path);
    tagged = await ort.InferenceSession.create(taggedInfo.model.path);
  });
  afterAll(async () => {
    await Promise.all([plain?.release(), tagged?.release()]);
    await rm(root, { recursive: true, force: true });
  });

  it('keeps the parameter count and emits language, NEUTRAL, Speech and the ITN tag in the slots', async () => {
    expect(taggedInfo.parameterCount).toBe(1_886_079);
    const T = 12;
    const features = new Float32Array(2 * T * FEATURE_DIM);
    fillNormal(features, 7, 'tagged', 1);
    const cases: [language: number, textNorm: number, expected: number[]][] = [
      [0, 15, [24885, 25004, 24993, 25017]], // auto → <|en|>, woitn
      [3, 14, [24884, 25004, 24993, 25016]], // zh, withitn
      [7, 15, [24888, 25004, 24993, 25017]], // yue
      [12, 14, [24896, 25004, 24993, 25016]], // ko
    ];
    for (const [language, textNorm, expected] of cases) {
      const batch = { features, frames: T, lengths: [T, 5], language, textNorm };
      const out = await runModel(tagged, batch);
      expect(argmaxPerFrame(frames(out, 0, 0, 4))).toEqual(expected);
      expect(argmaxPerFrame(frames(out, 1, 0, 4))).toEqual(expected);
      // Speech frames are exactly the untagged model's.
      expect(sameBits(frames(out, 0, 4, T + 4), frames(await runModel(plain, batch), 0, 4, T + 4))).toBe(true);
    }
  });
});
