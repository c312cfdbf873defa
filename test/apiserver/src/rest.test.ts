import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble, type ApiServerOptions } from './server.js';
import { eventBody, raw } from './test-utils.fixture.js';

let server: ApiServerDouble | undefined;
async function start(o: ApiServerOptions = {}): Promise<ApiServerDouble> {
  server = await startApiServer(o);
  return server;
}
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const LEASES = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';

describe('REST verbs', () => {
  it('creates, gets, updates, patches and deletes over HTTP', async () => {
    const s = await start();
    const created = await raw(s.url, '/api/v1/namespaces/shop/configmaps', {
      method: 'POST',
      body: { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'state', uid: 'client-uid' }, data: { a: '1' } },
    });
    expect(created.status).toBe(201);
    const cm = created.json<{ metadata: Record<string, string> }>();
    expect(cm.metadata).toMatchObject({ name: 'state', namespace: 'shop', resourceVersion: '1' });
    expect(cm.metadata['uid']).not.toBe('client-uid');
    expect((await raw(s.url, '/api/v1/namespaces/shop/configmaps', { method: 'POST', body: { metadata: { name: 'state' } } })).json()).toMatchObject({
      code: 409,
      reason: 'AlreadyExists',
      message: 'configmaps "state" already exists',
    });
    expect((await raw(s.url, '/api/v1/namespaces/shop/configmaps', { method: 'POST', body: { metadata: { name: 'x', resourceVersion: '5' } } })).json()).toMatchObject({
      code: 400,
      message: 'resourceVersion should not be set on objects to be created',
    });
    const got = await raw(s.url, '/api/v1/namespaces/shop/configmaps/state');
    expect(got.json()).toMatchObject({ kind: 'ConfigMap', data: { a: '1' } });
    const put = await raw(s.url, '/api/v1/namespaces/shop/configmaps/state', { method: 'PUT', body: { ...got.json<Record<string, unknown>>(), data: { a: '2' } } });
    expect(put.status).toBe(200);
    expect(put.json()).toMatchObject({ data: { a: '2' }, metadata: { resourceVersion: '2' } });
    const merge = await raw(s.url, '/api/v1/namespaces/shop/configmaps/state', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json' },
      body: { data: { b: '3' } },
    });
    expect(merge.json()).toMatchObject({ data: { a: '2', b: '3' }, metadata: { resourceVersion: '3' } });
    const smp = await raw(s.url, '/api/v1/namespaces/shop/configmaps/state', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/strategic-merge-patch+json' },
      body: { data: { a: null } },
    });
    expect(smp.json()['data']).toEqual({ b: '3' });
    const jp = await raw(s.url, '/api/v1/namespaces/shop/configmaps/state', {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/json-patch+json' },
      body: [{ op: 'add', path: '/data/c', value: '4' }],
    });
    expect(jp.json()['data']).toEqual({ b: '3', c: '4' });
    const apply = await raw(s.url, '/api/v1/namespaces/shop/configmaps/state', { method: 'PATCH', headers: { 'Content-Type': 'application/apply-patch+yaml' }, body: '{}' });
    expect(apply.status).toBe(415);
    const del = await raw(s.url, '/api/v1/namespaces/shop/configmaps/state', { method: 'DELETE' });
    expect(del.status).toBe(200);
    expect(del.json()).toMatchObject({ metadata: { name: 'state', resourceVersion: '6' } });
    expect((await raw(s.url, '/api/v1/namespaces/shop/configmaps/state')).json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'configmaps "state" not found',
      reason: 'NotFound',
      details: { name: 'state', group: '', kind: 'configmaps' },
      code: 404,
    });
  });

  it('gives Leases optimistic concurrency: a stale update gets 409 Conflict', async () => {
    const s = await start();
    const body = { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: 'k8stream' }, spec: { holderIdentity: 'pod-a', leaseDurationSeconds: 15 } };
    const c = await raw(s.url, LEASES, { method: 'POST', body });
    expect(c.status).toBe(201);
    const v1 = c.json<{ metadata: Record<string, string>; spec: Record<string, unknown> }>();
    // Two candidates read the same version; the first write wins.
    const a = await raw(s.url, `${LEASES}/k8stream`, { method: 'PUT', body: { ...v1, spec: { ...v1.spec, holderIdentity: 'pod-b' } } });
    expect(a.status).toBe(200);
    const b = await raw(s.url, `${LEASES}/k8stream`, { method: 'PUT', body: { ...v1, spec: { ...v1.spec, holderIdentity: 'pod-c' } } });
    expect(b.status).toBe(409);
    expect(b.json()).toMatchObject({
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on leases.coordination.k8s.io "k8stream": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'k8stream', group: 'coordination.k8s.io', kind: 'leases' },
    });
    const now = await raw(s.url, `${LEASES}/k8stream`);
    expect(now.json()).toMatchObject({ spec: { holderIdentity: 'pod-b' }, metadata: { resourceVersion: '2', uid: v1.metadata['uid'] } });
    const wrongName = await raw(s.url, `${LEASES}/other`, { method: 'PUT', body: v1 });
    expect(wrongName.json()).toMatchObject({ code: 400, message: 'the name of the object (k8stream) does not match the name on the URL (other)' });
    const del = await raw(s.url, `${LEASES}/k8stream`, { method: 'DELETE', body: { preconditions: { resourceVersion: '1' } } });
    expect(del.status).toBe(409);
  });

  it('handles cluster-scoped resources and unknown paths', async () => {
    const s = await start();
    const n = await raw(s.url, '/api/v1/nodes', { method: 'POST', body: { metadata: { name: 'worker-1' } } });
    expect(n.status).toBe(201);
    expect((await raw(s.url, '/api/v1/nodes/worker-1')).json()).toMatchObject({ kind: 'Node', metadata: { name: 'worker-1' } });
    const ns = await raw(s.url, '/api/v1/namespaces', { method: 'POST', body: { metadata: { name: 'shop' } } });
    expect(ns.status).toBe(201);
    expect((await raw(s.url, '/api/v1/namespaces/shop')).json()).toMatchObject({ kind: 'Namespace', metadata: { name: 'shop' } });
    expect((await raw(s.url, '/api/v1/namespaces/shop/nodes')).status).toBe(404);
    expect((await raw(s.url, '/api/v1/widgets')).json()).toMatchObject({ code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
    expect((await raw(s.url, '/api/v1/events', { method: 'POST', body: eventBody('x') })).status).toBe(405);
    expect((await raw(s.url, '/api/v1/namespaces/x/events', { method: 'DELETE' })).status).toBe(405);
  });
});

describe('auth', () => {
  it('requires the bearer token (401) but lets /version through', async () => {
    const s = await start({ token: 's3cret' });
    expect((await raw(s.url, '/version')).status).toBe(200);
    const missing = await raw(s.url, '/api/v1/events');
    expect(missing.status).toBe(401);
    expect(missing.json()).toEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 });
    expect((await raw(s.url, '/api', { token: 'wrong' })).status).toBe(401);
    expect((await raw(s.url, '/api/v1/events', { token: 's3cret' })).status).toBe(200);
    expect(s.stats.count({ code: 401 })).toBe(2);
  });

  it('denies with 403 worded like the real server', async () => {
    const s = await start({ token: 't', user: 'system:serviceaccount:k8stream:k8stream' });
    const lift = s.rbac.deny({ verb: 'list', resource: 'events' });
    s.rbac.deny({ verb: ['get', 'update'], resource: 'leases', namespace: 'kube-system' });
    const r = await raw(s.url, '/api/v1/events', { token: 't' });
    expect(r.status).toBe(403);
    expect(r.json()).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'events is forbidden: User "system:serviceaccount:k8stream:k8stream" cannot list resource "events" in API group "" at the cluster scope',
      reason: 'Forbidden',
      details: { group: '', kind: 'events' },
      code: 403,
    });
    expect((await raw(s.url, '/api/v1/namespaces/shop/events', { token: 't' })).json()['message']).toBe(
      'events is forbidden: User "system:serviceaccount:k8stream:k8stream" cannot list resource "events" in API group "" in the namespace "shop"',
    );
    expect((await raw(s.url, `${LEASES}/leader`, { token: 't' })).json()['message']).toBe(
      'leases.coordination.k8s.io "leader" is forbidden: User "system:serviceaccount:k8stream:k8stream" cannot get resource "leases" in API group "coordination.k8s.io" in the namespace "kube-system"',
    );
    // watch is a separate verb
    expect((await raw(s.url, '/api/v1/events?watch=true&timeoutSeconds=0.05', { token: 't' })).status).toBe(200);
    lift();
    expect((await raw(s.url, '/api/v1/events', { token: 't' })).status).toBe(200);
  });
});

describe('discovery and Table output', () => {
  it('serves /version, /api, /api/v1, /apis and group versions', async () => {
    const s = await start({ version: 'v1.31.4' });
    expect((await raw(s.url, '/version')).json()).toMatchObject({ major: '1', minor: '31', gitVersion: 'v1.31.4' });
    expect((await raw(s.url, '/api')).json()).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });
    const core = (await raw(s.url, '/api/v1')).json<{ groupVersion: string; resources: { name: string; namespaced: boolean; kind: string; verbs: string[] }[] }>();
    expect(core.groupVersion).toBe('v1');
    expect(core.resources.map((r) => r.name)).toEqual(['events', 'pods', 'services', 'endpoints', 'nodes', 'namespaces', 'configmaps']);
    expect(core.resources.find((r) => r.name === 'nodes')).toMatchObject({
      namespaced: false,
      kind: 'Node',
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
    });
    const groups = (await raw(s.url, '/apis')).json<{ groups: { name: string; preferredVersion: { groupVersion: string } }[] }>();
    expect(groups.groups.map((g) => g.preferredVersion.groupVersion)).toEqual(['apps/v1', 'batch/v1', 'events.k8s.io/v1', 'coordination.k8s.io/v1']);
    expect((await raw(s.url, '/apis/coordination.k8s.io')).json()).toMatchObject({ kind: 'APIGroup', name: 'coordination.k8s.io' });
    const ev = (await raw(s.url, '/apis/events.k8s.io/v1')).json<{ resources: { name: string; kind: string }[] }>();
    expect(ev.resources).toEqual([{ name: 'events', singularName: 'event', namespaced: true, kind: 'Event', verbs: expect.any(Array), shortNames: ['ev'] }]);
    expect((await raw(s.url, '/apis/nope.k8s.io/v1')).status).toBe(404);
    expect((await raw(s.url, '/openapi/v2')).status).toBe(404);
  });

  it('serves a meta.k8s.io/v1 Table for events when asked through Accept', async () => {
    const now = new Date('2026-01-01T00:10:00Z');
    const s = await start({ now: () => now });
    s.store.create('events', eventBody('a', 'shop', { type: 'Warning', reason: 'BackOff', message: 'Back-off restarting', count: 4 }));
    const accept = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    const t = await raw(s.url, '/api/v1/events?limit=500', { headers: { Accept: accept } });
    const table = t.json<{
      kind: string;
      apiVersion: string;
      columnDefinitions: { name: string; priority: number }[];
      rows: { cells: unknown[]; object: Record<string, unknown> }[];
      metadata: Record<string, unknown>;
    }>();
    expect(table.kind).toBe('Table');
    expect(table.apiVersion).toBe('meta.k8s.io/v1');
    expect(table.metadata).toEqual({ resourceVersion: '1' });
    expect(table.columnDefinitions.filter((c) => c.priority === 0).map((c) => c.name)).toEqual(['Last Seen', 'Type', 'Reason', 'Object', 'Message']);
    expect(table.rows[0]!.cells).toEqual(['10m', 'Warning', 'BackOff', 'pod/pod-a', '', 'kubelet, worker-1', 'Back-off restarting', '10m', '4', 'a']);
    expect(table.rows[0]!.object).toMatchObject({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'a', namespace: 'shop' } });
    const pods = await raw(s.url, '/api/v1/pods', { headers: { Accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io' } });
    expect(pods.json()).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1beta1', rows: [] });
    const proto = await raw(s.url, '/api/v1/pods', { headers: { Accept: 'application/vnd.kubernetes.protobuf' } });
    expect(proto.status).toBe(406);
  });
});
