/**
 * The SenseVoiceSmall vocabulary shipped with this package (vocab/tokens.txt, sherpa-onnx format:
 * `<piece> <id>` per line, 25,055 lines), checked by sha256 before it is copied next to a model.
 */
import { createHash } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Resolves from src/ (tests) and dist/ (CLI) alike. */
export const VOCAB_PATH = fileURLToPath(new URL('../vocab/tokens.txt', import.meta.url));
export const VOCAB_SHA256 = 'f449eb28dc567533d7fa59be34e2abca8784f771850c78a47fb731a31429a1dc';
export const VOCAB_SIZE = 25055;

export interface CopiedVocab {
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** Reads the shipped vocabulary and throws unless its sha256 is VOCAB_SHA256. */
export async function readVerifiedVocab(): Promise<Buffer> {
  const data = await readFile(VOCAB_PATH);
  const sha256 = createHash('sha256').update(data).digest('hex');
  if (sha256 !== VOCAB_SHA256) {
    throw new Error(`${VOCAB_PATH} has sha256 ${sha256}, expected ${VOCAB_SHA256}`);
  }
  return data;
}

/** Copies the verified vocabulary to `destPath` (written to a temporary file, then renamed). */
export async function copyVerifiedVocab(destPath: string): Promise<CopiedVocab> {
  const data = await readVerifiedVocab();
  const tempPath = `${destPath}.partial-${process.pid}`;
  await writeFile(tempPath, data);
  await rename(tempPath, destPath);
  return { path: destPath, bytes: data.length, sha256: VOCAB_SHA256 };
}
