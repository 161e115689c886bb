/**
 * Tag confidence through the whole engine on the tagged tiny model (its query frames emit real
 * language/emotion/event tags): the probabilities come from the in-graph query-frame
 * log-softmax, agree with the tags greedy decoding emitted, and the options that use them
 * (`languages`, `banEmotionUnknown`) change tags only, never the text. The tagged model's query
 * frames are saturated (a +40 bias on one tag), so its confidences are ~1: the arithmetic of
 * non-trivial distributions is covered by packages/core/src/decoding/tag-confidence.test.ts.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEngineConfig } from '@earshot/core/config/engine-config';
import type { Engine } from '@earshot/core/engine/engine';
import { loadEngine } from '@earshot/core/engine/load-engine';
import { SLOT_TAGS } from '@earshot/core/decoding/tag-confidence';
import type { Transcript, TranscriptSegment } from '@earshot/core/results/transcript';
import { segmentWords } from '@earshot/core/results/words';
import { TAGGED_TINY_MODEL_DIR, TEST_AUDIO_DIR } from './setup/paths.js';

let engine: Engine;
let bytes: Uint8Array;
let plain: Transcript;

beforeAll(async () => {
  engine = await loadEngine(loadEngineConfig({}, { modelDir: TAGGED_TINY_MODEL_DIR, threads: 1 }), { inferenceThread: false });
  bytes = await readFile(join(TEST_AUDIO_DIR, 'en-zh-silence.wav'));
  plain = await engine.transcribe(bytes);
});

afterAll(async () => {
  await engine?.close();
});

const argmax = (d: Record<string, number>): number => Math.max(...Object.values(d));
const textOf = (t: Transcript): string[] => t.segments.map((s) => s.tokens.map((k) => k.id).join(','));

describe('tag confidence on the tagged tiny model', () => {
  it('gives every segment slot distributions that sum to 1 and agree with the emitted tags', () => {
    expect(plain.schemaVersion).toBe('1.2');
    expect(plain.segments.length).toBeGreaterThan(1);
    for (const s of plain.segments) {
      for (const [slot, probs, label, confidence] of [
        ['language', s.languageProbs, s.language, s.languageConfidence],
        ['emotion', s.emotionProbs, s.emotion, s.emotionConfidence],
        ['event', s.eventProbs, s.event, s.eventConfidence],
      ] as const) {
        expect(probs, `${slot} of segment ${s.index}`).not.toBeNull();
        expect(Object.keys(probs ?? {}).sort()).toEqual([...SLOT_TAGS[slot]].sort());
        expect(Object.values(probs ?? {}).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
        // Greedy decoding emits the frame's argmax over the whole vocabulary: a slot tag it
        // emits is also the most probable of its slot.
        if (label !== null && (SLOT_TAGS[slot] as readonly string[]).includes(label)) {
          expect(confidence).toBe(probs?.[label]);
          expect(confidence).toBeCloseTo(argmax(probs ?? {}), 4);
        }
      }
    }
    // Words (schema 1.1) are the tokens' words, inside their segment.
    for (const s of plain.segments) {
      expect(s.words).toEqual(segmentWords(s.tokens));
      for (const w of s.words) {
        expect(w.startS).toBeGreaterThanOrEqual(s.tokens[0]!.startS);
        expect(w.endS).toBeLessThanOrEqual(s.tokens.at(-1)!.endS);
      }
    }
    const file = plain.summary.languageProbs;
    expect(Object.values(file).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
  });

  it('chooses each segment language among `languages` without changing a token', async () => {
    const restricted = await engine.transcribe(bytes, { languages: ['ja', 'ko'] });
    expect(textOf(restricted)).toEqual(textOf(plain));
    expect(restricted.options.languages).toEqual(['ja', 'ko']);
    restricted.segments.forEach((s: TranscriptSegment, i) => {
      expect(['ja', 'ko']).toContain(s.language);
      const probs = plain.segments[i]!.languageProbs ?? {};
      expect(s.language).toBe((probs.ja ?? 0) >= (probs.ko ?? 0) ? 'ja' : 'ko');
      expect(s.languageConfidence).toBe(probs[s.language ?? '']);
    });
  });

  it('drops EMO_UNKNOWN under banEmotionUnknown and reports the chosen emotion among the known ones', async () => {
    const banned = await engine.transcribe(bytes, { banEmotionUnknown: true });
    for (const s of banned.segments) {
      expect(s.emotion).not.toBe('EMO_UNKNOWN');
      expect(s.emotionProbs?.EMO_UNKNOWN).toBeUndefined();
      if (s.emotion !== null && s.emotionProbs && Object.hasOwn(s.emotionProbs, s.emotion)) {
        expect(s.emotionConfidence).toBeCloseTo(argmax(s.emotionProbs), 4);
      }
    }
  });

  it('one allowed language becomes the model\'s language prompt', async () => {
    // The tagged model's language frame follows its prompt, so the prompt is observable.
    const ja = await engine.transcribe(bytes, { languages: ['ja'] });
    expect(ja.segments.length).toBe(plain.segments.length);
    for (const s of ja.segments) {
      expect(s.rawText.startsWith('<|ja|>')).toBe(true);
      expect(s.language).toBe('ja');
      expect(s.languageConfidence).toBeGreaterThan(0.99);
    }
  });

  it('refuses a language hint outside `languages`', async () => {
    await expect(engine.transcribe(bytes, { language: 'en', languages: ['zh'] })).rejects.toMatchObject({ code: 'INVALID_OPTIONS' });
  });
});
