import type { TranscriptSegment, TranscriptToken } from '../results/transcript.js';
import type { CtcGreedyResult } from './ctc-greedy.js';
import { richTranscriptionPostprocess } from './rich-text.js';
import type { SymbolTable } from './symbol-table.js';

/** Logit frames the model prepends: language, emotion, event, ITN tag (spec §3.1). */
export const QUERY_FRAMES = 4;

const WITH_ITN = '<|withitn|>';
const WITHOUT_ITN = '<|woitn|>';

export interface SegmentTiming {
  /** Where the segment starts in the whole audio, in seconds. */
  segmentStartS: number;
  /** LFR shift from the model metadata (`lfr_window_shift`, 6). */
  lfrWindowShift: number;
  /** Fbank frame shift. @defaultValue 10 */
  frameShiftMs?: number;
}

/** The four query-slot pieces as emitted (null = fewer tokens were emitted). */
export interface SlotPieces {
  language: string | null;
  emotion: string | null;
  event: string | null;
  itn: string | null;
}

/** Segment fields scored afterwards: from the query frames (decoding/segment-tags.ts) and the VAD (the span's). */
type ScoredTagField =
  | 'words'
  | 'languageProbs'
  | 'emotionProbs'
  | 'eventProbs'
  | 'languageConfidence'
  | 'emotionConfidence'
  | 'eventConfidence'
  | 'noSpeech'
  | 'speechProbability';

/** One segment's decode: a TranscriptSegment without its place in the audio (times, channel) or tag scores, plus the raw slot pieces. */
export interface SegmentDecode extends Omit<TranscriptSegment, 'index' | 'startS' | 'endS' | 'channel' | ScoredTagField> {
  slotPieces: SlotPieces;
}

/**
 * Turns one segment's greedy CTC output into tags, text and timed tokens, the way
 * sherpa-onnx 1.13.8 and FunASR do (spec §3, §9):
 * - emitted tokens 0, 1, 2 are the language, emotion and event tags; with fewer than 3
 *   emitted tokens all three are null. Slots are positional among *emitted* tokens, so a
 *   query frame that emits nothing (or repeats its predecessor) shifts everything;
 * - emitted token 3 is the ITN tag (`itn` true/false for `<|withitn|>`/`<|woitn|>`, else null);
 * - text tokens start at emitted token 4; a leading `▁` becomes a space; the text is their
 *   concatenation with leading whitespace removed;
 * - a token emitted at logit frame t starts at segmentStartS + (t − 4) × frameShift × lfrShift
 *   (0.06 s) and lasts one LFR frame. Times are rounded to the millisecond.
 *
 * `rawText` is FunASR's raw form: the slot pieces verbatim, then the text with no space
 * in between (SentencePiece drops the leading `▁` of the first word; FunASR output reads
 * `<|en|><|NEUTRAL|><|Speech|><|woitn|>Hello there.`). `richText` is its
 * rich_transcription_postprocess.
 */
export function decodeSenseVoiceOutput(
  greedy: CtcGreedyResult,
  symbols: SymbolTable,
  timing: SegmentTiming,
): SegmentDecode {
  const pieces = greedy.ids.map((id) => symbols.piece(id));
  const hasTags = pieces.length >= 3;
  const slotPieces: SlotPieces = {
    language: hasTags ? (pieces[0] ?? null) : null,
    emotion: hasTags ? (pieces[1] ?? null) : null,
    event: hasTags ? (pieces[2] ?? null) : null,
    itn: pieces[3] ?? null,
  };
  const lfrFrameS = ((timing.frameShiftMs ?? 10) * timing.lfrWindowShift) / 1000;
  const tokens: TranscriptToken[] = [];
  for (let k = QUERY_FRAMES; k < pieces.length; k++) {
    const startS = timing.segmentStartS + ((greedy.frames[k] as number) - QUERY_FRAMES) * lfrFrameS;
    tokens.push({
      id: greedy.ids[k] as number,
      text: tokenText(pieces[k] as string),
      startS: roundMs(startS),
      endS: roundMs(startS + lfrFrameS),
    });
  }
  const text = tokens.map((t) => t.text).join('').trimStart();
  const rawText = pieces.slice(0, QUERY_FRAMES).join('') + text;
  return {
    language: tagLabel(slotPieces.language),
    emotion: tagLabel(slotPieces.emotion),
    event: tagLabel(slotPieces.event),
    itn: slotPieces.itn === WITH_ITN ? true : slotPieces.itn === WITHOUT_ITN ? false : null,
    text,
    rawText,
    richText: richTranscriptionPostprocess(rawText),
    tokens,
    slotPieces,
  };
}

/** `<|en|>` → "en"; any other piece is returned as is (synthetic models emit anything). */
export function tagLabel(piece: string | null): string | null {
  if (piece === null) return null;
  return piece.length > 4 && piece.startsWith('<|') && piece.endsWith('|>') ? piece.slice(2, -2) : piece;
}

/** sherpa-onnx's token text: one leading U+2581 `▁` becomes a space. */
export function tokenText(piece: string): string {
  return piece.startsWith('\u2581') ? ` ${piece.slice(1)}` : piece;
}

function roundMs(s: number): number {
  return Math.round(s * 1000) / 1000;
}
