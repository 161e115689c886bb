import { channelLabel, type ChannelNames } from '../results/channel-label.js';
import { summarize, withConfidenceFloor } from '../results/timeline.js';
import type { Transcript } from '../results/transcript.js';
import type { AlertRule } from './job-options.js';
import type { AlertMatch } from './job-record.js';

/**
 * Alert rules checked against a finished transcript's summary (recomputed from the segments
 * for a rule with `minConfidence` or `channel`: that channel's segments only, over the whole
 * file's duration). A rule matches only when its label is present at all:
 * `{ emotion: 'ANGRY' }` (minSeconds 0) means "any angry speech", never "always".
 *
 * - emotion rule: `summary.emotionSeconds[emotion]` > 0 and ≥ `minSeconds`;
 * - event rule: the event occurs (count ≥ 1) and every threshold given holds:
 *   count ≥ `minCount`, perMinute ≥ `minPerMinute` (both given ⇒ both must hold).
 *
 * Returns one match per matching rule, in rule order.
 */
export function evaluateAlerts(
  rules: readonly AlertRule[],
  transcript: Pick<Transcript, 'summary' | 'segments' | 'audio'> & ChannelNames,
): AlertMatch[] {
  const matches: AlertMatch[] = [];
  for (const rule of rules) {
    const match = 'emotion' in rule ? matchEmotion(rule, countedFor(rule, transcript)) : matchEvent(rule, countedFor(rule, transcript));
    if (match) matches.push(rule.channel === undefined ? match : onChannel(match, rule.channel, transcript));
  }
  return matches;
}

/** The summary a rule reads: the transcript's, or one over the segments it counts (its channel, its confidence floor: the timelines' rule). */
function countedFor(rule: AlertRule, transcript: Pick<Transcript, 'summary' | 'segments' | 'audio'>): Pick<Transcript, 'summary'> {
  if (rule.minConfidence === undefined && rule.channel === undefined) return transcript;
  const onItsChannel = rule.channel === undefined ? transcript.segments : transcript.segments.filter((s) => s.channel === rule.channel);
  return { summary: summarize(withConfidenceFloor(onItsChannel, rule.minConfidence ?? 0), transcript.audio.durationS) };
}

/** A match of a rule naming a channel: the channel in the match and its label before the message (default names end in `#N`, floorSuffix). */
function onChannel(match: AlertMatch, channel: number, transcript: ChannelNames): AlertMatch {
  const label = channelLabel(transcript, channel);
  return { ...match, channel, message: `${label}: ${match.message}` };
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

/** `@0.6` for a rule with a confidence floor, `#1` for a rule on channel 1 (default rule names). */
function floorSuffix(rule: AlertRule): string {
  const floor = rule.minConfidence === undefined ? '' : `@${formatNumber(rule.minConfidence)}`;
  return rule.channel === undefined ? floor : `${floor}#${rule.channel}`;
}

function formatNumber(x: number): string {
  return String(Math.round(x * 100) / 100);
}
