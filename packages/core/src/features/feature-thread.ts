/**
 * Worker-thread entry of the feature pool: one FeatureExtractor (built from the model's
 * options, the same code as inline), samples in, features out, both buffers transferred.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { toAppError } from '../errors/app-error.js';
import { FeatureExtractor, type FeatureOptions } from './compute-features.js';

/** Pool → thread. */
export interface FeatureRequest {
  id: number;
  samples: Float32Array;
}

/** Thread → pool. */
export type FeatureResponse =
  | { id: number; data: Float32Array; frames: number }
  | { id: number; error: { code: string; message: string } };

const port = parentPort;
if (!port) throw new Error('feature-thread must run in a worker thread');
const extractor = new FeatureExtractor(workerData as FeatureOptions);

port.on('message', (msg: FeatureRequest) => {
  try {
    const { data, frames } = extractor.compute(msg.samples);
    port.postMessage({ id: msg.id, data, frames } satisfies FeatureResponse, [data.buffer as ArrayBuffer]);
  } catch (err) {
    const e = toAppError(err);
    port.postMessage({ id: msg.id, error: { code: e.code, message: e.message } } satisfies FeatureResponse);
  }
});
