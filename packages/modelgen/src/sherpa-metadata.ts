/**
 * The ONNX metadata_props of sherpa-onnx's SenseVoice export (spec §1.2), all values strings.
 * sherpa-onnx `_Exit`s when a required key is missing, and treats the file as FunASR-Nano when
 * `comment` contains "Nano", so every key below must be present and `comment` must stay Nano-free.
 * The `earshot_*` keys (ignored by sherpa) let our engine label transcripts from synthetic weights.
 */
import type { ModelSizeName } from './model-size.js';
import { syntheticCmvn } from './synthetic-cmvn.js';

export const SYNTHETIC_COMMENT = 'Earshot synthetic SenseVoiceSmall (random weights, not a real model)';

/** Keys sherpa-onnx 1.13 requires (it exits the process when one is missing). */
export const SHERPA_REQUIRED_KEYS = [
  'vocab_size',
  'lfr_window_size',
  'lfr_window_shift',
  'normalize_samples',
  'with_itn',
  'without_itn',
  'lang_auto',
  'lang_zh',
  'lang_en',
  'lang_ja',
  'lang_ko',
  'lang_yue',
  'neg_mean',
  'inv_stddev',
] as const;

export interface SherpaMetadataOptions {
  readonly vocabSize: number;
  readonly size: ModelSizeName;
  readonly seed: number;
  readonly generatorVersion: string;
}

/** Ordered key/value pairs for `ModelProto.metadata_props`. */
export function sherpaMetadata(options: SherpaMetadataOptions): [key: string, value: string][] {
  const cmvn = syntheticCmvn();
  return [
    ['model_type', 'sense_voice_ctc'],
    ['version', '2'],
    ['model_author', 'earshot (synthetic weights; architecture of iic/SenseVoiceSmall)'],
    ['maintainer', 'earshot'],
    ['url', 'https://github.com/k2-fsa/sherpa-onnx/tree/master/scripts/sense-voice'],
    ['comment', SYNTHETIC_COMMENT],
    ['vocab_size', String(options.vocabSize)],
    ['lfr_window_size', '7'],
    ['lfr_window_shift', '6'],
    ['normalize_samples', '0'],
    ['with_itn', '14'],
    ['without_itn', '15'],
    ['lang_auto', '0'],
    ['lang_zh', '3'],
    ['lang_en', '4'],
    ['lang_ja', '11'],
    ['lang_ko', '12'],
    ['lang_yue', '7'],
    ['lang_nospeech', '13'],
    ['neg_mean', cmvn.negMean.join(',')],
    ['inv_stddev', cmvn.invStddev.join(',')],
    ['earshot_synthetic', '1'],
    ['earshot_seed', String(options.seed)],
    ['earshot_size', options.size],
    ['earshot_generator_version', options.generatorVersion],
  ];
}
