import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { createReleaseStack } from './release-stack.js';

const logger = pino({ level: 'silent' });

describe('createReleaseStack', () => {
  it('releases newest first, keeps going past a failing releaser, and refuses a second release', async () => {
    const order: string[] = [];
    const stack = createReleaseStack(logger);
    stack.push('redis', () => void order.push('redis'));
    stack.push('engine', () => {
      order.push('engine');
      throw new Error('boom');
    });
    stack.push('worker', async () => void order.push('worker'));
    expect(await stack.release()).toBe(false); // one releaser failed
    expect(order).toEqual(['worker', 'engine', 'redis']);
    await expect(stack.release()).rejects.toThrow(/twice/);
    expect(() => stack.push('late', () => {})).toThrow(/already released/);
  });
});

describe('createReleaseStack: all well', () => {
  it('resolves to true when every releaser succeeded', async () => {
    const stack = createReleaseStack(logger);
    stack.push('a', () => undefined);
    expect(await stack.release()).toBe(true);
  });
});
