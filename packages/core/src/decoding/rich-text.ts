/**
 * A faithful TypeScript port of FunASR's `rich_transcription_postprocess` and its helper
 * `format_str_v2` (`funasr/utils/postprocess_utils.py`; the same code ships in funasr_onnx
 * and as `format_str_v3` in SenseVoice's webui.py). It turns raw SenseVoice text such as
 * `<|zh|><|HAPPY|><|BGM|><|withitn|>你好。` into `🎼你好。😊`.
 *
 * Python semantics kept on purpose: `str.count`/`str.replace` are applied tag by tag in
 * dictionary order, `strip()` uses Python's whitespace set, and first/last-character
 * checks work on code points (every emoji here but ❓ is outside the BMP, i.e. two UTF-16
 * units in JavaScript). One deliberate difference: where Python would raise IndexError
 * (a language part that becomes empty after its repeated leading event is dropped), the
 * part is skipped.
 */

/** emo_dict: emotion tag → emoji, in FunASR's order (the order decides ties). */
export const EMOTION_EMOJI: ReadonlyMap<string, string> = new Map([
  ['<|HAPPY|>', '\u{1F60A}'],
  ['<|SAD|>', '\u{1F614}'],
  ['<|ANGRY|>', '\u{1F621}'],
  ['<|NEUTRAL|>', ''],
  ['<|FEARFUL|>', '\u{1F630}'],
  ['<|DISGUSTED|>', '\u{1F922}'],
  ['<|SURPRISED|>', '\u{1F62E}'],
]);

/** event_dict: event tag → emoji, in FunASR's order (later events end up leftmost). */
export const EVENT_EMOJI: ReadonlyMap<string, string> = new Map([
  ['<|BGM|>', '\u{1F3BC}'],
  ['<|Speech|>', ''],
  ['<|Applause|>', '\u{1F44F}'],
  ['<|Laughter|>', '\u{1F600}'],
  ['<|Cry|>', '\u{1F62D}'],
  ['<|Sneeze|>', '\u{1F927}'],
  ['<|Breath|>', ''],
  ['<|Cough|>', '\u{1F927}'],
]);

/** emoji_dict keys: every tag counted and deleted by format_str_v2, in FunASR's order. */
export const REMOVED_TAGS: readonly string[] = [
  '<|nospeech|><|Event_UNK|>',
  '<|zh|>',
  '<|en|>',
  '<|yue|>',
  '<|ja|>',
  '<|ko|>',
  '<|nospeech|>',
  '<|HAPPY|>',
  '<|SAD|>',
  '<|ANGRY|>',
  '<|NEUTRAL|>',
  '<|BGM|>',
  '<|Speech|>',
  '<|Applause|>',
  '<|Laughter|>',
  '<|FEARFUL|>',
  '<|DISGUSTED|>',
  '<|SURPRISED|>',
  '<|Cry|>',
  '<|EMO_UNKNOWN|>',
  '<|Sneeze|>',
  '<|Breath|>',
  '<|Cough|>',
  '<|Sing|>',
  '<|Speech_Noise|>',
  '<|withitn|>',
  '<|woitn|>',
  '<|GBG|>',
  '<|Event_UNK|>',
];

/** lang_dict keys: the tags that split the text into language parts. */
const LANGUAGE_TAGS = ['<|zh|>', '<|en|>', '<|yue|>', '<|ja|>', '<|ko|>', '<|nospeech|>'];
const LANGUAGE_SEPARATOR = '<|lang|>';
const NO_SPEECH_UNKNOWN_EVENT = '<|nospeech|><|Event_UNK|>';
/** ❓ U+2753. */
export const NO_SPEECH_EMOJI = '\u2753';

const EMOTION_SET: ReadonlySet<string> = new Set(['\u{1F60A}', '\u{1F614}', '\u{1F621}', '\u{1F630}', '\u{1F922}', '\u{1F62E}']);
/** Includes 😷 U+1F637 (emoji_dict's Cough value), which format_str_v2 never produces. */
const EVENT_SET: ReadonlySet<string> = new Set(['\u{1F3BC}', '\u{1F44F}', '\u{1F600}', '\u{1F62D}', '\u{1F927}', '\u{1F637}']);

/** The emoji FunASR renders for an emotion label ("HAPPY" → 😊); "" for none/unknown. */
export function emotionEmoji(label: string | null): string {
  return label === null ? '' : (EMOTION_EMOJI.get(`<|${label}|>`) ?? '');
}

/** The emoji FunASR renders for an event label ("BGM" → 🎼); "" for none/unknown. */
export function eventEmoji(label: string | null): string {
  return label === null ? '' : (EVENT_EMOJI.get(`<|${label}|>`) ?? '');
}

/** FunASR's `format_str_v2`: one language part's tags → leading event emoji, trailing emotion emoji. */
export function formatRichPart(input: string): string {
  let s = input;
  const counts = new Map<string, number>();
  for (const tag of REMOVED_TAGS) {
    counts.set(tag, countOccurrences(s, tag));
    s = s.replaceAll(tag, '');
  }
  let emotion = '<|NEUTRAL|>';
  for (const tag of EMOTION_EMOJI.keys()) {
    if ((counts.get(tag) ?? 0) > (counts.get(emotion) ?? 0)) emotion = tag;
  }
  for (const [tag, emoji] of EVENT_EMOJI) {
    if ((counts.get(tag) ?? 0) > 0) s = emoji + s;
  }
  s += EMOTION_EMOJI.get(emotion) ?? '';
  for (const emoji of [...EMOTION_SET, ...EVENT_SET]) {
    s = s.replaceAll(` ${emoji}`, emoji);
    s = s.replaceAll(`${emoji} `, emoji);
  }
  return pyStrip(s);
}

/**
 * FunASR's `rich_transcription_postprocess`: raw text (possibly several segments' raw
 * texts joined with " ") → readable rich text with emoji.
 */
export function richTranscriptionPostprocess(raw: string): string {
  let s = raw.replaceAll(NO_SPEECH_UNKNOWN_EVENT, NO_SPEECH_EMOJI);
  for (const tag of LANGUAGE_TAGS) s = s.replaceAll(tag, LANGUAGE_SEPARATOR);
  const parts = s.split(LANGUAGE_SEPARATOR).map((p) => stripSpaces(formatRichPart(p)));
  let out = ` ${parts[0] ?? ''}`;
  let currentEvent = leadingEvent(out); // always null: `out` starts with a space (as in FunASR)
  for (let i = 1; i < parts.length; i++) {
    let part = parts[i] as string;
    if (part.length === 0) continue;
    const event = leadingEvent(part);
    if (event !== null && event === currentEvent) {
      part = part.slice(event.length);
      if (part.length === 0) continue; // Python raises IndexError here
    }
    currentEvent = leadingEvent(part);
    const emotion = trailingEmotion(part);
    if (emotion !== null && emotion === trailingEmotion(out)) out = out.slice(0, -emotion.length);
    out += pyStrip(part);
  }
  return pyStrip(out.replaceAll('The.', ' '));
}

function countOccurrences(s: string, tag: string): number {
  return s.split(tag).length - 1; // non-overlapping, left to right, like str.count
}

function leadingEvent(s: string): string | null {
  const cp = s.codePointAt(0);
  if (cp === undefined) return null;
  const ch = String.fromCodePoint(cp);
  return EVENT_SET.has(ch) ? ch : null;
}

function trailingEmotion(s: string): string | null {
  if (s.length === 0) return null;
  const last = s.charCodeAt(s.length - 1);
  const isLowSurrogate = last >= 0xdc00 && last <= 0xdfff && s.length >= 2;
  const ch = isLowSurrogate ? s.slice(-2) : s.slice(-1);
  return EMOTION_SET.has(ch) ? ch : null;
}

/** Python `str.strip()`: the characters for which `str.isspace()` is true. */
const PY_WHITESPACE = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const PY_STRIP = new RegExp(`^[${PY_WHITESPACE}]+|[${PY_WHITESPACE}]+$`, 'g');

function pyStrip(s: string): string {
  return s.replace(PY_STRIP, '');
}

/** Python `str.strip(" ")`. */
function stripSpaces(s: string): string {
  return s.replace(/^ +| +$/g, '');
}
