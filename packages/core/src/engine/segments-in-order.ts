import type { TranscriptSegment } from '../results/transcript.js';

/**
 * Hands segments to `onSegment` in index order as their decodes arrive (batches finish in any
 * order): each decode is turned into its segment once, kept until every earlier one was handed
 * over, and the same segments make the transcript (`segments()`), so a live view and the stored
 * result never differ.
 */
export class SegmentsInOrder<D> {
  private readonly ready: (TranscriptSegment | undefined)[] = [];
  private next = 0;

  constructor(
    private readonly toSegment: (decode: D, index: number) => TranscriptSegment,
    private readonly onSegment: (segment: TranscriptSegment) => void,
  ) {}

  decoded(decode: D, index: number): void {
    this.ready[index] = this.toSegment(decode, index);
    for (let segment = this.ready[this.next]; segment !== undefined; segment = this.ready[this.next]) {
      this.next++;
      this.onSegment(segment);
    }
  }

  /** Every segment, in order; call once all decodes arrived. */
  segments(): TranscriptSegment[] {
    return Array.from(this.ready, (segment, index) => {
      if (!segment) throw new Error(`segment ${index} was never decoded`);
      return segment;
    });
  }
}
