import { describe, expect, it } from 'vitest';
import { AppError } from '../errors/app-error.js';
import { createWebhookEvent, createWebhookEventId } from './event.js';

describe('createWebhookEvent', () => {
  const now = new Date('2025-03-01T12:00:00.000Z');

  it('builds a job.failed payload with only code and message of the error', () => {
    const error = new AppError('AUDIO_CORRUPT', 'bad header', { details: { offset: 4 } }).toJSON();
    const event = createWebhookEvent({ type: 'job.failed', jobId: 'j1', error }, { now });
    expect(event.id).toMatch(/^msg_/);
    expect(event.payload).toEqual({
      type: 'job.failed',
      timestamp: '2025-03-01T12:00:00.000Z',
      data: { jobId: 'j1', status: 'failed', links: {}, metadata: null, error: { code: 'AUDIO_CORRUPT', message: 'bad header' } },
    });
  });

  it('builds a job.alert payload carrying the alerts and the echoed metadata', () => {
    const alerts = [{ kind: 'event.alarm', message: 'alarm sound', startS: 3.2, endS: 4.0 }];
    const event = createWebhookEvent(
      { type: 'job.alert', jobId: 'j2', status: 'processing', alerts, metadata: { room: 'a' }, links: { self: 'https://x.test/v1/jobs/j2' } },
      { now, id: 'msg_fixed' },
    );
    expect(event).toEqual({
      id: 'msg_fixed',
      payload: {
        type: 'job.alert',
        timestamp: '2025-03-01T12:00:00.000Z',
        data: { jobId: 'j2', status: 'processing', alerts, metadata: { room: 'a' }, links: { self: 'https://x.test/v1/jobs/j2' } },
      },
    });
  });

  it('generates distinct ids', () => {
    expect(createWebhookEventId()).not.toBe(createWebhookEventId());
  });
});
