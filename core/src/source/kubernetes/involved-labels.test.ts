import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from '../../../../test/apiserver/src/index.js';
import { clientFor } from './harness.fixture.js';
import { createLabelsLookup, objectPath, pluralOf } from './involved-labels.js';

let server: ApiServerDouble | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('objectPath', () => {
  it.each([
    ['Pod', 'pods'],
    ['Ingress', 'ingresses'],
    ['NetworkPolicy', 'networkpolicies'],
    ['Endpoints', 'endpoints'],
    ['Gateway', 'gateways'],
  ])('%s → %s', (kind, plural) => expect(pluralOf(kind)).toBe(plural));

  it('builds core, grouped and cluster-scoped paths', () => {
    expect(objectPath({ apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web-1', uid: '' })).toBe('/api/v1/namespaces/shop/pods/web-1');
    expect(objectPath({ apiVersion: 'apps/v1', kind: 'Deployment', namespace: 'shop', name: 'web', uid: '' })).toBe('/apis/apps/v1/namespaces/shop/deployments/web');
    expect(objectPath({ apiVersion: '', kind: 'Node', namespace: '', name: 'worker-1', uid: '' })).toBe('/api/v1/nodes/worker-1');
    expect(objectPath({ apiVersion: 'v1', kind: '', namespace: '', name: 'x', uid: '' })).toBeNull();
  });
});

describe('createLabelsLookup', () => {
  it('fetches labels once per object while fresh, and says unknown for missing or recreated objects', async () => {
    const s = (server = await startApiServer());
    const pod = s.store.create('pods', { metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } } }) as { metadata: { uid: string } };
    let now = 0;
    const lookup = createLabelsLookup(clientFor(s), { ttlMs: 1000, now: () => now });
    const ref = { apiVersion: 'v1', kind: 'Pod', namespace: 'shop', name: 'web', uid: pod.metadata.uid };
    const signal = new AbortController().signal;
    const [a, b] = await Promise.all([lookup(ref, signal), lookup(ref, signal)]);
    expect(a).toEqual({ app: 'web' });
    expect(b).toEqual({ app: 'web' });
    expect(await lookup(ref, signal)).toEqual({ app: 'web' });
    expect(s.stats.count({ verb: 'get', resource: 'pods' })).toBe(1);
    now = 1001;
    await lookup(ref, signal);
    expect(s.stats.count({ verb: 'get', resource: 'pods' })).toBe(2);
    expect(await lookup({ ...ref, uid: 'an-older-pod-with-that-name' }, signal)).toBeNull();
    expect(await lookup({ ...ref, name: 'gone' }, signal)).toBeNull();
    expect(lookup.stats).toMatchObject({ notFound: 1, errors: 0 });
  });
});
