import { describe, expect, it } from 'vitest';
import { classifySdkError, describeSdkError, parseRetryAfter, redact, toSendError } from './errors.js';

/** An error shaped like the SDK's ServiceException. */
function sdkError(name: string, status: number, message = name): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

describe('s3 error classification', () => {
  it.each([
    ['SlowDown', 503, 'retry-after'],
    ['ServiceUnavailable', 503, 'retry-after'],
    ['TooManyRequestsException', 429, 'retry-after'],
    ['Unknown', 503, 'retry-after'],
    ['AccessDenied', 403, 'permanent'],
    ['NoSuchBucket', 404, 'permanent'],
    ['NotFound', 404, 'permanent'],
    ['InvalidAccessKeyId', 403, 'permanent'],
    ['SignatureDoesNotMatch', 403, 'permanent'],
    ['PermanentRedirect', 301, 'permanent'],
    ['AuthorizationHeaderMalformed', 400, 'permanent'],
    ['KMS.NotFoundException', 400, 'permanent'],
    ['RequestTimeout', 400, 'transient'],
    ['ExpiredToken', 400, 'transient'],
    ['InternalError', 500, 'transient'],
  ] as const)('%s (HTTP %d) is %s', (name, status, expected) => {
    expect(classifySdkError(sdkError(name, status))).toBe(expected);
  });

  it('network errors are transient', () => {
    expect(classifySdkError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe('transient');
  });

  it('transient errors are passed through unchanged', () => {
    const err = sdkError('InternalError', 500);
    expect(toSendError(err, { sink: 's', where: 's3://b/k' })).toBe(err);
  });

  it('throttling without Retry-After waits the default', () => {
    expect(toSendError(sdkError('SlowDown', 503), { sink: 's', where: 's3://b/k' })).toMatchObject({ retryAfterMs: 1000 });
  });
});

describe('s3 error messages', () => {
  it('parses Retry-After seconds and dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.5')).toBe(500);
    expect(parseRetryAfter('Fri, 27 Nov 2026 12:00:10 GMT', Date.parse('2026-11-27T12:00:00Z'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });

  it('redacts access key ids and known secrets', () => {
    expect(redact('key AKIAIOSFODNN7EXAMPLE and ASIAXXXXXXXXXXXXXXXX, secret s3cr3t!', ['s3cr3t!'])).toBe(
      'key [redacted] and [redacted], secret [redacted]',
    );
  });

  it('describes an error by code, status and message', () => {
    expect(describeSdkError(sdkError('AccessDenied', 403, 'Access Denied'))).toBe('AccessDenied (HTTP 403): Access Denied');
    expect(describeSdkError(sdkError('Unknown', 403, 'UnknownError'))).toBe('HTTP 403');
    expect(describeSdkError(new Error('socket hang up'))).toBe('socket hang up');
  });
});
