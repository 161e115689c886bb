import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Fixed locations of generated test fixtures (rebuilt on demand, reused across runs). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const CACHE_DIR = join(REPO_ROOT, '.cache');
export const TEST_AUDIO_DIR = join(CACHE_DIR, 'test-audio');
export const TINY_MODEL_DIR = join(CACHE_DIR, 'models', 'tiny');
export const TINY_MODEL_PATH = join(TINY_MODEL_DIR, 'model.onnx');
export const TINY_TOKENS_PATH = join(TINY_MODEL_DIR, 'tokens.txt');
/** The tiny model with tagged query slots (real language/emotion/event tags; see modelgen tagged-slots.ts). */
export const TAGGED_TINY_MODEL_DIR = join(CACHE_DIR, 'models', 'tiny-tagged');
