import { describe, expect, it } from 'vitest';
import { UNSCORED_TAGS } from '../decoding/segment-tags.js';
import type { TranscriptSegment } from '../results/transcript.js';
import { SegmentsInOrder } from './segments-in-order.js';

const segmentOf = (text: string, index: number): TranscriptSegment => ({
  index,
  startS: index,
  endS: index + 0.5,
  channel: null,
  language: null,
  emotion: null,
  event: null,
  itn: null,
  text,
  rawText: text,
  richText: text,
  tokens: [],
  words: [],
  ...UNSCORED_TAGS,
  speechProbability: null,
});

describe('SegmentsInOrder', () => {
  it('hands segments over in index order whatever order their decodes arrive in', () => {
    const handed: string[] = [];
    const order = new SegmentsInOrder(segmentOf, (s) => handed.push(`${s.index}:${s.text}`));
    order.decoded('c', 2);
    expect(handed).toEqual([]);
    order.decoded('a', 0);
    expect(handed).toEqual(['0:a']);
    order.decoded('d', 3);
    order.decoded('b', 1);
    expect(handed).toEqual(['0:a', '1:b', '2:c', '3:d']);
    expect(order.segments().map((s) => s.text)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('refuses to build the transcript while a segment is missing', () => {
    const order = new SegmentsInOrder(segmentOf, () => undefined);
    order.decoded('b', 1);
    expect(() => order.segments()).toThrow('segment 0 was never decoded');
  });
});
