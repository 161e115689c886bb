import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateModel, type GeneratedModelInfo } from './generate.js';
import { GENERATOR_VERSION } from './generator-version.js';
import { MANIFEST_FILE } from './model-manifest.js';
import { countParameters, TINY_SIZE } from './model-size.js';
import { onnx } from './onnx-proto.js';
import { SHERPA_REQUIRED_KEYS } from './sherpa-metadata.js';
import { VOCAB_SHA256 } from './vocab.js';

describe('generateModel (tiny)', () => {
  let root: string;
  let info: GeneratedModelInfo;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'modelgen-generate-'));
    info = await generateModel({ size: 'tiny', seed: 5, outDir: join(root, 'a') });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('writes model.onnx, tokens.txt and a manifest describing them', async () => {
    expect(info.reused).toBe(false);
    expect(info.parameterCount).toBe(countParameters(TINY_SIZE));
    expect((await stat(info.model.path)).size).toBe(info.model.bytes);
    const tokens = await readFile(info.tokens.path);
    expect(createHash('sha256').update(tokens).digest('hex')).toBe(VOCAB_SHA256);
    expect(tokens.toString('utf8').trimEnd().split('\n')).toHaveLength(25055);
    const manifest = JSON.parse(await readFile(join(info.outDir, MANIFEST_FILE), 'utf8'));
    expect(manifest).toMatchObject({ size: 'tiny', seed: 5, generatorVersion: GENERATOR_VERSION, model: { sha256: info.model.sha256 } });
  });

  it('stores every sherpa-onnx metadata key as a string, with a Nano-free comment and the earshot keys', async () => {
    const model = onnx.ModelProto.decode(await readFile(info.model.path));
    const metadata = new Map(model.metadataProps.map((p) => [p.key, p.value]));
    for (const key of SHERPA_REQUIRED_KEYS) expect(metadata.get(key), key).toBeTruthy();
    expect(Object.fromEntries(metadata)).toMatchObject({
      vocab_size: '25055',
      lfr_window_size: '7',
      lfr_window_shift: '6',
      normalize_samples: '0',
      with_itn: '14',
      without_itn: '15',
      lang_auto: '0',
      lang_zh: '3',
      lang_en: '4',
      lang_ja: '11',
      lang_ko: '12',
      lang_yue: '7',
      lang_nospeech: '13',
      model_type: 'sense_voice_ctc',
      earshot_synthetic: '1',
      earshot_seed: '5',
      earshot_size: 'tiny',
    });
    for (const key of ['version', 'model_author', 'maintainer', 'url']) expect(metadata.get(key), key).toBeTruthy();
    expect(metadata.get('comment')).not.toMatch(/Nano/);
    const negMean = (metadata.get('neg_mean') ?? '').split(',').map(Number);
    const invStddev = (metadata.get('inv_stddev') ?? '').split(',').map(Number);
    expect(negMean).toHaveLength(560);
    expect(invStddev).toHaveLength(560);
    expect(Math.min(...negMean)).toBeGreaterThanOrEqual(-15.05);
    expect(Math.max(...negMean)).toBeLessThanOrEqual(-8.31);
    expect(Math.min(...invStddev)).toBeGreaterThanOrEqual(0.1436);
    expect(Math.max(...invStddev)).toBeLessThanOrEqual(0.1558);
    expect(negMean.slice(480)).toEqual(negMean.slice(0, 80));
    expect(model.opsetImport.map((o) => Number(o.version))).toEqual([13]);
  });

  it('is byte-identical for the same seed and differs for another seed', async () => {
    const same = await generateModel({ size: 'tiny', seed: 5, outDir: join(root, 'b') });
    const other = await generateModel({ size: 'tiny', seed: 6, outDir: join(root, 'c') });
    const [a, b, c] = await Promise.all([info, same, other].map((i) => readFile(i.model.path)));
    expect(b?.equals(a as Buffer)).toBe(true);
    expect(same.model.sha256).toBe(info.model.sha256);
    expect(c?.length).toBe(a?.length);
    expect(c?.equals(a as Buffer)).toBe(false);
  });

  it('reuses a matching directory, regenerates with force, on another seed or when the file changed', async () => {
    const dir = join(root, 'reuse');
    await generateModel({ size: 'tiny', seed: 9, outDir: dir });
    expect((await generateModel({ size: 'tiny', seed: 9, outDir: dir })).reused).toBe(true);
    expect((await generateModel({ size: 'tiny', seed: 9, outDir: dir, force: true })).reused).toBe(false);
    const reseeded = await generateModel({ size: 'tiny', seed: 10, outDir: dir });
    expect(reseeded.reused).toBe(false);
    expect(reseeded.seed).toBe(10);
    await writeFile(join(dir, 'model.onnx'), 'truncated');
    const repaired = await generateModel({ size: 'tiny', seed: 10, outDir: dir });
    expect(repaired.reused).toBe(false);
    expect(repaired.model.sha256).toBe(reseeded.model.sha256);
  });

  it('adds model.int8.onnx on request, keeping the fp32 model, and removes it when the model changes', async () => {
    const dir = join(root, 'int8');
    const fp32 = await generateModel({ size: 'tiny', seed: 5, outDir: dir });
    const withInt8 = await generateModel({ size: 'tiny', seed: 5, outDir: dir, int8: true });
    expect(withInt8.model.sha256).toBe(fp32.model.sha256);
    expect(withInt8.int8Model?.bytes).toBeGreaterThan(0);
    expect(withInt8.int8Model?.bytes).toBeLessThan(fp32.model.bytes / 2);
    expect((await generateModel({ size: 'tiny', seed: 5, outDir: dir, int8: true })).reused).toBe(true);
    const reseeded = await generateModel({ size: 'tiny', seed: 6, outDir: dir });
    expect(reseeded.int8Model).toBeUndefined();
    await expect(stat(join(dir, 'model.int8.onnx'))).rejects.toThrow(/ENOENT/);
  });

  it('rejects a seed outside uint32', async () => {
    await expect(generateModel({ size: 'tiny', seed: -1, outDir: join(root, 'bad') })).rejects.toThrow(/seed/);
  });
});
