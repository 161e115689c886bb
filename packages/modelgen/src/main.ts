#!/usr/bin/env node
/**
 * CLI: node packages/modelgen/dist/main.js --size tiny|full --out DIR [--seed N] [--int8] [--fp16] [--force] [--tagged]
 * (root script: npm run model:generate -- --size tiny --out DIR).
 */
import { parseArgs } from 'node:util';
import { DEFAULT_SEED, generateModel, type GeneratedFile } from './generate.js';
import { isModelSizeName } from './model-size.js';

const USAGE = 'usage: main.js --size tiny|full --out DIR [--seed N] [--int8] [--fp16] [--force] [--tagged]';

function describe(label: string, file: GeneratedFile): string {
  return `${label}: ${file.path} (${file.bytes.toLocaleString('en-US')} bytes, ${(file.bytes / 1e6).toFixed(1)} MB)`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      size: { type: 'string' },
      out: { type: 'string' },
      seed: { type: 'string' },
      int8: { type: 'boolean', default: false },
      fp16: { type: 'boolean', default: false },
      force: { type: 'boolean', default: false },
      tagged: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  if (!values.size || !isModelSizeName(values.size) || !values.out) throw new Error(USAGE);
  const seed = values.seed === undefined ? DEFAULT_SEED : Number(values.seed);
  if (!/^\d+$/.test(values.seed ?? '0') || !Number.isSafeInteger(seed)) throw new Error(`--seed must be a non-negative integer\n${USAGE}`);

  const info = await generateModel({ size: values.size, outDir: values.out, seed, int8: values.int8, fp16: values.fp16, force: values.force, tagged: values.tagged });
  console.log(`${info.reused ? 'reused' : 'generated'} ${info.size} model, seed ${info.seed}, generator v${info.generatorVersion}`);
  console.log(`parameters: ${info.parameterCount.toLocaleString('en-US')}`);
  console.log(describe('model', info.model));
  if (info.int8Model) console.log(describe('int8 model', info.int8Model));
  if (info.fp16Model) console.log(describe('fp16 model', info.fp16Model));
  console.log(describe('tokens', info.tokens));
  console.log(`seconds: ${info.seconds.toFixed(2)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
