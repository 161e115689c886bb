import { describe, expect, it } from 'vitest';
import { UNSCORED_TAGS } from '@earshot/core/decoding/segment-tags';
import { ChunkManifestSchema, ChunkResultSchema } from './chunk-objects.js';

const segment = {
  index: 0,
  startS: 1,
  endS: 2,
  language: 'en',
  emotion: 'NEUTRAL',
  event: 'Speech',
  itn: true,
  text: 'a',
  rawText: 'a',
  richText: 'a',
  tokens: [],
  words: [],
  ...UNSCORED_TAGS,
};
const result = {
  index: 0,
  timings: { decodeMs: 0, vadMs: 0, featuresMs: 0, inferenceMs: 0, decodingMs: 0, totalMs: 0, realTimeFactor: 0 },
  model: { name: 'm', file: 'model.onnx', synthetic: true, quantized: false, vocabSize: 10, executionProvider: 'cpu' },
  options: { language: 'auto', itn: true, banEmotionUnknown: false, vad: false, languages: null, dropNoSpeech: false, timelineMinConfidence: 0 },
};

describe('chunk object schemas', () => {
  it("keep a span's speech probability in the manifest, absent in a manifest written before it", () => {
    const manifest = {
      startedAtMs: 0,
      audio: { durationS: 10, format: 'wav', sampleRate: 16_000, channels: 1, codec: 'pcm_s16le' },
      decodeMs: 0,
      vadMs: 0,
      warnings: [],
      chunks: [
        {
          index: 0,
          offsetS: 0,
          samples: 160_000,
          shareS: 10,
          spans: [{ startS: 0, endS: 1, speechProbability: { mean: 0.1, max: 0.2 } }, { startS: 2, endS: 3, speechProbability: null }, { startS: 4, endS: 5 }],
        },
      ],
    };
    expect(ChunkManifestSchema.parse(manifest).chunks[0]!.spans).toEqual(manifest.chunks[0]!.spans);
    const bad = { ...manifest, chunks: [{ ...manifest.chunks[0]!, spans: [{ startS: 0, endS: 1, speechProbability: { mean: 0.1, max: 1.5 } }] }] };
    expect(ChunkManifestSchema.safeParse(bad).success).toBe(false);
  });

  it('read a chunk result without speechProbability and channel (an older worker) as null and mixed, and keep them when present', () => {
    const old = ChunkResultSchema.parse({ ...result, segments: [segment] });
    expect(old.segments[0]!.speechProbability).toBeNull();
    expect(old.segments[0]!.channel).toBeNull();
    expect(old.options).toMatchObject({ channels: 'mix', channelNames: null });
    const onChannel = ChunkResultSchema.parse({ ...result, segments: [{ ...segment, channel: 1 }], options: { ...result.options, channels: 'separate', channelNames: ['a', 'b'] } });
    expect(onChannel.segments[0]!.channel).toBe(1);
    expect(onChannel.options).toMatchObject({ channels: 'separate', channelNames: ['a', 'b'] });
    const measured = { ...segment, speechProbability: { mean: 0.3, max: 0.9 } };
    expect(ChunkResultSchema.parse({ ...result, segments: [measured] }).segments[0]!.speechProbability).toEqual({ mean: 0.3, max: 0.9 });
  });
});
