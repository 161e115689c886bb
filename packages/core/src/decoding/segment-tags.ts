import type { TranscriptSegment } from '../results/transcript.js';
import { DEFAULT_SEGMENTER_OPTIONS, negativeThreshold } from '../vad/segmenter.js';
import type { SpeechProbability } from '../vad/span-probability.js';
import type { VadOptions } from '../vad/vad-options.js';
import { confidenceOf, pickAmong, type TagScorer } from './tag-confidence.js';

/** The tag fields of a segment that come from its query-frame scores (transcript 1.1). */
export type SegmentTagFields = Pick<
  TranscriptSegment,
  'language' | 'languageProbs' | 'emotionProbs' | 'eventProbs' | 'languageConfidence' | 'emotionConfidence' | 'eventConfidence' | 'noSpeech'
>;

/** A language-frame "nospeech" probability from which a segment is flagged noSpeech. */
export const NO_SPEECH_MIN_PROB = 0.5;

export interface TagRequest {
  /** Allowed languages: the segment's language is the most probable of these. */
  languages?: readonly string[] | undefined;
  /** EMO_UNKNOWN is left out of the emotion distribution (the decoder never emits it then). */
  banEmotionUnknown: boolean;
}

/** The tag scores of a segment decoded without query-frame scores (fake runners, old results). */
export const UNSCORED_TAGS: Omit<SegmentTagFields, 'language'> = Object.freeze({
  languageProbs: null,
  emotionProbs: null,
  eventProbs: null,
  languageConfidence: null,
  emotionConfidence: null,
  eventConfidence: null,
  noSpeech: false,
});

/**
 * Scores a decoded segment's tags. `emitted` holds the tags greedy decoding emitted; the result
 * keeps them (only `language` changes, under `languages`) and adds the slot distributions and
 * the chosen tags' probabilities. Without scores (`queryLogProbs` or `scorer` missing) the
 * probabilities are null and only an emitted "nospeech" flags the segment.
 *
 * Under `languages` the segment's language is the most probable allowed one and its
 * confidence is that language's probability among all language tags (not renormalised over
 * the allowed ones, so audio in none of them shows up as a low confidence).
 */
export function scoreSegmentTags(
  emitted: Pick<TranscriptSegment, 'language' | 'emotion' | 'event'>,
  queryLogProbs: Float32Array | undefined,
  scorer: TagScorer | null,
  request: TagRequest,
): SegmentTagFields {
  if (!scorer || !queryLogProbs) {
    const language = request.languages && emitted.language !== null && !request.languages.includes(emitted.language) ? null : emitted.language;
    return { ...UNSCORED_TAGS, language, noSpeech: emitted.language === 'nospeech' };
  }
  const d = scorer.distributions(queryLogProbs, request.banEmotionUnknown ? { emotion: ['EMO_UNKNOWN'] } : {});
  const language = request.languages ? (pickAmong(d.language, request.languages)?.label ?? null) : emitted.language;
  return {
    language,
    languageProbs: d.language,
    emotionProbs: d.emotion,
    eventProbs: d.event,
    languageConfidence: confidenceOf(d.language, language),
    emotionConfidence: confidenceOf(d.emotion, emitted.emotion),
    eventConfidence: confidenceOf(d.event, emitted.event),
    noSpeech: emitted.language === 'nospeech' || (d.language.nospeech ?? 0) >= NO_SPEECH_MIN_PROB,
  };
}

/**
 * The VAD half of the no-speech guard (the model's half is `noSpeech` of {@link scoreSegmentTags}):
 * no window of the span reached the VAD's negative threshold, the probability below which Silero
 * holds that speech has surely ended (the request's `negThreshold`, by default its threshold −
 * 0.15: 0.35; with VAD off, the default threshold's 0.35). Only the max counts: a span with one
 * clear word in a long silence has a low mean, and its text must stay. Unmeasured (null) → false.
 */
export function vadSaysNoSpeech(speech: SpeechProbability | null, vad: Pick<VadOptions, 'threshold' | 'negThreshold'> | false): boolean {
  if (!speech) return false;
  const below = vad ? negativeThreshold(vad.threshold, vad.negThreshold) : negativeThreshold(DEFAULT_SEGMENTER_OPTIONS.threshold);
  return speech.max < below;
}
