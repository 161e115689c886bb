import { describe, expect, it } from 'vitest';
import { emotionEmoji, eventEmoji, formatRichPart, richTranscriptionPostprocess } from './rich-text.js';

// Expected values are derived by hand from the Python semantics of FunASR's
// funasr/utils/postprocess_utils.py (format_str_v2, rich_transcription_postprocess).
const rich = richTranscriptionPostprocess;

describe('richTranscriptionPostprocess: one segment', () => {
  it('drops neutral emotion and the Speech event', () => {
    expect(rich('<|en|><|NEUTRAL|><|Speech|><|woitn|>hello world')).toBe('hello world');
  });

  it('puts the event emoji first and the emotion emoji last', () => {
    expect(rich('<|zh|><|HAPPY|><|BGM|><|withitn|>你好。')).toBe('🎼你好。😊');
  });

  it('renders <|nospeech|><|Event_UNK|> as ❓', () => {
    expect(rich('<|nospeech|><|Event_UNK|>')).toBe('❓');
    // Not adjacent: <|nospeech|> is just a language separator, everything else is removed.
    expect(rich('<|nospeech|><|EMO_UNKNOWN|><|Event_UNK|><|woitn|>')).toBe('');
  });

  it('removes one space on each side of every emoji', () => {
    expect(rich('<|en|><|HAPPY|><|Laughter|><|woitn|> ha ha ')).toBe('😀ha ha😊');
    // Two spaces before the trailing emoji: only one is removed.
    expect(formatRichPart('<|SAD|>a  ')).toBe('a 😔');
  });

  it('prepends events in dictionary order, so later events end up leftmost', () => {
    expect(rich('<|en|><|NEUTRAL|><|BGM|><|Laughter|><|Applause|>hi')).toBe('😀👏🎼hi');
    // Cough renders as 🤧 (event_dict), not 😷 (emoji_dict); Sneeze and Cough both show.
    expect(rich('<|en|><|NEUTRAL|><|Cough|><|Sneeze|>hi')).toBe('🤧🤧hi');
  });

  it('picks the emotion with the strictly highest count; NEUTRAL wins ties, then dictionary order', () => {
    expect(rich('<|en|><|SAD|><|HAPPY|><|SAD|>x')).toBe('x😔');
    expect(rich('<|en|><|ANGRY|><|HAPPY|>x')).toBe('x😊');
    expect(rich('<|en|><|NEUTRAL|><|ANGRY|>x')).toBe('x');
    expect(rich('<|en|><|EMO_UNKNOWN|><|Speech|>x')).toBe('x');
  });

  it('replaces "The." with a space', () => {
    expect(rich('<|en|><|NEUTRAL|><|Speech|><|withitn|>The. The end.')).toBe('The end.');
    expect(rich('<|en|><|NEUTRAL|><|Speech|><|withitn|>Go to The.x')).toBe('Go to  x');
  });

  it('handles empty input and text without tags', () => {
    expect(rich('')).toBe('');
    expect(rich('  plain text ')).toBe('plain text');
  });

  it('keeps unknown tags (only the listed ones are removed)', () => {
    expect(rich('<|en|><|NEUTRAL|><|Speech|><|woitn|><|SPECIAL_TOKEN_1|>a')).toBe('<|SPECIAL_TOKEN_1|>a');
  });
});

describe('richTranscriptionPostprocess: several language parts (VAD segments joined with " ")', () => {
  it('glues parts without a space, as FunASR does', () => {
    expect(
      rich('<|en|><|NEUTRAL|><|Speech|><|woitn|>hello <|en|><|NEUTRAL|><|Speech|><|woitn|>world'),
    ).toBe('helloworld');
  });

  it('drops a repeated leading event emoji and a repeated trailing emotion emoji', () => {
    expect(rich('<|en|><|HAPPY|><|BGM|><|woitn|>hello <|en|><|HAPPY|><|BGM|><|woitn|>world')).toBe(
      '🎼helloworld😊',
    );
  });

  it('compares the event with the previous part only (after its own dedup)', () => {
    // Part 2 loses its 🎼 (same as part 1), so the remembered event becomes none and
    // part 3 keeps its 🎼.
    expect(rich('<|en|><|NEUTRAL|><|BGM|>a<|en|><|NEUTRAL|><|BGM|>b<|en|><|NEUTRAL|><|BGM|>c')).toBe('🎼ab🎼c');
  });

  it('never dedups against the first part (FunASR remembers the event of " " + part0)', () => {
    expect(rich('🎼a<|en|><|NEUTRAL|><|BGM|>b')).toBe('🎼a🎼b');
  });

  it('keeps different emotions and events', () => {
    expect(rich('<|en|><|HAPPY|><|BGM|>a <|en|><|SAD|><|Applause|>b')).toBe('🎼a😊👏b😔');
  });

  it('drops the previous emotion only when the new part ends with the same one', () => {
    expect(rich('<|en|><|ANGRY|><|Speech|>a<|zh|><|ANGRY|><|Speech|>你<|ja|><|NEUTRAL|><|Speech|>b')).toBe('a你😡b');
  });

  it('skips empty parts (where Python would raise IndexError after the event dedup)', () => {
    expect(rich('<|en|><|NEUTRAL|><|BGM|><|woitn|><|en|><|NEUTRAL|><|BGM|><|woitn|>')).toBe('🎼');
    expect(rich('<|en|><|en|><|en|>a')).toBe('a');
  });
});

describe('code points', () => {
  it('treats astral emojis as one character when comparing first/last characters', () => {
    // 😊 is U+1F60A (a surrogate pair); a trailing lone 😊 from part 1 is replaced by part 2's.
    const out = rich('<|en|><|HAPPY|>𠀀<|en|><|HAPPY|>𠀁');
    expect(out).toBe('𠀀𠀁😊');
    expect(Array.from(out)).toHaveLength(3);
  });

  it('does not mistake an astral letter for an event emoji', () => {
    expect(rich('<|en|><|NEUTRAL|>𝒜<|en|><|NEUTRAL|>𝒜')).toBe('𝒜𝒜');
  });
});

describe('emoji helpers', () => {
  it('maps labels to the rendered emoji', () => {
    expect(emotionEmoji('HAPPY')).toBe('😊');
    expect(emotionEmoji('NEUTRAL')).toBe('');
    expect(emotionEmoji(null)).toBe('');
    expect(eventEmoji('Cough')).toBe('🤧');
    expect(eventEmoji('Laughter')).toBe('😀');
    expect(eventEmoji('Sing')).toBe('');
  });
});
