import { describe, expect, it } from 'vitest';
import { classifySinkError } from '@k8stream/core/testing';
import { classifySdkError, describeSdkError, toSendError } from './errors.js';

/** An error shaped like the SDK's ServiceException. */
function sdkError(name: string, status: number, message = name, headers: Record<string, string> = {}): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $response: { statusCode: status, headers } });
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
    ['RequestTimeTooSkewed', 403, 'transient'],
    ['OperationAborted', 409, 'transient'],
    ['InternalError', 500, 'transient'],
    ['Unknown', 500, 'transient'],
    ['Unknown', 429, 'retry-after'],
    ['Unknown', 405, 'permanent'],
    ['Unknown', 411, 'permanent'],
    ['Unknown', 301, 'permanent'],
  ] as const)('%s (HTTP %d) is %s', (name, status, expected) => {
    expect(classifySdkError(sdkError(name, status))).toBe(expected);
  });

  it('network errors are transient', () => {
    expect(classifySdkError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }))).toBe('transient');
  });

  it('5xx with Retry-After retries after it (the core table)', () => {
    expect(classifySdkError(sdkError('InternalError', 500, 'x', { 'retry-after': '4' }))).toBe('retry-after');
    expect(toSendError(sdkError('InternalError', 500, 'x', { 'retry-after': '4' }), { sink: 's', where: 's3://b/k' })).toMatchObject({ retryAfterMs: 4000 });
  });

  it('transient errors become SINK_TRANSIENT naming the sink and object, without the SDK error', () => {
    const err = toSendError(sdkError('InternalError', 500, 'We encountered an internal error.'), { sink: 'archive', where: 's3://b/k' });
    expect(classifySinkError(err)).toBe('transient');
    expect(err).toMatchObject({ code: 'SINK_TRANSIENT', plugin: 'archive', path: 's3://b/k' });
    expect(err.cause).toBeUndefined();
    expect(err.message).toBe('s3 sink "archive": failed to write s3://b/k: InternalError (HTTP 500): We encountered an internal error.');
  });

  it('throttling without Retry-After waits the default', () => {
    expect(toSendError(sdkError('SlowDown', 503), { sink: 's', where: 's3://b/k' })).toMatchObject({ retryAfterMs: 1000 });
    expect(toSendError(sdkError('SlowDown', 503, 'x', { 'retry-after': '3' }), { sink: 's', where: 's3://b/k' })).toMatchObject({ retryAfterMs: 3000 });
  });
});

describe('s3 error messages', () => {
  it('redacts access key ids and the credentials in use from messages', () => {
    const err = sdkError('AccessDenied', 403, 'key AKIAIOSFODNN7EXAMPLE and ASIAXXXXXXXXXXXXXXXX, secret s3cr3t!');
    expect(describeSdkError(err, ['s3cr3t!'])).toBe('AccessDenied (HTTP 403): key [REDACTED] and [REDACTED], secret [REDACTED]');
    const sent = toSendError(err, { sink: 's', where: 's3://b/k', secrets: ['s3cr3t!'] });
    expect(sent.message).not.toMatch(/AKIA|ASIA|s3cr3t/);
  });

  it('describes an error by code, status and message', () => {
    expect(describeSdkError(sdkError('AccessDenied', 403, 'Access Denied'))).toBe('AccessDenied (HTTP 403): Access Denied');
    expect(describeSdkError(sdkError('Unknown', 403, 'UnknownError'))).toBe('HTTP 403');
    expect(describeSdkError(new Error('socket hang up'))).toBe('socket hang up');
  });
});
