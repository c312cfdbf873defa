import { describe, expect, it } from 'vitest';
import { K8streamError, PermanentError, RetryAfterError } from '../errors.js';
import { MAX_ERROR_MESSAGE, backoffDelay, canRetry, classifyFailure, retryDelay } from './retry.js';

/** Error classes as a plugin bundling its own copy of the core would define them. */
class ForeignPermanentError extends Error {
  readonly code = 'SINK_PERMANENT';
}
class ForeignThrottle extends Error {
  override readonly name = 'RetryAfterError';
  constructor(readonly retryAfterMs: number) {
    super('slow down');
  }
}

describe('classifyFailure', () => {
  it('recognises the core classes', () => {
    expect(classifyFailure(new PermanentError('access denied to bucket b'))).toEqual({
      kind: 'permanent',
      code: 'SINK_PERMANENT',
      message: 'access denied to bucket b',
    });
    expect(classifyFailure(new RetryAfterError('SlowDown', 1500))).toEqual({
      kind: 'retry-after',
      code: 'SINK_RETRY_AFTER',
      message: 'SlowDown',
      retryAfterMs: 1500,
    });
  });

  it('duck-types errors from another copy of the core, by code or name', () => {
    const foreign = new ForeignPermanentError('bad request');
    expect(foreign instanceof K8streamError).toBe(false);
    expect(classifyFailure(foreign).kind).toBe('permanent');
    expect(classifyFailure(Object.assign(new Error('x'), { name: 'PermanentError' })).kind).toBe('permanent');
    expect(classifyFailure(new ForeignThrottle(250))).toMatchObject({ kind: 'retry-after', retryAfterMs: 250 });
    expect(classifyFailure({ code: 'SINK_RETRY_AFTER', retryAfterMs: 300, message: 'plain object' })).toEqual({
      kind: 'retry-after',
      code: 'SINK_RETRY_AFTER',
      message: 'plain object',
      retryAfterMs: 300,
    });
  });

  it('treats a retry-after without a usable delay as 0', () => {
    expect(classifyFailure({ code: 'SINK_RETRY_AFTER', retryAfterMs: 'soon' }).retryAfterMs).toBe(0);
    expect(classifyFailure({ code: 'SINK_RETRY_AFTER', retryAfterMs: -4 }).retryAfterMs).toBe(0);
  });

  it('marks timeouts from the deadline or the SINK_TIMEOUT code', () => {
    const abort = new DOMException('This operation was aborted', 'AbortError');
    expect(classifyFailure(abort, true)).toEqual({ kind: 'timeout', code: 'SINK_TIMEOUT', message: 'This operation was aborted' });
    expect(classifyFailure(new K8streamError('SINK_TIMEOUT', 'slow')).kind).toBe('timeout');
  });

  it('treats everything else as transient, keeping a string code', () => {
    expect(classifyFailure(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toEqual({
      kind: 'transient',
      code: 'ECONNRESET',
      message: 'socket hang up',
    });
    expect(classifyFailure('just a string')).toEqual({ kind: 'transient', code: 'SINK_TRANSIENT', message: 'just a string' });
    expect(classifyFailure(undefined)).toEqual({ kind: 'transient', code: 'SINK_TRANSIENT', message: 'undefined' });
    expect(classifyFailure({ code: 503 }).code).toBe('SINK_TRANSIENT');
  });

  it('truncates long messages', () => {
    const message = classifyFailure(new Error('x'.repeat(5000))).message;
    expect(message).toHaveLength(MAX_ERROR_MESSAGE);
    expect(message.endsWith('…')).toBe(true);
  });

  it('survives hostile thrown values', () => {
    const hostile = new Proxy(
      {},
      {
        get: () => {
          throw new Error('trap');
        },
      },
    );
    expect(classifyFailure(hostile).kind).toBe('transient');
  });
});

describe('backoff', () => {
  const base = { initialBackoffMs: 100, maxBackoffMs: 1000 };

  it('full jitter: uniform up to an exponentially growing ceiling, capped', () => {
    const top = { ...base, random: () => 0.999999 };
    expect([1, 2, 3, 4, 5, 6].map((r) => backoffDelay(r, 0, top))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(backoffDelay(3, 0, { ...base, random: () => 0.5 })).toBe(200);
    expect(backoffDelay(3, 0, { ...base, random: () => 0 })).toBe(0);
    expect(backoffDelay(5000, 0, top)).toBe(1000);
  });

  it('decorrelated jitter: between initial and 3× the previous delay, capped', () => {
    const opts = { ...base, jitter: 'decorrelated' as const, random: () => 0.999999 };
    expect(backoffDelay(1, 0, opts)).toBe(300);
    expect(backoffDelay(2, 300, opts)).toBe(900);
    expect(backoffDelay(3, 900, opts)).toBe(1000);
    expect(backoffDelay(3, 900, { ...opts, random: () => 0 })).toBe(100);
  });

  it('retry-after waits at least what the sink asked for', () => {
    const throttled = classifyFailure(new RetryAfterError('429', 5000));
    expect(retryDelay(throttled, 1, 0, { ...base, random: () => 0.5 })).toBe(5000);
    const zero = classifyFailure(new RetryAfterError('429', 0));
    expect(retryDelay(zero, 2, 0, { ...base, random: () => 0.5 })).toBe(100);
  });

  it('maxAttempts null retries forever', () => {
    expect(canRetry(1_000_000, null)).toBe(true);
    expect(canRetry(2, 3)).toBe(true);
    expect(canRetry(3, 3)).toBe(false);
  });
});
