import { emotionEmoji, eventEmoji } from '../../decoding/rich-text.js';
import { channelPrefix, type ChannelNames } from '../channel-label.js';
import type { Transcript, TranscriptSegment, TranscriptWord } from '../transcript.js';
import { NO_SPACE_SCRIPT_CHAR } from '../words.js';

/** One subtitle cue: a timed block of up to `maxLines` lines. */
export interface Cue {
  startS: number;
  endS: number;
  lines: string[];
  /**
   * With `wordTimestamps`: where each word after the cue's first starts, as a place in `lines`
   * (`line`, code-unit `offset` in that line) and a time (whole milliseconds) strictly between the
   * cue's start and end, increasing; a word whose start would break that order gets none.
   */
  wordStarts?: WordStart[];
}

export interface WordStart {
  line: number;
  offset: number;
  startS: number;
}

export interface CueOptions {
  /**
   * Prefix each cue with the segment's tags: true or 'labels' → `[en|ANGRY|Laughter] `
   * ("?" for a missing tag), 'emoji' → the rich-text emoji (event, then emotion).
   * @defaultValue false
   */
  tags?: boolean | 'labels' | 'emoji';
  /** Longest line, in characters (code points); a single longer word stays whole. @defaultValue 42 */
  maxLineChars?: number;
  /** Lines per cue before a segment continues in a new cue. @defaultValue 2 */
  maxLines?: number;
  /**
   * Time each word after a cue's first (Cue.wordStarts, from `segment.words`): WebVTT writes
   * them as cue timestamps (karaoke style); SubRip has no such syntax and ignores it.
   * @defaultValue false
   */
  wordTimestamps?: boolean;
}

export const DEFAULT_MAX_LINE_CHARS = 42;
export const DEFAULT_MAX_LINES = 2;

/**
 * Subtitle cues for a transcript: one or more per segment with text (or with a tag prefix
 * when tags are on). A long segment is wrapped into lines at token boundaries — before a
 * token that starts a word (leading space) or a Han/Kana character, so CJK text wraps
 * between characters and punctuation stays on its line — and continues in further cues.
 * A continuation cue starts at its first token's time; the segment's first cue starts at
 * the segment start and its last ends at the segment end, so cues tile the segment. In a
 * per-channel transcript every cue starts with its channel's label (`agent: `, channel-label.ts),
 * so the channels' interleaved cues stay apart.
 */
export function buildCues(transcript: Pick<Transcript, 'segments'> & ChannelNames, options: CueOptions = {}): Cue[] {
  const maxLineChars = Math.max(1, options.maxLineChars ?? DEFAULT_MAX_LINE_CHARS);
  const maxLines = Math.max(1, options.maxLines ?? DEFAULT_MAX_LINES);
  const cues: Cue[] = [];
  for (const segment of transcript.segments) {
    const tags = tagPrefix(segment, options.tags ?? false);
    const prefix = channelPrefix(transcript, segment) + tags;
    const chunks = wrapSegment(segment, maxLineChars);
    if (chunks.length === 0) {
      // A segment without text still shows its tags when asked to (never a bare channel label).
      if (tags.trim() !== '') cues.push({ startS: segment.startS, endS: segment.endS, lines: [prefix.trim()] });
      continue;
    }
    for (let i = 0; i < chunks.length; i += maxLines) {
      const group = chunks.slice(i, i + maxLines);
      const next = chunks[i + maxLines];
      const first = group[0] as Line;
      const startS = i === 0 ? segment.startS : clamp(first.startS, segment.startS, segment.endS);
      const endS = next === undefined ? segment.endS : clamp(next.startS, startS, segment.endS);
      const lines = group.map((l) => l.text);
      lines[0] = prefix + (lines[0] ?? '');
      cues.push({ startS, endS, lines });
      if (options.wordTimestamps) timeWords(cues.at(-1) as Cue, group, segment.words, next?.startS);
    }
  }
  return cues;
}

interface Line {
  text: string;
  /** Start of the line's first token (segment start when the segment has no tokens). */
  startS: number;
}

function wrapSegment(segment: TranscriptSegment, maxLineChars: number): Line[] {
  const oneLine = segment.text.replace(/\s+/g, ' ').trim();
  if (segment.tokens.length === 0) return oneLine === '' ? [] : [{ text: oneLine, startS: segment.startS }];
  // Units: a token starting a word or a Han/Kana character opens a unit; others join it.
  const units: { text: string; startS: number }[] = [];
  for (const token of segment.tokens) {
    const text = token.text.replace(/\s+/g, ' ');
    const last = units.at(-1);
    if (last === undefined || text.startsWith(' ') || NO_SPACE_SCRIPT_CHAR.test([...text][0] ?? '')) {
      units.push({ text, startS: token.startS });
    } else {
      last.text += text;
    }
  }
  const lines: Line[] = [];
  let current: Line | null = null;
  for (const unit of units) {
    if (current !== null && codePoints(current.text + unit.text.trimEnd()) <= maxLineChars) {
      current.text += unit.text;
      continue;
    }
    if (current !== null) lines.push(current);
    current = { text: unit.text.trimStart(), startS: unit.startS };
  }
  if (current !== null) lines.push(current);
  return lines.map((l) => ({ text: l.text.trim(), startS: l.startS })).filter((l) => l.text !== '');
}

/** Rounding slack between word and token times (words are rounded to the millisecond). */
const TIME_SLACK_S = 0.0005;

/**
 * Sets `cue.wordStarts`: the segment's words that start within the cue's lines (from the first
 * line's start to `untilS`, the next cue's), found in order in the lines' text. A prefix
 * put before the first line (tags) shifts that line's offsets. A word not found in the text
 * (a segment whose text is not its tokens') gets no time; the cue's first word needs none.
 * A word starting no later than the word timed before it, or at or past the cue's end, gets none.
 */
function timeWords(cue: Cue, lines: readonly Line[], words: readonly TranscriptWord[] | undefined, untilS: number | undefined): void {
  const fromS = (lines[0] as Line).startS - TIME_SLACK_S;
  // A stored transcript older than 1.1 has no words: its cues carry no word times.
  const inCue = (words ?? []).filter((w) => w.startS >= fromS && (untilS === undefined || w.startS < untilS - TIME_SLACK_S));
  const starts: WordStart[] = [];
  let line = 0;
  let cursor = 0;
  let lastMs = Math.round(cue.startS * 1000);
  const endMs = Math.round(cue.endS * 1000);
  for (const [i, word] of inCue.entries()) {
    const found = findFrom(lines, word.word, line, cursor);
    if (found === null) continue;
    [line, cursor] = [found.line, found.offset + word.word.length];
    if (i === 0) continue;
    const at = found.offset;
    // WebVTT wants each timestamp after the cue start and the one before, and before the cue end.
    const ms = Math.round(word.startS * 1000);
    if (ms <= lastMs || ms >= endMs) continue;
    lastMs = ms;
    const shift = line === 0 ? (cue.lines[0] ?? '').length - (lines[0] as Line).text.length : 0;
    starts.push({ line, offset: at + shift, startS: ms / 1000 });
  }
  cue.wordStarts = starts;
}

/** The first place of `text` in `lines` at or after (`line`, `offset`). */
function findFrom(lines: readonly Line[], text: string, line: number, offset: number): { line: number; offset: number } | null {
  for (let l = line, from = offset; l < lines.length; l++, from = 0) {
    const at = (lines[l] as Line).text.indexOf(text, from);
    if (at >= 0) return { line: l, offset: at };
  }
  return null;
}

function tagPrefix(segment: TranscriptSegment, tags: boolean | 'labels' | 'emoji'): string {
  if (tags === false) return '';
  if (tags === 'emoji') {
    const emoji = eventEmoji(segment.event) + emotionEmoji(segment.emotion);
    return emoji === '' ? '' : `${emoji} `;
  }
  if (segment.language === null && segment.emotion === null && segment.event === null) return '';
  return `[${[segment.language, segment.emotion, segment.event].map((t) => t ?? '?').join('|')}] `;
}

function codePoints(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}

/** Formats seconds as `HH:MM:SS<sep>mmm` (hours grow past 99 if needed; negatives clamp to 0). */
export function formatTimestamp(seconds: number, separator: ',' | '.'): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const ms = totalMs % 1000;
  const totalS = (totalMs - ms) / 1000;
  const s = totalS % 60;
  const m = Math.floor(totalS / 60) % 60;
  const h = Math.floor(totalS / 3600);
  return `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}${separator}${pad(ms, 3)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}
