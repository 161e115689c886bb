import { emotionEmoji, eventEmoji } from '../../decoding/rich-text.js';
import { channelPrefix, type ChannelNames } from '../channel-label.js';
import type { Transcript, TranscriptSegment } from '../transcript.js';
import { NO_SPACE_SCRIPT_CHAR } from '../words.js';

/** One subtitle cue: a timed block of up to `maxLines` lines. */
export interface Cue {
  startS: number;
  endS: number;
  lines: string[];
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
