import { summarize, withConfidenceFloor } from '../results/timeline.js';
import type { Transcript } from '../results/transcript.js';
import type { AlertRule } from './job-options.js';
import type { AlertMatch } from './job-record.js';

/**
 * Alert rules checked against a finished transcript's summary (recomputed from the segments
 * for a rule with `minConfidence`). A rule matches only when its label is present at all:
 * `{ emotion: 'ANGRY' }` (minSeconds 0) means "any angry speech", never "always".
 *
 * - emotion rule: `summary.emotionSeconds[emotion]` > 0 and ≥ `minSeconds`;
 * - event rule: the event occurs (count ≥ 1) and every threshold given holds:
 *   count ≥ `minCount`, perMinute ≥ `minPerMinute` (both given ⇒ both must hold).
 *
 * Returns one match per matching rule, in rule order.
 */
export function evaluateAlerts(rules: readonly AlertRule[], transcript: Pick<Transcript, 'summary' | 'segments' | 'audio'>): AlertMatch[] {
  const matches: AlertMatch[] = [];
  for (const rule of rules) {
    // A confidence floor counts only the segments whose tag clears it (the timelines' rule).
    const counted =
      rule.minConfidence === undefined
        ? transcript
        : { summary: summarize(withConfidenceFloor(transcript.segments, rule.minConfidence), transcript.audio.durationS) };
    const match = 'emotion' in rule ? matchEmotion(rule, counted) : matchEvent(rule, counted);
    if (match) matches.push(match);
  }
  return matches;
}

type EmotionRule = Extract<AlertRule, { emotion: string }>;
type EventRule = Extract<AlertRule, { event: string }>;

function matchEmotion(rule: EmotionRule, transcript: Pick<Transcript, 'summary'>): AlertMatch | null {
  const { emotionSeconds } = transcript.summary;
  // Object.hasOwn: labels of a synthetic model can be any piece, "constructor" included.
  const seconds = Object.hasOwn(emotionSeconds, rule.emotion) ? (emotionSeconds[rule.emotion] ?? 0) : 0;
  const minSeconds = rule.minSeconds ?? 0;
  if (seconds <= 0 || seconds < minSeconds) return null;
  return {
    rule: rule.name ?? `emotion:${rule.emotion}>=${minSeconds}s${floorSuffix(rule)}`,
    kind: 'emotion',
    label: rule.emotion,
    message: `${formatNumber(seconds)} s of ${rule.emotion} speech (threshold ${formatNumber(minSeconds)} s)`,
    value: seconds,
    threshold: minSeconds,
  };
}

function matchEvent(rule: EventRule, transcript: Pick<Transcript, 'summary'>): AlertMatch | null {
  const { events } = transcript.summary;
  const stats = Object.hasOwn(events, rule.event) ? events[rule.event] : undefined;
  if (!stats || stats.count < 1) return null;
  if (rule.minCount !== undefined && stats.count < rule.minCount) return null;
  if (rule.minPerMinute !== undefined && stats.perMinute < rule.minPerMinute) return null;

  // The rate is the more telling number when the rule asks for it; otherwise the count.
  const byRate = rule.minPerMinute !== undefined;
  const threshold = byRate ? (rule.minPerMinute ?? 0) : (rule.minCount ?? 1);
  const conditions = [
    ...(rule.minCount !== undefined ? [`count ≥ ${rule.minCount}`] : []),
    ...(rule.minPerMinute !== undefined ? [`≥ ${formatNumber(rule.minPerMinute)}/min`] : []),
  ];
  return {
    rule: rule.name ?? `event:${rule.event}${conditions.length ? `(${conditions.join(',').replaceAll(' ', '')})` : ''}${floorSuffix(rule)}`,
    kind: 'event',
    label: rule.event,
    message:
      `${rule.event} in ${stats.count} segment${stats.count === 1 ? '' : 's'} ` +
      `(${formatNumber(stats.perMinute)}/min)${conditions.length ? `; rule: ${conditions.join(' and ')}` : ''}`,
    value: byRate ? stats.perMinute : stats.count,
    threshold,
  };
}

/** `@0.6` for a rule with a confidence floor (default rule names). */
function floorSuffix(rule: AlertRule): string {
  return rule.minConfidence === undefined ? '' : `@${formatNumber(rule.minConfidence)}`;
}

function formatNumber(x: number): string {
  return String(Math.round(x * 100) / 100);
}
