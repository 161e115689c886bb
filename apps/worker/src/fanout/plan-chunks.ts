/**
 * Grouping a long file's speech spans into chunks for fan-out. Pure: the splitter runs the engine's
 * VAD (Engine.speechSpans) and passes the spans here.
 *
 * Words: a **span** is what the engine decodes as one model input; a **chunk** is a run of
 * consecutive spans transcribed by one `chunk` job. A chunk's **audio** runs from its first span's
 * start to its last span's end (only that is stored); its **share** of the file runs from the cut
 * before it to the cut after it, so the shares partition the whole file (silence included) and
 * add up to its duration (the backlog and the throughput meter count shares).
 */
import type { SpeechSpan } from '@earshot/core/engine/engine';

export interface ChunkPlan {
  index: number;
  /** Where the chunk's audio starts in the file, in seconds (whole ms: the first span's start). */
  offsetS: number;
  /** Where the chunk's audio ends in the file (its last span's end). */
  endS: number;
  /** The chunk's share of the file: [shareStartS, shareEndS). */
  shareStartS: number;
  shareEndS: number;
  /** The chunk's spans relative to `offsetS` (whole ms), with their speech probability. */
  spans: SpeechSpan[];
}

/**
 * Spans (sorted, non-overlapping) → chunks of about `chunkS` seconds of audio each. A chunk takes
 * spans while its audio (first span's start to the next span's end) stays within `chunkS`; a span
 * never straddles two chunks, so a chunk holding one span longer than `chunkS` is longer than that.
 * Cuts (share boundaries) fall at the start of a chunk's first span, inside a VAD pause.
 * No spans → no chunks.
 */
export function planChunks(spans: readonly SpeechSpan[], durationS: number, chunkS: number): ChunkPlan[] {
  const groups: SpeechSpan[][] = [];
  let current: SpeechSpan[] = [];
  for (const span of spans) {
    const first = current[0];
    if (first && span.endS - first.startS > chunkS) {
      groups.push(current);
      current = [];
    }
    current.push(span);
  }
  if (current.length > 0) groups.push(current);

  return groups.map((group, index) => {
    const offsetS = group[0]!.startS;
    const next = groups[index + 1];
    return {
      index,
      offsetS,
      endS: group.at(-1)!.endS,
      shareStartS: index === 0 ? 0 : offsetS,
      shareEndS: next ? next[0]!.startS : Math.max(durationS, group.at(-1)!.endS),
      spans: group.map((s) => ({
        startS: round3(s.startS - offsetS),
        endS: round3(s.endS - offsetS),
        // measured on the whole file: the chunk job flags its segments as a whole-file run would
        ...(s.speechProbability !== undefined && { speechProbability: s.speechProbability }),
      })),
    };
  });
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
