import { describe, expect, it } from 'vitest';
import { ctcGreedy } from './ctc-greedy.js';
import { decodeSenseVoiceOutput, tagLabel, tokenText } from './sense-voice-output.js';
import { SymbolTable } from './symbol-table.js';

const PIECES = [
  '<unk>', '▁hello', '▁world', '<|en|>', '<|zh|>', '<|NEUTRAL|>', '<|HAPPY|>', '<|Speech|>',
  '<|BGM|>', '<|woitn|>', '<|withitn|>', '你', '好', '。', '𠀀', '▁', '<|EMO_UNKNOWN|>',
];
const symbols = SymbolTable.parse(PIECES.map((p, i) => `${p} ${i}`).join('\n'));
const id = (piece: string): number => symbols.id(piece) as number;
const timing = { segmentStartS: 10, lfrWindowShift: 6 };

/** Greedy output as emitted at the given frames. */
function emitted(pieces: string[], frames: number[]) {
  return { ids: pieces.map(id), frames };
}

/** One-hot logits `(frames, vocab)` with the given per-frame argmax pieces. */
function logitsFor(argmax: string[]): Float32Array {
  const out = new Float32Array(argmax.length * symbols.size);
  argmax.forEach((p, t) => {
    out[t * symbols.size + id(p)] = 1;
  });
  return out;
}

describe('decodeSenseVoiceOutput', () => {
  it('reads the four slots, the text and token times', () => {
    const d = decodeSenseVoiceOutput(
      emitted(['<|en|>', '<|NEUTRAL|>', '<|Speech|>', '<|woitn|>', '▁hello', '▁world'], [0, 1, 2, 3, 6, 9]),
      symbols,
      timing,
    );
    expect(d).toMatchObject({
      language: 'en',
      emotion: 'NEUTRAL',
      event: 'Speech',
      itn: false,
      text: 'hello world',
      rawText: '<|en|><|NEUTRAL|><|Speech|><|woitn|>hello world',
      richText: 'hello world',
      slotPieces: { language: '<|en|>', emotion: '<|NEUTRAL|>', event: '<|Speech|>', itn: '<|woitn|>' },
    });
    // 10 + (6 − 4) × 0.06 and 10 + (9 − 4) × 0.06, each lasting one LFR frame.
    expect(d.tokens).toEqual([
      { id: id('▁hello'), text: ' hello', startS: 10.12, endS: 10.18 },
      { id: id('▁world'), text: ' world', startS: 10.3, endS: 10.36 },
    ]);
  });

  it('handles ITN, CJK pieces, astral pieces and rich emoji', () => {
    const d = decodeSenseVoiceOutput(
      emitted(['<|zh|>', '<|HAPPY|>', '<|BGM|>', '<|withitn|>', '你', '好', '𠀀', '。'], [0, 1, 2, 3, 4, 5, 7, 8]),
      symbols,
      { segmentStartS: 0.1, lfrWindowShift: 6 },
    );
    expect(d.itn).toBe(true);
    expect(d.text).toBe('你好𠀀。');
    expect(d.rawText).toBe('<|zh|><|HAPPY|><|BGM|><|withitn|>你好𠀀。');
    expect(d.richText).toBe('🎼你好𠀀。😊');
    expect(d.tokens.map((t) => t.startS)).toEqual([0.1, 0.16, 0.28, 0.34]); // rounded to the ms
  });

  it('shifts the slots when a query frame repeats its predecessor (as sherpa-onnx does)', () => {
    // Frames 0 and 1 both argmax to <|en|>: only one is emitted, so the emotion slot gets
    // <|Speech|>, the event slot <|woitn|>, the ITN slot the first word, and text starts later.
    const logits = logitsFor(['<|en|>', '<|en|>', '<|Speech|>', '<|woitn|>', '▁hello', '<unk>', '▁world']);
    const greedy = ctcGreedy(logits, 7, symbols.size, { blankId: 0 });
    expect(greedy.frames).toEqual([0, 2, 3, 4, 6]);
    const d = decodeSenseVoiceOutput(greedy, symbols, timing);
    expect([d.language, d.emotion, d.event, d.itn]).toEqual(['en', 'Speech', 'woitn', null]);
    expect(d.slotPieces.itn).toBe('▁hello');
    expect(d.text).toBe('world');
    expect(d.tokens).toEqual([{ id: id('▁world'), text: ' world', startS: 10.12, endS: 10.18 }]);
    expect(d.rawText).toBe('<|en|><|Speech|><|woitn|>▁helloworld');
  });

  it('leaves all tags empty with fewer than 3 emitted tokens', () => {
    const d = decodeSenseVoiceOutput(emitted(['<|en|>', '<|NEUTRAL|>'], [0, 1]), symbols, timing);
    expect([d.language, d.emotion, d.event, d.itn]).toEqual([null, null, null, null]);
    expect(d.text).toBe('');
    expect(d.tokens).toEqual([]);
    expect(d.rawText).toBe('<|en|><|NEUTRAL|>');
    expect(d.richText).toBe('');
  });

  it('sets the three tags but no ITN flag with exactly 3 emitted tokens', () => {
    const d = decodeSenseVoiceOutput(emitted(['<|en|>', '<|HAPPY|>', '<|Speech|>'], [0, 1, 2]), symbols, timing);
    expect([d.language, d.emotion, d.event, d.itn]).toEqual(['en', 'HAPPY', 'Speech', null]);
    expect(d.slotPieces.itn).toBeNull();
    expect(d.richText).toBe('😊');
  });

  it('decodes an empty greedy output', () => {
    const d = decodeSenseVoiceOutput({ ids: [], frames: [] }, symbols, timing);
    expect(d).toMatchObject({ language: null, emotion: null, event: null, itn: null, text: '', rawText: '', richText: '' });
  });

  it('keeps one text token and strips only leading whitespace', () => {
    const d = decodeSenseVoiceOutput(
      emitted(['<|en|>', '<|NEUTRAL|>', '<|Speech|>', '<|woitn|>', '▁', '▁hello', '▁'], [0, 1, 2, 3, 4, 5, 6]),
      symbols,
      timing,
    );
    expect(d.tokens.map((t) => t.text)).toEqual([' ', ' hello', ' ']);
    expect(d.text).toBe('hello ');
  });

  it('uses the LFR shift it is given', () => {
    const d = decodeSenseVoiceOutput(
      emitted(['<|en|>', '<|NEUTRAL|>', '<|Speech|>', '<|woitn|>', '▁hello'], [0, 1, 2, 3, 14]),
      symbols,
      { segmentStartS: 0, lfrWindowShift: 3 },
    );
    expect(d.tokens[0]).toMatchObject({ startS: 0.3, endS: 0.33 });
  });

  it('reports non-tag slot pieces verbatim (synthetic models) and throws on unknown ids', () => {
    const d = decodeSenseVoiceOutput(emitted(['▁hello', '你', '<|EMO_UNKNOWN|>'], [0, 1, 2]), symbols, timing);
    expect([d.language, d.emotion, d.event]).toEqual(['▁hello', '你', 'EMO_UNKNOWN']);
    expect(() => decodeSenseVoiceOutput({ ids: [99], frames: [0] }, symbols, timing)).toThrow(/outside the vocabulary/);
  });
});

describe('helpers', () => {
  it('tagLabel strips <| |> only from tags', () => {
    expect(tagLabel('<|Speech|>')).toBe('Speech');
    expect(tagLabel('<|zh/en|>')).toBe('zh/en');
    expect(tagLabel('<||>')).toBe('<||>');
    expect(tagLabel('▁the')).toBe('▁the');
    expect(tagLabel(null)).toBeNull();
  });

  it('tokenText turns one leading ▁ into a space', () => {
    expect(tokenText('▁▁a')).toBe(' ▁a');
    expect(tokenText('a▁')).toBe('a▁');
  });
});
