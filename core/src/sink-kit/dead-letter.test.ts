import { describe, expect, it, vi } from 'vitest';
import { K8streamError } from '../errors.js';
import { deadLetterError, deadLetterRecord } from './dead-letter.js';

describe('deadLetterRecord', () => {
  const record = { schema: 'k8stream.event/v1', id: 'u1:7' };

  it('builds exactly the deadletter/v1 fields, in order, keeping only code and message of the error', () => {
    const failure = { kind: 'permanent', code: 'SINK_PERMANENT', message: 'rejected', retryAfterMs: 5 };
    const letter = deadLetterRecord({ stage: 'sink', component: 'archive', id: 'u1:7', error: failure, record, time: '2026-11-27T12:00:00.000Z' });
    expect(letter).toStrictEqual({
      schema: 'k8stream.deadletter/v1',
      id: 'u1:7',
      time: '2026-11-27T12:00:00.000Z',
      stage: 'sink',
      component: 'archive',
      error: { code: 'SINK_PERMANENT', message: 'rejected' },
      record,
    });
    expect(Object.keys(letter)).toEqual(['schema', 'id', 'time', 'stage', 'component', 'error', 'record']);
    expect(letter.record).toBe(record);
  });

  it('stamps the current time when none is given', () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 2, 3, 4, 5) });
    try {
      expect(deadLetterRecord({ stage: 'transform', component: 'redact', id: 'x', error: { code: 'TRANSFORM_TRAP', message: 'm' }, record }).time).toBe('2026-01-02T03:04:05.000Z');
    } finally {
      vi.useRealTimers();
    }
  });

  it('scrubs secrets out of the error message', () => {
    const letter = deadLetterRecord({
      stage: 'sink',
      component: 'web',
      id: 'x',
      error: { code: 'SINK_PERMANENT', message: 'POST https://u:hunter2@h/x answered 401: Bearer abc.def' },
      record,
    });
    expect(letter.error.message).toBe('POST https://u:[REDACTED]@h/x answered 401: Bearer [REDACTED]');
  });
});

describe('deadLetterError', () => {
  it('takes the code of a K8streamError, else the fallback, and the message', () => {
    expect(deadLetterError(new K8streamError('SOURCE_INPUT_INVALID', 'bad'), 'EVENT_INVALID')).toEqual({ code: 'SOURCE_INPUT_INVALID', message: 'bad' });
    expect(deadLetterError(new TypeError('boom'), 'EVENT_INVALID')).toEqual({ code: 'EVENT_INVALID', message: 'boom' });
    expect(deadLetterError('text', 'INTERNAL')).toEqual({ code: 'INTERNAL', message: 'text' });
  });
});
