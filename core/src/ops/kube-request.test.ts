import { describe, expect, it } from 'vitest';
import { kubeRequestLabels } from './kube-request.js';

const labels = (method: string, path: string, query: Record<string, string | number | boolean | undefined> = {}, status: number | null = 200) =>
  kubeRequestLabels({ method, path, query, status });

describe('kubeRequestLabels', () => {
  it.each([
    ['GET', '/api/v1/events', {}, 'list', 'events'],
    ['GET', '/api/v1/namespaces/shop/events', { limit: 500 }, 'list', 'events'],
    ['GET', '/api/v1/events', { watch: true }, 'watch', 'events'],
    ['GET', '/api/v1/namespaces/shop/events', { watch: '1' }, 'watch', 'events'],
    ['GET', '/api/v1/watch/namespaces/shop/events', {}, 'watch', 'events'],
    ['GET', '/apis/events.k8s.io/v1/events', { watch: 'true' }, 'watch', 'events'],
    ['GET', '/api/v1/namespaces/shop/pods/web-1', {}, 'get', 'pods'],
    ['GET', '/api/v1/nodes/node-a', {}, 'get', 'nodes'],
    ['GET', '/api/v1/namespaces', {}, 'list', 'namespaces'],
    ['GET', '/api/v1/namespaces/shop', {}, 'get', 'namespaces'],
    ['GET', '/apis/apps/v1/namespaces/shop/replicasets/web-abc', {}, 'get', 'replicasets'],
    ['POST', '/apis/coordination.k8s.io/v1/namespaces/k8stream/leases', {}, 'create', 'leases'],
    ['PUT', '/apis/coordination.k8s.io/v1/namespaces/k8stream/leases/k8stream', {}, 'update', 'leases'],
    ['PATCH', '/api/v1/namespaces/shop/pods/web-1/status', {}, 'update', 'pods'],
    ['DELETE', '/api/v1/namespaces/shop/pods/web-1', {}, 'delete', 'pods'],
    ['GET', '/version', {}, 'list', 'other'],
  ] as const)('%s %s %j → %s %s', (method, path, query, verb, resource) => {
    expect(labels(method, path, query)).toEqual({ verb, resource, code: '200' });
  });

  it('codes: the HTTP status, or "error" without an answer', () => {
    expect(labels('GET', '/api/v1/events', {}, 410).code).toBe('410');
    expect(labels('GET', '/api/v1/events', {}, null).code).toBe('error');
  });

  it('never turns a name into the resource label', () => {
    expect(labels('GET', '/api/v1/namespaces/shop/pods/Web_1!').resource).toBe('pods');
    expect(labels('GET', '/api/v1/Weird_Thing').resource).toBe('other');
  });
});
