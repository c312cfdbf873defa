import { describe, expect, it } from 'vitest';
import { K8streamError } from '../errors.js';
import { describeLookupError } from './lookup-error.js';

const withStatus = (status: number, message = 'x') => Object.assign(new K8streamError('SOURCE_FAILED', message), { status });

describe('describeLookupError', () => {
  it('names HTTP failures by status only (never the response body)', () => {
    expect(describeLookupError(withStatus(404, 'pods "web-1" not found'))).toBe('not found (404)');
    expect(describeLookupError(withStatus(403, 'User "system:serviceaccount:k8stream:k8stream" cannot get'))).toBe('forbidden (403)');
    expect(describeLookupError(withStatus(401))).toBe('unauthorized (401)');
    expect(describeLookupError(withStatus(429))).toBe('throttled (429)');
    expect(describeLookupError(withStatus(503))).toBe('unavailable (503)');
    expect(describeLookupError(withStatus(507))).toBe('server error (507)');
    expect(describeLookupError(withStatus(418))).toBe('HTTP 418');
  });

  it('aborts and timeouts', () => {
    expect(describeLookupError(new DOMException('The operation was aborted', 'AbortError'))).toBe('aborted');
    expect(describeLookupError(Object.assign(new Error('t'), { name: 'TimeoutError' }))).toBe('aborted');
  });

  it('other failures: first line, redacted, bounded', () => {
    expect(describeLookupError(new Error('connect ECONNREFUSED 127.0.0.1:6443\n    at stack'))).toBe('failed: connect ECONNREFUSED 127.0.0.1:6443');
    expect(describeLookupError(new Error('bad header Authorization: Bearer abc.def.ghi'))).toBe('failed: bad header Authorization: Bearer [REDACTED]');
    expect(describeLookupError(new Error('GET https://admin:hunter2@api.example:6443/api?token=abc&x=1'))).toBe(
      'failed: GET https://admin:[REDACTED]@api.example:6443/api?token=[REDACTED]&x=1',
    );
    expect(describeLookupError(new Error('password: "p4ss" secret=s3 api_key=k'))).toBe('failed: password: "[REDACTED]" secret=[REDACTED] api_key=[REDACTED]');
    expect(describeLookupError('x'.repeat(300))).toBe(`failed: ${'x'.repeat(200)}…`);
  });
});
