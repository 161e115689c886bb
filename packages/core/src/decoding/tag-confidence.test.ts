import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { queryTagIds, queryTagLogProbs } from './query-tags.js';
import { scoreSegmentTags } from './segment-tags.js';
import { SymbolTable } from './symbol-table.js';
import { confidenceOf, createTagScorer, pickAmong, SLOT_TAGS } from './tag-confidence.js';

// The real SenseVoice vocabulary (the generated models use it; the unit project's global setup
// generates the tiny model): tag ids as in the official model.
const TOKENS = new URL('../../../../.cache/models/tiny/tokens.txt', import.meta.url);
const symbols = SymbolTable.parse(readFileSync(TOKENS, 'utf8'));
const tagIds = queryTagIds(symbols);
const vocab = symbols.size;

/** Logits of 4 query frames, all tags at 0 except the given ones. */
function logits(frames: Record<number, Record<string, number>>): Float32Array {
  const out = new Float32Array(4 * vocab).fill(-5);
  for (const [q, values] of Object.entries(frames)) {
    for (const [label, v] of Object.entries(values)) out[Number(q) * vocab + (symbols.id(`<|${label}|>`) as number)] = v;
  }
  return out;
}

describe('tag confidence', () => {
  const scorer = createTagScorer(symbols, tagIds);

  it('is the softmax of a query frame over its slot tags, whatever the other tags score', () => {
    // zh and en at log-odds ln 3 : 0; the other language tags far below; a non-slot tag (de) high.
    const l = logits({ 0: { zh: Math.log(3), en: 0, yue: -50, ja: -50, ko: -50, nospeech: -50, de: 10 }, 1: { ANGRY: 2, NEUTRAL: 2 } });
    const d = scorer.distributions(queryTagLogProbs(l, vocab, tagIds, 4));
    expect(Object.keys(d.language)).toEqual([...SLOT_TAGS.language]);
    expect(d.language.zh).toBeCloseTo(0.75, 4);
    expect(d.language.en).toBeCloseTo(0.25, 4);
    expect(Object.keys(d.emotion)).toEqual([...SLOT_TAGS.emotion]);
    expect(d.emotion.ANGRY).toBeCloseTo(d.emotion.NEUTRAL ?? -1, 6);
    expect(Object.values(d.event).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 3);
  });

  it('leaves EMO_UNKNOWN out when it is banned and renormalises the rest', () => {
    const l = logits({ 1: { EMO_UNKNOWN: 5, HAPPY: 1, SAD: 1 } });
    const q = queryTagLogProbs(l, vocab, tagIds, 4);
    expect(scorer.distributions(q).emotion.EMO_UNKNOWN).toBeGreaterThan(0.9);
    const banned = scorer.distributions(q, { emotion: ['EMO_UNKNOWN'] }).emotion;
    expect(banned.EMO_UNKNOWN).toBeUndefined();
    expect(banned.HAPPY).toBeGreaterThan(0.4);
  });

  it('picks among allowed labels, reports confidences, and flags nospeech', () => {
    expect(pickAmong({ zh: 0.5, en: 0.3, ja: 0.2 }, ['en', 'ja'])).toEqual({ label: 'en', probability: 0.6 });
    expect(pickAmong({ zh: 1 }, ['ko'])).toEqual({ label: 'ko', probability: 0 });
    expect(confidenceOf({ en: 0.8 }, 'en')).toBe(0.8);
    expect(confidenceOf({ en: 0.8 }, 'constructor')).toBeNull();
    expect(confidenceOf(null, 'en')).toBeNull();

    const l = queryTagLogProbs(logits({ 0: { ja: 3, ko: 2.5, nospeech: 4 }, 1: { HAPPY: 3 }, 2: { Laughter: 3 } }), vocab, tagIds, 4);
    const emitted = { language: 'nospeech', emotion: 'HAPPY', event: 'Laughter' };
    const free = scoreSegmentTags(emitted, l, scorer, { banEmotionUnknown: false });
    expect(free.language).toBe('nospeech');
    expect(free.noSpeech).toBe(true);
    expect(free.emotionConfidence).toBe(free.emotionProbs?.HAPPY);
    const allowed = scoreSegmentTags(emitted, l, scorer, { languages: ['zh', 'ko'], banEmotionUnknown: false });
    expect(allowed.language).toBe('ko');
    // Confidence among all language tags, not renormalised over the allowed ones.
    expect(allowed.languageConfidence).toBe(allowed.languageProbs?.ko);
    expect(allowed.languageConfidence).toBeLessThan(0.5);
    expect(allowed.noSpeech).toBe(true);
  });

  it('without scores keeps the emitted tags and has no probabilities', () => {
    const t = scoreSegmentTags({ language: 'en', emotion: 'HAPPY', event: 'Speech' }, undefined, scorer, { languages: ['zh'], banEmotionUnknown: false });
    expect(t).toMatchObject({ language: null, languageProbs: null, emotionConfidence: null, noSpeech: false });
  });
});
