import type { TimelineInterval, TranscriptSummary } from './transcript.js';

/** What the timeline and summary need from a segment (the confidence fields: transcript 1.1). */
export interface LabelledSpan {
  startS: number;
  endS: number;
  language: string | null;
  emotion: string | null;
  event: string | null;
  emotionConfidence?: number | null;
  eventConfidence?: number | null;
  languageProbs?: Record<string, number> | null;
  noSpeech?: boolean;
}

/**
 * Longest silence between two segments with the same label that still joins them into one
 * interval. VAD cuts speech at pauses of a few hundred milliseconds (and at the maximum
 * segment length, with no gap at all), so one sad sentence or one stretch of music often
 * arrives as several segments; a pause of up to about a second is still the same moment in a
 * conversation, while a longer one is a real break about which the model said nothing.
 */
export const DEFAULT_MERGE_GAP_S = 1.0;

/**
 * Merges segments into label intervals, in time order: a segment extends the previous
 * interval when it has the same label and starts at most `mergeGapS` after that interval
 * ends (overlaps count as gap ≤ 0); any other label, or a segment without a label (null),
 * closes the interval. Times are rounded to the millisecond.
 */
export function buildTimeline(
  spans: readonly LabelledSpan[],
  pick: (span: LabelledSpan) => string | null,
  mergeGapS = DEFAULT_MERGE_GAP_S,
): TimelineInterval[] {
  const out: TimelineInterval[] = [];
  let open: TimelineInterval | null = null;
  for (const span of sortByStart(spans)) {
    const label = pick(span);
    if (label === null) {
      open = null;
      continue;
    }
    if (open !== null && open.label === label && span.startS - open.endS <= mergeGapS) {
      open.endS = Math.max(open.endS, span.endS);
      continue;
    }
    open = { startS: span.startS, endS: span.endS, label };
    out.push(open);
  }
  return out.map((i) => ({ startS: roundMs(i.startS), endS: roundMs(i.endS), label: i.label }));
}

/**
 * Emotion and event timelines (see buildTimeline). With `minConfidence` > 0, a tag below it (or
 * of unknown confidence) counts as no label there.
 */
export function buildTimelines(
  spans: readonly LabelledSpan[],
  mergeGapS = DEFAULT_MERGE_GAP_S,
  minConfidence = 0,
): { emotionTimeline: TimelineInterval[]; eventTimeline: TimelineInterval[] } {
  const confident = withConfidenceFloor(spans, minConfidence);
  return {
    emotionTimeline: buildTimeline(confident, (s) => s.emotion, mergeGapS),
    eventTimeline: buildTimeline(confident, (s) => s.event, mergeGapS),
  };
}

/**
 * The spans with emotion/event labels below `minConfidence` (or of unknown confidence) set to
 * null; unchanged when `minConfidence` is 0. Timelines and alert rules share this rule.
 */
export function withConfidenceFloor<T extends LabelledSpan>(spans: readonly T[], minConfidence: number): T[] {
  if (minConfidence <= 0) return [...spans];
  const keep = (c: number | null | undefined): boolean => c !== null && c !== undefined && c >= minConfidence;
  return spans.map((s) => ({ ...s, emotion: keep(s.emotionConfidence) ? s.emotion : null, event: keep(s.eventConfidence) ? s.event : null }));
}

/**
 * Totals over the segments of an audio of `audioDurationS` seconds:
 * - speechS: length of the union of the segments; speechRatio = speechS / audioDurationS;
 * - emotionSeconds: segment seconds per emotion label;
 * - events: per event label, the segments carrying it, their seconds, and that count per
 *   minute of audio;
 * - languageShares: segment seconds per language over all segment seconds (segments without
 *   a language count in the denominator, so shares may sum to less than 1);
 * - languageProbs: the segments' language probabilities weighted by their seconds;
 * - noSpeech: segments flagged noSpeech and their seconds.
 * Seconds are rounded to the millisecond, ratios, rates and probabilities to 4 decimals.
 */
export function summarize(spans: readonly LabelledSpan[], audioDurationS: number): TranscriptSummary {
  // Maps, then Object.fromEntries: labels of a synthetic model can be any piece, "constructor" included.
  const emotionSeconds = new Map<string, number>();
  const events = new Map<string, { count: number; seconds: number }>();
  const languageSeconds = new Map<string, number>();
  const languageMass = new Map<string, number>();
  let weighedS = 0;
  const noSpeech = { segments: 0, seconds: 0 };
  let totalS = 0;
  for (const span of spans) {
    const d = Math.max(0, span.endS - span.startS);
    totalS += d;
    if (span.languageProbs) {
      weighedS += d;
      for (const [label, p] of Object.entries(span.languageProbs)) languageMass.set(label, (languageMass.get(label) ?? 0) + p * d);
    }
    if (span.noSpeech) {
      noSpeech.segments++;
      noSpeech.seconds += d;
    }
    if (span.emotion !== null) emotionSeconds.set(span.emotion, (emotionSeconds.get(span.emotion) ?? 0) + d);
    if (span.event !== null) {
      const e = events.get(span.event) ?? { count: 0, seconds: 0 };
      events.set(span.event, { count: e.count + 1, seconds: e.seconds + d });
    }
    if (span.language !== null) languageSeconds.set(span.language, (languageSeconds.get(span.language) ?? 0) + d);
  }
  const minutes = audioDurationS / 60;
  const speechS = unionLengthS(spans);
  return {
    speechS: roundMs(speechS),
    speechRatio: audioDurationS > 0 ? round4(Math.min(1, speechS / audioDurationS)) : 0,
    emotionSeconds: Object.fromEntries([...emotionSeconds].map(([k, s]) => [k, roundMs(s)])),
    events: Object.fromEntries(
      [...events].map(([k, e]) => [
        k,
        { count: e.count, seconds: roundMs(e.seconds), perMinute: minutes > 0 ? round4(e.count / minutes) : 0 },
      ]),
    ),
    languageShares: Object.fromEntries([...languageSeconds].map(([k, s]) => [k, totalS > 0 ? round4(s / totalS) : 0])),
    languageProbs: Object.fromEntries([...languageMass].map(([k, m]) => [k, weighedS > 0 ? round4(m / weighedS) : 0])),
    noSpeech: { segments: noSpeech.segments, seconds: roundMs(noSpeech.seconds) },
  };
}

/** The language with the most segment seconds (the earliest-seen wins a tie), or null. */
export function dominantLanguage(spans: readonly LabelledSpan[]): string | null {
  const seconds = new Map<string, number>();
  for (const s of spans) {
    if (s.language !== null) seconds.set(s.language, (seconds.get(s.language) ?? 0) + Math.max(0, s.endS - s.startS));
  }
  let best: string | null = null;
  let bestS = -1;
  for (const [language, s] of seconds) {
    if (s > bestS) {
      best = language;
      bestS = s;
    }
  }
  return best;
}

function unionLengthS(spans: readonly LabelledSpan[]): number {
  let total = 0;
  let from = 0;
  let to = -Infinity;
  for (const s of sortByStart(spans)) {
    if (s.startS > to) {
      if (to > from) total += to - from;
      from = s.startS;
      to = s.endS;
    } else {
      to = Math.max(to, s.endS);
    }
  }
  if (to > from) total += to - from;
  return total;
}

function sortByStart<T extends { startS: number }>(spans: readonly T[]): T[] {
  return [...spans].sort((a, b) => a.startS - b.startS);
}

function roundMs(s: number): number {
  return Math.round(s * 1000) / 1000;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
