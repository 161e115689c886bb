import { describe, expect, it } from 'vitest';
import { modelNameOf } from './model-metadata.js';

describe('modelNameOf', () => {
  it('is the comment metadata, else SenseVoice', () => {
    expect(modelNameOf({ comment: 'iic/SenseVoiceSmall' })).toBe('iic/SenseVoiceSmall');
    expect(modelNameOf({ comment: '' })).toBe('SenseVoice');
  });
});
