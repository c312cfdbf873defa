import { describe, expect, it } from 'vitest';
import { PermanentError, RetryAfterError } from '@k8stream/core';
import { classifySinkError } from '@k8stream/core/testing';
import { classifyGcsError, httpStatusOf } from './index.js';
import { crc32c, crc32cBase64 } from './crc32c.fixture.js';

const where = { sink: 'archive', bucket: 'events', key: 'k/1.ndjson' };

describe('httpStatusOf', () => {
  it('reads ApiError code, gaxios status, response.status and the resumable "status: N" message', () => {
    expect(httpStatusOf(Object.assign(new Error('x'), { code: 404 }))).toBe(404);
    expect(httpStatusOf({ status: 429 })).toBe(429);
    expect(httpStatusOf({ response: { status: 503 } })).toBe(503);
    expect(httpStatusOf(new Error('Retry limit exceeded - status: 503 - {"error":{}}'))).toBe(503);
    expect(httpStatusOf(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBeUndefined();
  });
});

describe('classifyGcsError', () => {
  it('maps statuses to permanent, retry-after and transient, naming the object', () => {
    const forbidden = classifyGcsError(Object.assign(new Error('denied'), { code: 403 }), where);
    expect(forbidden).toBeInstanceOf(PermanentError);
    expect(forbidden.message).toBe('gcs sink "archive": cannot write gs://events/k/1.ndjson: HTTP 403: denied');
    expect(classifySinkError(classifyGcsError({ code: 400, message: 'bad' }, where))).toBe('permanent');
    const slow = classifyGcsError({ code: 429, response: { status: 429, headers: new Headers({ 'retry-after': '4' }) } }, where);
    expect(slow).toBeInstanceOf(RetryAfterError);
    expect((slow as RetryAfterError).retryAfterMs).toBe(4000);
    expect((classifyGcsError({ code: 503, response: { headers: { 'retry-after': '2' } } }, where) as RetryAfterError).retryAfterMs).toBe(2000);
    expect((classifyGcsError({ code: 429, response: { headers: { 'retry-after': 'soon' } } }, where) as RetryAfterError).retryAfterMs).toBe(1000);
    const reset = classifyGcsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), where);
    expect(classifySinkError(reset)).toBe('transient');
    expect(reset).toMatchObject({ code: 'SINK_TRANSIENT', plugin: 'archive', path: 'gs://events/k/1.ndjson' });
    expect(reset.message).toBe('gcs sink "archive": failed to write gs://events/k/1.ndjson: socket hang up');
  });

  it('follows the core table for the statuses GCS used to special-case', () => {
    expect(classifySinkError(classifyGcsError({ code: 401, message: 'Invalid Credentials' }, where))).toBe('permanent');
    expect(classifySinkError(classifyGcsError({ code: 500, message: 'backend' }, where))).toBe('transient');
    expect((classifyGcsError({ code: 500, response: { headers: { 'retry-after': '6' } } }, where) as RetryAfterError).retryAfterMs).toBe(6000);
  });

  it('scrubs tokens out of the message', () => {
    const err = classifyGcsError(Object.assign(new Error('request to https://storage/upload?access_token=ya29.SECRET failed: Bearer ya29.SECRET'), { code: 403 }), where);
    expect(err.message).not.toContain('ya29.SECRET');
    expect(err.message).toContain('access_token=[REDACTED]');
  });
});

describe('crc32c (test server)', () => {
  it('matches the RFC 3720 check value and encodes big-endian base64', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    expect(crc32cBase64(new TextEncoder().encode('123456789'))).toBe(Buffer.from([0xe3, 0x06, 0x92, 0x83]).toString('base64'));
    expect(crc32cBase64(new Uint8Array())).toBe('AAAAAA==');
  });
});
