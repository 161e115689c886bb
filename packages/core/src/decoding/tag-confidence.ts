import type { SymbolTable } from './symbol-table.js';

/**
 * Tag confidence: SenseVoice decides language, emotion and event from its first three output
 * frames (the query frames). The runner returns each query frame's log-softmax over all tag
 * pieces (`queryTagIds`); a slot's distribution is that restricted to the slot's own tags and
 * renormalised, i.e. the softmax of the frame's logits over those tags.
 */
export const SLOT_TAGS = {
  language: ['zh', 'en', 'yue', 'ja', 'ko', 'nospeech'],
  emotion: ['HAPPY', 'SAD', 'ANGRY', 'NEUTRAL', 'FEARFUL', 'DISGUSTED', 'SURPRISED', 'EMO_UNKNOWN'],
  event: ['Speech', 'BGM', 'Applause', 'Laughter', 'Cry', 'Sneeze', 'Breath', 'Cough', 'Sing', 'Speech_Noise', 'GBG', 'Event_UNK'],
} as const;

export type TagSlot = keyof typeof SLOT_TAGS;
/** Query frame of each slot (frame 3 is the ITN tag). */
const SLOT_FRAME: Record<TagSlot, number> = { language: 0, emotion: 1, event: 2 };

/** Probability per tag label of one slot (labels without `<|` `|>`), summing to 1. */
export type TagDistribution = Record<string, number>;

export interface SlotDistributions {
  language: TagDistribution;
  emotion: TagDistribution;
  event: TagDistribution;
}

export interface TagScorer {
  /**
   * The three slot distributions of one segment from its `(4, tagIds.length)` query-frame
   * log-probabilities. `exclude` drops labels before renormalising (e.g. EMO_UNKNOWN when
   * it is banned).
   */
  distributions(queryLogProbs: Float32Array, exclude?: Partial<Record<TagSlot, readonly string[]>>): SlotDistributions;
}

/**
 * A scorer for the runner's tag columns: `tagIds` is the id list the runner computed the
 * log-softmax over (in that column order). Labels missing from the vocabulary are left out.
 */
export function createTagScorer(symbols: SymbolTable, tagIds: readonly number[]): TagScorer {
  const column = new Map(tagIds.map((id, j) => [id, j]));
  const columns = {} as Record<TagSlot, { label: string; column: number }[]>;
  for (const slot of Object.keys(SLOT_TAGS) as TagSlot[]) {
    columns[slot] = [];
    for (const label of SLOT_TAGS[slot]) {
      const id = symbols.id(`<|${label}|>`);
      const j = id === undefined ? undefined : column.get(id);
      if (j !== undefined) columns[slot].push({ label, column: j });
    }
  }
  const width = tagIds.length;
  return {
    distributions(queryLogProbs, exclude = {}) {
      const slotOf = (slot: TagSlot): TagDistribution => {
        const banned = new Set(exclude[slot] ?? []);
        const row = SLOT_FRAME[slot] * width;
        const kept = columns[slot].filter((c) => !banned.has(c.label));
        let max = -Infinity;
        for (const c of kept) max = Math.max(max, queryLogProbs[row + c.column] ?? -Infinity);
        let sum = 0;
        const weights = kept.map((c) => {
          const w = Math.exp((queryLogProbs[row + c.column] ?? -Infinity) - max);
          sum += w;
          return w;
        });
        const out: TagDistribution = {};
        kept.forEach((c, i) => (out[c.label] = sum > 0 ? round4((weights[i] ?? 0) / sum) : 0));
        return out;
      };
      return { language: slotOf('language'), emotion: slotOf('emotion'), event: slotOf('event') };
    },
  };
}

/** The most probable label among `allowed` (all labels when omitted), with its probability renormalised over them. */
export function pickAmong(distribution: TagDistribution, allowed?: readonly string[]): { label: string; probability: number } | null {
  const labels = allowed ?? Object.keys(distribution);
  let best: string | null = null;
  let bestP = -1;
  let total = 0;
  for (const label of labels) {
    const p = Object.hasOwn(distribution, label) ? (distribution[label] ?? 0) : 0;
    total += p;
    if (p > bestP) {
      best = label;
      bestP = p;
    }
  }
  if (best === null) return null;
  return { label: best, probability: total > 0 ? round4(bestP / total) : 0 };
}

/** Probability of `label` in `distribution`, or null when the label is not one of its tags. */
export function confidenceOf(distribution: TagDistribution | null, label: string | null): number | null {
  if (distribution === null || label === null || !Object.hasOwn(distribution, label)) return null;
  return distribution[label] ?? null;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
