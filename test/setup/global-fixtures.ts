import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT, TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR, TINY_MODEL_DIR } from './paths.js';

/**
 * Vitest global setup: generated speech fixtures (espeak-ng + sox) and the tiny
 * synthetic models (plain and with tagged query slots), built once and reused (both scripts skip work already done).
 */
export default async function setup(): Promise<void> {
  execFileSync('bash', [join(REPO_ROOT, 'scripts/make-test-audio.sh'), TEST_AUDIO_DIR], { stdio: 'inherit' });
  const { generateModel } = await import('@earshot/modelgen/generate');
  await generateModel({ size: 'tiny', seed: 1, outDir: TINY_MODEL_DIR });
  await generateModel({ size: 'tiny', seed: 1, outDir: TAGGED_TINY_MODEL_DIR, tagged: true });
}
