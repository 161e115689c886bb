import { describe, expect, it } from 'vitest';
import type { TranscriptToken } from './transcript.js';
import { segmentWords, wordsOf } from './words.js';

/** Tokens 60 ms apart from `startS`, as the decoder times them. */
function tokens(pieces: string[], startS = 0): TranscriptToken[] {
  return pieces.map((text, i) => ({ id: i, text, startS: startS + i * 0.06, endS: startS + (i + 1) * 0.06 }));
}

describe('wordsOf', () => {
  it('starts a word at each ▁ piece and joins the pieces after it', () => {
    const words = wordsOf([{ index: 0, tokens: tokens([' hel', 'lo', ' wor', 'ld', '.']) }]);
    expect(words.map((w) => w.word)).toEqual(['hello', 'world.']);
    expect(words[0]).toEqual({ word: 'hello', startS: 0, endS: 0.12, segment: 0 });
    expect(words[1]).toMatchObject({ startS: 0.12, endS: 0.3 });
  });

  it('makes each Han or Kana character a word, splitting a multi-character token evenly', () => {
    const words = wordsOf([{ index: 3, tokens: tokens(['你好', '世', 'カ'], 1) }]);
    expect(words.map((w) => w.word)).toEqual(['你', '好', '世', 'カ']);
    expect(words[0]).toEqual({ word: '你', startS: 1, endS: 1.03, segment: 3 });
    expect(words[1]).toMatchObject({ startS: 1.03, endS: 1.06 });
  });

  it('leaves tags out and never joins words across segments', () => {
    const words = wordsOf([
      { index: 0, tokens: tokens([' a', '<|HAPPY|>', 'b']) },
      { index: 1, tokens: tokens(['c', ' d'], 2) },
    ]);
    expect(words.map((w) => [w.word, w.segment])).toEqual([
      ['a', 0],
      ['b', 0],
      ['c', 1],
      ['d', 1],
    ]);
  });

  it('mixes Latin words and CJK characters in one segment', () => {
    expect(wordsOf([{ index: 0, tokens: tokens([' AI', '模', '型', ' ok']) }]).map((w) => w.word)).toEqual(['AI', '模', '型', 'ok']);
  });

  it("gives a segment's words with their times, as the transcript carries them", () => {
    const t = tokens([' Hello', ',', ' world', '你', '<|en|>']);
    expect(segmentWords(t)).toEqual([
      { word: 'Hello,', startS: t[0]!.startS, endS: t[1]!.endS },
      { word: 'world', startS: t[2]!.startS, endS: t[2]!.endS },
      { word: '你', startS: t[3]!.startS, endS: t[3]!.endS },
    ]);
  });
});
