import { describe, expect, it } from 'vitest';
import { K8streamError, PermanentError, RetryAfterError } from '../errors.js';
import { classifySinkError } from '../testing/classify.js';
import { DEFAULT_RETRY_AFTER_MS, classifyHttpStatus, httpStatusClass, sinkError } from './http-status.js';

describe('httpStatusClass', () => {
  it.each([
    [429, false, 'retry-after'],
    [503, false, 'retry-after'],
    [500, false, 'transient'],
    [502, false, 'transient'],
    [504, false, 'transient'],
    [408, false, 'transient'],
    [425, false, 'transient'],
    [500, true, 'retry-after'],
    [408, true, 'retry-after'],
    [400, false, 'permanent'],
    [401, false, 'permanent'],
    [403, false, 'permanent'],
    [404, false, 'permanent'],
    [409, false, 'permanent'],
    [413, false, 'permanent'],
    [404, true, 'permanent'],
    [301, false, 'permanent'],
    [307, false, 'permanent'],
    [200, false, 'transient'],
    [100, false, 'transient'],
    [0, false, 'transient'],
    [600, false, 'transient'],
    [Number.NaN, false, 'transient'],
  ] as const)('%d (Retry-After given: %s) is %s', (status, hasRetryAfter, expected) => {
    expect(httpStatusClass(status, hasRetryAfter)).toBe(expected);
  });
});

describe('classifyHttpStatus', () => {
  const now = Date.UTC(2026, 10, 27, 12, 0, 0);

  it('builds a PermanentError with the caller message, plugin, path and hint', () => {
    const err = classifyHttpStatus(403, { message: 'denied', plugin: 'archive', path: 'gs://b/k', hint: 'grant it' });
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'SINK_PERMANENT', message: 'denied', plugin: 'archive', path: 'gs://b/k', hint: 'grant it' });
    expect(classifySinkError(err)).toBe('permanent');
  });

  it('honours Retry-After (seconds or HTTP-date) on throttling and retryable statuses', () => {
    expect(classifyHttpStatus(429, { retryAfter: '7' })).toMatchObject({ code: 'SINK_RETRY_AFTER', retryAfterMs: 7000 });
    expect(classifyHttpStatus(500, { retryAfter: new Date(now + 90_000).toUTCString(), now })).toMatchObject({ retryAfterMs: 90_000 });
    expect(classifyHttpStatus(503, { retryAfter: 'soon' })).toMatchObject({ retryAfterMs: DEFAULT_RETRY_AFTER_MS });
    expect(classifyHttpStatus(429)).toBeInstanceOf(RetryAfterError);
  });

  it('makes retryable statuses without Retry-After transient (SINK_TRANSIENT),', () => {
    const err = classifyHttpStatus(502, { plugin: 'web' });
    expect(err).toBeInstanceOf(K8streamError);
    expect(err).not.toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ code: 'SINK_TRANSIENT', message: 'HTTP 502 Bad Gateway', plugin: 'web' });
    expect(classifySinkError(err)).toBe('transient');
  });

  it('defaults the message to the status and its reason phrase', () => {
    expect(classifyHttpStatus(404).message).toBe('HTTP 404 Not Found');
    expect(classifyHttpStatus(599).message).toBe('HTTP 599');
  });
});

describe('sinkError', () => {
  it('builds the class the core acts on for each kind', () => {
    expect(classifySinkError(sinkError('permanent', 'x'))).toBe('permanent');
    expect(classifySinkError(sinkError('transient', 'x'))).toBe('transient');
    const throttled = sinkError('retry-after', 'x', { retryAfterMs: 250, cause: new Error('c') });
    expect(throttled).toMatchObject({ retryAfterMs: 250 });
    expect((throttled as Error).cause).toBeInstanceOf(Error);
    expect(sinkError('retry-after', 'x')).toMatchObject({ retryAfterMs: DEFAULT_RETRY_AFTER_MS });
  });
});
