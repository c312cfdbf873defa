import { describe, expect, it } from 'vitest';
import { describeRequest, describeTarget, httpError, networkError, statusEventError } from './api-error.js';

describe('describeRequest', () => {
  it.each([
    ['GET', '/api/v1/events', {}, 'list', 'events', 'core/v1', null, null],
    ['GET', '/api/v1/events', { watch: 'true' }, 'watch', 'events', 'core/v1', null, null],
    ['GET', '/api/v1/namespaces/shop/events', { watch: true }, 'watch', 'events', 'core/v1', 'shop', null],
    ['GET', '/apis/events.k8s.io/v1/events', {}, 'list', 'events', 'events.k8s.io/v1', null, null],
    ['GET', '/api/v1/namespaces/shop/pods/web', {}, 'get', 'pods', 'core/v1', 'shop', 'web'],
    ['GET', '/api/v1/nodes/worker-1', {}, 'get', 'nodes', 'core/v1', null, 'worker-1'],
    ['GET', '/api/v1/namespaces/shop', {}, 'get', 'namespaces', 'core/v1', null, 'shop'],
    ['PATCH', '/apis/coordination.k8s.io/v1/namespaces/k/leases/l', {}, 'patch', 'leases', 'coordination.k8s.io/v1', 'k', 'l'],
    ['GET', '/version', {}, 'request', '/version', '', null, null],
  ] as const)('%s %s %j', (method, path, query, verb, resource, groupVersion, namespace, name) => {
    expect(describeRequest(method, path, query)).toEqual({ verb, resource, groupVersion, namespace, name });
  });

  it('names the target for messages', () => {
    expect(describeTarget(describeRequest('GET', '/api/v1/events'))).toBe('events (core/v1) at the cluster scope');
    expect(describeTarget(describeRequest('GET', '/api/v1/namespaces/shop/pods/web'))).toBe('pods "web" (core/v1) in namespace "shop"');
  });
});

describe('errors', () => {
  it('words an HTTP error from the Status body, on one line', () => {
    const body = JSON.stringify({
      kind: 'Status',
      code: 403,
      reason: 'Forbidden',
      message: 'events is forbidden: User "u" cannot list resource "events" in API group "" at the cluster scope',
    });
    const err = httpError(describeRequest('GET', '/api/v1/events'), 403, body, undefined);
    expect(err.message).toBe(
      'cannot list events (core/v1) at the cluster scope: 403 Forbidden — events is forbidden: User "u" cannot list resource "events" in API group "" at the cluster scope',
    );
    expect(err).toMatchObject({ code: 'KUBE_API_FAILED', kind: 'http', status: 403, reason: 'Forbidden', retryAfterMs: null, fatalAtStartup: true });
    expect(err.hint).toContain('grant the verb "list" on "events" in API group ""');
  });

  it('takes Retry-After from the header, else from the Status details', () => {
    const req = describeRequest('GET', '/api/v1/events');
    expect(httpError(req, 429, '{"kind":"Status","reason":"TooManyRequests","details":{"retryAfterSeconds":7}}', '3').retryAfterMs).toBe(3000);
    expect(httpError(req, 429, '{"kind":"Status","reason":"TooManyRequests","details":{"retryAfterSeconds":7}}', undefined).retryAfterMs).toBe(7000);
    expect(httpError(req, 500, 'plain text\nfrom a proxy', undefined).message).toBe(
      'cannot list events (core/v1) at the cluster scope: 500 Internal Server Error — plain text from a proxy',
    );
  });

  it('reads Retry-After by the shared RFC 9110 contract: seconds or an HTTP-date, null when absent or invalid', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    const req = describeRequest('GET', '/api/v1/events');
    expect(httpError(req, 503, '', '2', now).retryAfterMs).toBe(2000);
    expect(httpError(req, 503, '', 'Thu, 01 Jan 2026 00:00:05 GMT', now).retryAfterMs).toBe(5000);
    expect(httpError(req, 503, '', 'soon', now).retryAfterMs).toBeNull();
    expect(httpError(req, 503, '', '0.25', now).retryAfterMs).toBeNull();
    expect(httpError(req, 503, '', undefined, now).retryAfterMs).toBeNull();
    expect(httpError(req, 429, '{"kind":"Status","details":{"retryAfterSeconds":4}}', 'soon', now).retryAfterMs).toBe(4000);
  });

  it('words connection failures naming the server', () => {
    const refused = networkError(
      describeRequest('GET', '/api/v1/events', { watch: 1 }),
      'https://10.0.0.1:6443',
      Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:6443'), { code: 'ECONNREFUSED' }),
    );
    expect(refused.message).toBe('cannot watch events (core/v1) at the cluster scope: cannot connect to https://10.0.0.1:6443 — connection refused (ECONNREFUSED)');
    expect(refused.fatalAtStartup).toBe(true);
    const reset = networkError(describeRequest('GET', '/api/v1/events'), 'https://x', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
    expect(reset.fatalAtStartup).toBe(false);
  });

  it('words an in-stream ERROR', () => {
    const err = statusEventError(describeRequest('GET', '/api/v1/events', { watch: 'true' }), { code: 500, reason: 'InternalError', message: 'etcd\nleader changed' });
    expect(err.message).toBe('cannot watch events (core/v1) at the cluster scope: watch ERROR 500 InternalError — etcd leader changed');
  });
});
