import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectSpeech } from './detect-speech.js';
import type { SpeechSegment } from './segmenter.js';
import { SileroVad } from './silero-vad.js';
import { ensureTestAudio, readWav16kMono, type TestAudioManifest } from './test-audio-fixtures.js';
import { VadOptionsSchema, type VadOptionsInput } from './vad-options.js';

/**
 * Boundary tolerances against the placed speech (espeak-ng clips trimmed at 0.5 % amplitude).
 * Starts: ±0.15 s (measured −0.04 … +0.07 s, 30 ms padding included). Ends: −0.15 … +0.4 s:
 * Silero keeps a high probability for ~0.25 s after speech when noise or music follows it
 * (measured +0.31 s into the noise of en-zh-silence.wav, +0.32 s into the tones of
 * music-tones.wav, +0.08 s before digital silence).
 */
const START_TOLERANCE_S = 0.15;
const END_EARLY_TOLERANCE_S = 0.15;
const END_LATE_TOLERANCE_S = 0.4;
/** A cut between two segments must lie within a placed pause widened by this much. */
const CUT_TOLERANCE_S = 0.1;

let vad: SileroVad;
let manifest: TestAudioManifest;

beforeAll(async () => {
  manifest = ensureTestAudio();
  vad = await SileroVad.create();
});

afterAll(async () => {
  await vad.close();
});

async function detect(name: string, options: VadOptionsInput = {}): Promise<SpeechSegment[]> {
  return detectSpeech(vad, readWav16kMono(name), VadOptionsSchema.parse(options));
}

function overlapS(a: SpeechSegment, b: SpeechSegment): number {
  return Math.max(0, Math.min(a.endS, b.endS) - Math.max(a.startS, b.startS));
}

function expectWellFormed(segments: SpeechSegment[], durationS: number): void {
  segments.forEach((s, k) => {
    expect(s.startS).toBeGreaterThanOrEqual(0);
    expect(s.endS).toBeLessThanOrEqual(durationS);
    expect(s.endS).toBeGreaterThan(s.startS);
    if (k > 0) expect(s.startS).toBeGreaterThanOrEqual(segments[k - 1]!.endS);
  });
}

/** Detected segments match the placed speech: boundaries within tolerance, nothing elsewhere. */
function expectMatchesPlacedSpeech(name: string, segments: SpeechSegment[]): void {
  const file = manifest.files[name]!;
  expectWellFormed(segments, file.durationS!);
  for (const placed of file.speech) {
    const hits = segments.filter((s) => overlapS(s, placed) > 0);
    expect(hits.length, `${name}: nothing detected for "${placed.text}"`).toBeGreaterThan(0);
    expect(Math.abs(hits[0]!.startS - placed.startS)).toBeLessThanOrEqual(START_TOLERANCE_S);
    const endErrorS = hits.at(-1)!.endS - placed.endS;
    expect(endErrorS).toBeGreaterThanOrEqual(-END_EARLY_TOLERANCE_S);
    expect(endErrorS).toBeLessThanOrEqual(END_LATE_TOLERANCE_S);
    const covered = hits.reduce((sum, s) => sum + overlapS(s, placed), 0);
    expect(covered / (placed.endS - placed.startS)).toBeGreaterThan(0.9);
  }
  for (const s of segments) {
    const inside = file.speech.some(
      (p) => s.startS >= p.startS - START_TOLERANCE_S && s.endS <= p.endS + END_LATE_TOLERANCE_S,
    );
    expect(inside, `${name}: segment ${s.startS}–${s.endS} outside the placed speech`).toBe(true);
  }
}

describe('detectSpeech on generated audio', () => {
  it('finds the English and the Mandarin clip in en-zh-silence.wav and nothing in its silence or noise', async () => {
    const segments = await detect('en-zh-silence.wav');
    expectMatchesPlacedSpeech('en-zh-silence.wav', segments);
    const noise = manifest.files['en-zh-silence.wav']!.nonSpeech.find((n) => n.kind === 'noise')!;
    const late = { startS: noise.startS + END_LATE_TOLERANCE_S, endS: noise.endS };
    expect(segments.every((s) => overlapS(s, late) === 0)).toBe(true);
  });

  it('finds nothing in silence.wav or noise-only.wav', async () => {
    expect(await detect('silence.wav')).toEqual([]);
    expect(await detect('noise-only.wav')).toEqual([]);
  });

  it('finds the speech under the tones of music-tones.wav but not the tones alone', async () => {
    const segments = await detect('music-tones.wav');
    expectMatchesPlacedSpeech('music-tones.wav', segments);
    const tonesOnly = manifest.files['music-tones.wav']!.nonSpeech.find((n) => n.kind === 'tones')!;
    expect(tonesOnly.endS - tonesOnly.startS).toBeGreaterThanOrEqual(3);
    expect(segments.every((s) => overlapS(s, tonesOnly) === 0)).toBe(true);
  });

  it('cuts long-45s.wav into segments of at most maxSegmentS, at the placed pauses', async () => {
    const file = manifest.files['long-45s.wav']!;
    // minSilenceMs 2000 > every pause (≤ 1.5 s): the whole file is one run of speech, so every
    // boundary below comes from the max-length split.
    const segments = await detect('long-45s.wav', { maxSegmentS: 10, minSilenceMs: 2000 });
    expectWellFormed(segments, file.durationS!);
    expect(segments.length).toBeGreaterThanOrEqual(5); // 46 s of speech and pauses, ≤ 10 s each
    for (const s of segments) expect(s.endS - s.startS).toBeLessThanOrEqual(10);
    const pauses = file.nonSpeech.filter((n) => n.startS > 0 && n.endS < file.durationS!);
    // some segment spans a pause: the run really was longer than the limit and got split
    expect(segments.some((s) => pauses.some((p) => s.startS < p.startS && s.endS > p.endS))).toBe(true);
    for (let k = 1; k < segments.length; k++) {
      const cutFromS = segments[k - 1]!.endS;
      const cutToS = segments[k]!.startS;
      const pause = pauses.find((p) => cutFromS >= p.startS - CUT_TOLERANCE_S && cutToS <= p.endS + CUT_TOLERANCE_S);
      expect(pause, `cut ${cutFromS}–${cutToS} is not in a placed pause`).toBeDefined();
    }
  });

  it('keeps the sentences of long-45s.wav with the default options and maxSegmentS 10', async () => {
    const segments = await detect('long-45s.wav', { maxSegmentS: 10 });
    expectMatchesPlacedSpeech('long-45s.wav', segments);
    for (const s of segments) expect(s.endS - s.startS).toBeLessThanOrEqual(10);
  });

  it('merges like FunASR when asked: contiguous spans from 0 of at most mergeLengthS', async () => {
    const plain = await detect('long-45s.wav');
    const merged = await detect('long-45s.wav', { merge: true, mergeLengthS: 15 });
    expect(merged.length).toBeLessThan(plain.length);
    expect(merged[0]!.startS).toBe(0);
    expect(merged.at(-1)!.endS).toBe(plain.at(-1)!.endS);
    merged.forEach((s, k) => {
      expect(s.endS - s.startS).toBeLessThanOrEqual(15);
      if (k > 0) expect(s.startS).toBe(merged[k - 1]!.endS);
    });
  });
});
