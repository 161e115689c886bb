import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMOTION_EMOJI, EVENT_EMOJI } from '@earshot/core/decoding/rich-text';
import { CONSOLE_CSP, CONSOLE_DIR, consoleLabels } from './console.js';

describe('console route', () => {
  it('finds the page beside src/ and dist/', () => {
    expect(existsSync(join(CONSOLE_DIR, 'index.html'))).toBe(true);
    expect(existsSync(join(CONSOLE_DIR, 'js', 'main.js'))).toBe(true);
  });

  it('gives every alert-rule label the emoji rich text renders for it', () => {
    const { emotions, events } = consoleLabels();
    expect(emotions.map((e) => e.label)).toEqual(['HAPPY', 'SAD', 'ANGRY', 'NEUTRAL', 'FEARFUL', 'DISGUSTED', 'SURPRISED']);
    for (const { label, emoji } of emotions) expect(emoji).toBe(EMOTION_EMOJI.get(`<|${label}|>`));
    expect(events.find((e) => e.label === 'BGM')?.emoji).toBe('\u{1F3BC}');
    for (const { label, emoji } of events) expect(emoji).toBe(EVENT_EMOJI.get(`<|${label}|>`));
  });

  it('allows nothing inline and nothing from another origin', () => {
    expect(CONSOLE_CSP).not.toMatch(/unsafe-|\*|https?:/);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
  });
});
