import { describe, expect, it } from 'vitest';
import { describeRequest, httpError, networkError, protocolError, statusEventError, timeoutError } from './api-error.js';
import { failureReason, retryClassOf } from './failure.js';

const req = describeRequest('GET', '/api/v1/events', { watch: 'true' });

describe('failureReason', () => {
  it('names every kind of failure, and its retry class', () => {
    const cases: [unknown, string, string][] = [
      [httpError(req, 429, '', '3'), 'throttled', 'throttled'],
      [httpError(req, 410, '{"kind":"Status","reason":"Expired"}', undefined), 'expired', 'expired'],
      [statusEventError(req, { code: 410, reason: 'Expired' }), 'expired', 'expired'],
      [httpError(req, 500, '', undefined), 'server_error', 'failure'],
      [statusEventError(req, { code: 503, reason: 'ServiceUnavailable' }), 'server_error', 'failure'],
      [httpError(req, 403, '', undefined), 'client_error', 'failure'],
      [networkError(req, 'https://k', Object.assign(new Error('x'), { code: 'ECONNRESET' })), 'reset', 'failure'],
      [timeoutError(req, 'https://k', 1000, 'data'), 'stall', 'failure'],
      [protocolError(req, 200, 'not JSON'), 'invalid', 'failure'],
      [new Error('something else'), 'other', 'failure'],
    ];
    for (const [err, reason, cls] of cases) {
      const r = failureReason(err);
      expect(r, String(err)).toBe(reason);
      expect(retryClassOf(r)).toBe(cls);
    }
  });
});
