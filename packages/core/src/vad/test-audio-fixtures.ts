import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Test-only helpers for the generated audio of `scripts/make-test-audio.sh` (not used at run
 * time). The files live in `<repo>/.cache/test-audio` and are rebuilt only when the script's
 * version changes.
 */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
export const TEST_AUDIO_DIR = join(REPO_ROOT, '.cache', 'test-audio');

export interface PlacedSpeech {
  startS: number;
  endS: number;
  language: 'en' | 'zh';
  text: string;
  /** Set when something plays under the speech (music-tones.wav: "tones"). */
  background?: string;
}

export interface PlacedNonSpeech {
  startS: number;
  endS: number;
  kind: 'silence' | 'noise' | 'tones';
}

export interface TestAudioFile {
  format: string;
  sampleRate: number | null;
  channels: number | null;
  bitsPerSample: number | null;
  /** Decoded duration; null for invalid files. */
  durationS: number | null;
  speech: PlacedSpeech[];
  nonSpeech: PlacedNonSpeech[];
  codec?: string;
  /** Encoded copies: the WAV they were encoded from (same samples once decoded). */
  source?: string;
  /** true for files no decoder should accept. */
  invalid?: boolean;
}

export interface TestAudioManifest {
  scriptVersion: number;
  files: Record<string, TestAudioFile>;
}

/** Runs the generator (a no-op when up to date) and returns the manifest. */
export function ensureTestAudio(): TestAudioManifest {
  execFileSync('bash', [join(REPO_ROOT, 'scripts', 'make-test-audio.sh'), TEST_AUDIO_DIR], { stdio: 'inherit' });
  return JSON.parse(readFileSync(join(TEST_AUDIO_DIR, 'manifest.json'), 'utf8')) as TestAudioManifest;
}

/** Reads one of the generated 16 kHz mono 16-bit WAVs (plain 44-byte header) as samples in [-1, 1). */
export function readWav16kMono(name: string): Float32Array {
  const bytes = readFileSync(join(TEST_AUDIO_DIR, name));
  const ok =
    bytes.toString('latin1', 0, 4) === 'RIFF' &&
    bytes.toString('latin1', 8, 12) === 'WAVE' &&
    bytes.readUInt16LE(20) === 1 && // PCM
    bytes.readUInt16LE(22) === 1 && // mono
    bytes.readUInt32LE(24) === 16_000 &&
    bytes.readUInt16LE(34) === 16 &&
    bytes.toString('latin1', 36, 40) === 'data';
  if (!ok) throw new Error(`${name} is not a 44-byte-header 16 kHz mono 16-bit WAV`);
  const count = Math.min(bytes.readUInt32LE(40), bytes.length - 44) >> 1;
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) samples[i] = bytes.readInt16LE(44 + 2 * i) / 32_768;
  return samples;
}

/** The corpus files concatenated into one long recording (speech, pauses, noise, tones, silence). */
export const LONG_CORPUS_PARTS = [
  'en-60s.wav',
  'long-45s.wav',
  'en-zh-silence.wav',
  'music-tones.wav',
  'noise-only.wav',
  'en.wav',
  'zh.wav',
  'silence.wav',
] as const;

/** {@link LONG_CORPUS_PARTS} repeated until at least `minDurationS` long (143.5 s per round). */
export function longCorpusSamples(minDurationS: number): Float32Array {
  const parts = LONG_CORPUS_PARTS.map((name) => readWav16kMono(name));
  const round = parts.reduce((n, p) => n + p.length, 0);
  const rounds = Math.max(1, Math.ceil((minDurationS * 16_000) / round));
  const out = new Float32Array(rounds * round);
  let at = 0;
  for (let r = 0; r < rounds; r++) {
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
  }
  return out;
}
