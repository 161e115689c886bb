/**
 * Words with times, derived from a segment's timed tokens (SentencePiece pieces):
 * - a token whose piece started with `▁` (a leading space in TranscriptToken.text) starts a word,
 *   a token without one continues the word before it (inside the same segment);
 * - a Han, Hiragana or Katakana character is a word of its own (these scripts write no spaces);
 * - tags (`<|…|>` pieces: language, emotion, event, ITN, or anything a synthetic model emits in
 *   their form) are not words, nor is whitespace;
 * - a word runs from the start of its first character to the end of its last; a token holding
 *   several characters shares its 60 ms evenly among them.
 */
import type { TranscriptSegment, TranscriptWord } from './transcript.js';

export interface TimedWord {
  word: string;
  startS: number;
  endS: number;
  /** Index of the segment the word belongs to. */
  segment: number;
}

/** A character written without spaces between words. */
export const NO_SPACE_SCRIPT_CHAR = /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]$/u;
const TAG = /^\s*<\|[^|]*\|>\s*$/;

const round3 = (x: number): number => Math.round(x * 1000) / 1000;

/** The words of `segments`, in order (see the module comment for the rules). */
export function wordsOf(segments: readonly Pick<TranscriptSegment, 'index' | 'tokens'>[]): TimedWord[] {
  const words: TimedWord[] = [];
  for (const segment of segments) {
    let open: TimedWord | null = null;
    const close = (): void => {
      if (open) words.push(open);
      open = null;
    };
    for (const token of segment.tokens) {
      if (TAG.test(token.text)) {
        close();
        continue;
      }
      if (/^\s/u.test(token.text)) close(); // `▁`: a new word starts
      const chars = [...token.text.trimStart()];
      const stepS = (token.endS - token.startS) / Math.max(1, chars.length);
      chars.forEach((char, i) => {
        const startS = round3(token.startS + i * stepS);
        const endS = round3(token.startS + (i + 1) * stepS);
        if (/\s/u.test(char)) {
          close();
        } else if (NO_SPACE_SCRIPT_CHAR.test(char)) {
          close();
          words.push({ word: char, startS, endS, segment: segment.index });
        } else if (open) {
          open.word += char;
          open.endS = endS;
        } else {
          open = { word: char, startS, endS, segment: segment.index };
        }
      });
    }
    close();
  }
  return words;
}

/** One segment's words (the same rules), as the transcript's `segments[].words` carries them. */
export function segmentWords(tokens: TranscriptSegment['tokens']): TranscriptWord[] {
  return wordsOf([{ index: 0, tokens }]).map(({ word, startS, endS }) => ({ word, startS, endS }));
}
