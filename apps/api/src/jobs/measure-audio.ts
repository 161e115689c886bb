/**
 * The audio duration of a new job, when its container says it cheaply (audio/probe-duration.ts
 * reads the head of the stored object, never decodes): the scaling signal then weighs the job by
 * its audio seconds from the moment it is queued. URL sources are not fetched by the API (the
 * worker does that, with its SSRF guard), so their duration is unknown until a worker decodes them.
 */
import type { Logger } from 'pino';
import { probeDuration, type AudioDuration } from '@earshot/core/audio/probe-duration';
import type { JobSource } from '@earshot/core/jobs/job-record';
import type { BlobStore } from '@earshot/core/storage/blob-store';
import { parseS3Uri } from '@earshot/core/storage/s3-uri';

export type MeasureAudio = (source: JobSource) => Promise<AudioDuration | null>;

export interface MeasureAudioDeps {
  store: BlobStore;
  /** ffmpeg binary (ffprobe beside it); null: WAV headers only. */
  ffmpegPath: string | null;
  logger: Logger;
  /** @defaultValue 3000 */
  timeoutMs?: number;
}

export function createAudioMeasurer(deps: MeasureAudioDeps): MeasureAudio {
  const options = { ffmpegPath: deps.ffmpegPath, timeoutMs: deps.timeoutMs ?? 3000 };
  return async (source) => {
    try {
      switch (source.kind) {
        case 'storage':
          return await probeDuration(await deps.store.getStream(source.key), options);
        case 's3': {
          if (!deps.store.external) return null;
          const { bucket, key } = parseS3Uri(source.uri);
          return await probeDuration(await deps.store.external.open(bucket, key), options);
        }
        case 'url':
          return null;
      }
    } catch (err) {
      deps.logger.debug({ err, source: source.kind }, 'could not read the audio duration at submission');
      return null;
    }
  };
}
