import { describe, expect, it } from 'vitest';
import { ApiError } from './status.js';
import { Store } from './store.js';
import { eventBody } from './test-utils.fixture.js';

const fixed = (): Date => new Date('2026-03-01T12:00:00.000Z');

function apiError(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error('expected an ApiError');
}

describe('Store', () => {
  it('assigns one global, increasing resourceVersion across resources', () => {
    const s = new Store({ now: fixed });
    const a = s.create('events', eventBody('a'));
    const p = s.create('pods', { metadata: { name: 'web', namespace: 'shop' } });
    const n = s.create('nodes', { metadata: { name: 'worker-1', namespace: 'ignored' } });
    expect([a, p, n].map((o) => o.metadata?.['resourceVersion'])).toEqual(['1', '2', '3']);
    expect(s.resourceVersion).toBe(3);
    expect(p).toMatchObject({ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'web', namespace: 'shop', creationTimestamp: '2026-03-01T12:00:00Z' } });
    expect(p.metadata?.['uid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(n.metadata).not.toHaveProperty('namespace');
    expect(s.create('leases', { metadata: { name: 'l', namespace: 'kube-system' } })).toMatchObject({ kind: 'Lease', apiVersion: 'coordination.k8s.io/v1' });
  });

  it('rejects duplicates with 409 AlreadyExists and a missing name with 422', () => {
    const s = new Store();
    s.create('pods', { metadata: { name: 'web', namespace: 'shop' } });
    const dup = apiError(() => s.create('pods', { metadata: { name: 'web', namespace: 'shop' } }));
    expect(dup.status).toMatchObject({ code: 409, reason: 'AlreadyExists', message: 'pods "web" already exists' });
    const noName = apiError(() => s.create('pods', { metadata: { namespace: 'shop' } }));
    expect(noName.status.code).toBe(422);
    expect(noName.status.reason).toBe('Invalid');
    const gen = s.create('pods', { metadata: { generateName: 'job-', namespace: 'shop' } });
    expect(gen.metadata?.['name']).toMatch(/^job-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  });

  it('updates with optimistic concurrency on metadata.resourceVersion', () => {
    const s = new Store();
    const lease = s.create('leases', { metadata: { name: 'leader', namespace: 'kube-system' }, spec: { holderIdentity: 'a' } });
    const v1 = s.update('leases', { ...lease, spec: { holderIdentity: 'b' } });
    expect(v1.metadata?.['resourceVersion']).toBe('2');
    expect(v1.metadata?.['uid']).toBe(lease.metadata?.['uid']);
    // A writer still holding the first version loses.
    const stale = apiError(() => s.update('leases', { ...lease, spec: { holderIdentity: 'c' } }));
    expect(stale.status).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Operation cannot be fulfilled on leases.coordination.k8s.io "leader": the object has been modified; please apply your changes to the latest version and try again',
    });
    // No resourceVersion: unconditional.
    const { resourceVersion: _rv, ...meta } = v1.metadata ?? {};
    expect(s.update('leases', { ...v1, metadata: meta, spec: { holderIdentity: 'd' } })).toMatchObject({ spec: { holderIdentity: 'd' }, metadata: { resourceVersion: '3' } });
    expect(apiError(() => s.update('leases', { metadata: { name: 'nope', namespace: 'kube-system' } })).status.code).toBe(404);
  });

  it('merge-patches and JSON-patches, with a resourceVersion precondition in the patch', () => {
    const s = new Store();
    s.create('configmaps', { metadata: { name: 'state', namespace: 'k8stream', labels: { a: '1', b: '2' } }, data: { rv: '10' } });
    const p = s.patch('configmaps', 'k8stream/state', { metadata: { labels: { b: null, c: '3' } }, data: { rv: '20' } });
    expect(p).toMatchObject({ metadata: { labels: { a: '1', c: '3' }, resourceVersion: '2' }, data: { rv: '20' } });
    expect((p.metadata?.['labels'] as Record<string, string>)['b']).toBeUndefined();
    const j = s.patch(
      'configmaps',
      'k8stream/state',
      [
        { op: 'replace', path: '/data/rv', value: '30' },
        { op: 'add', path: '/data/x', value: 'y' },
      ],
      'json',
    );
    expect(j['data']).toEqual({ rv: '30', x: 'y' });
    expect(apiError(() => s.patch('configmaps', 'k8stream/state', { metadata: { resourceVersion: '2' }, data: { rv: '40' } })).status.reason).toBe('Conflict');
    expect(s.patch('configmaps', 'k8stream/state', { metadata: { resourceVersion: '3' }, data: { rv: '40' } })['data']).toEqual({ rv: '40', x: 'y' });
  });

  it('deletes with the deletion revision, honouring preconditions', () => {
    const s = new Store();
    const p = s.create('pods', { metadata: { name: 'web', namespace: 'shop' } });
    expect(apiError(() => s.delete('pods', 'shop/web', { uid: 'other' })).status.code).toBe(409);
    const d = s.delete('pods', { namespace: 'shop', name: 'web' }, { uid: String(p.metadata?.['uid']) });
    expect(d.metadata?.['resourceVersion']).toBe('2');
    expect(apiError(() => s.get('pods', 'shop/web')).status).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "web" not found' });
    expect(s.count('pods')).toBe(0);
  });

  it('keeps history for replay and rebuilds snapshots at older revisions', () => {
    const s = new Store();
    s.create('events', eventBody('a')); // 1
    s.create('events', eventBody('b')); // 2
    s.create('pods', { metadata: { name: 'p', namespace: 'default' } }); // 3
    const b = s.get('events', 'default/b');
    s.update('events', { ...b, count: 2 }); // 4
    s.delete('events', 'default/a'); // 5
    s.create('events', eventBody('c')); // 6
    expect(s.changesSince('events', 2).map((c) => [c.rv, c.type, c.key])).toEqual([
      [4, 'MODIFIED', 'default/b'],
      [5, 'DELETED', 'default/a'],
      [6, 'ADDED', 'default/c'],
    ]);
    const at3 = s.snapshot('events', 3);
    expect(at3.map((o) => [o.key, o.rv])).toEqual([
      ['default/a', 1],
      ['default/b', 2],
    ]);
    expect(s.snapshot('events', 6).map((o) => [o.key, o.rv])).toEqual([
      ['default/b', 4],
      ['default/c', 6],
    ]);
    expect(s.snapshot('events', 0)).toEqual([]);
  });

  it('compacts explicitly and automatically; older revisions then give 410 Expired', () => {
    const s = new Store({ compactionWindow: 3 });
    for (let i = 0; i < 5; i++) s.create('events', eventBody(`e${i}`));
    expect(s.compactedRevision).toBe(2);
    expect(s.changesSince('events', 2).map((c) => c.rv)).toEqual([3, 4, 5]);
    expect(apiError(() => s.changesSince('events', 1)).status).toMatchObject({ code: 410, reason: 'Expired', message: 'too old resource version: 1 (2)' });
    s.compact(4);
    expect(s.compactedRevision).toBe(4);
    expect(apiError(() => s.snapshot('events', 3)).status.code).toBe(410);
    s.compact();
    expect(s.compactedRevision).toBe(5);
    expect(s.changesSince('events', 5)).toEqual([]);
  });

  it('serves core events as events.k8s.io/v1 from the same storage, and accepts them back', () => {
    const s = new Store();
    s.create('events', eventBody('a', 'shop', { reportingComponent: 'kubelet', reportingInstance: 'worker-1' }));
    const v1 = s.get('events.events.k8s.io', 'shop/a');
    expect(v1).toMatchObject({
      kind: 'Event',
      apiVersion: 'events.k8s.io/v1',
      regarding: { kind: 'Pod', name: 'pod-a' },
      note: 'Started container a',
      deprecatedCount: 1,
      deprecatedSource: { component: 'kubelet', host: 'worker-1' },
      deprecatedFirstTimestamp: '2026-01-01T00:00:00Z',
      reportingController: 'kubelet',
      reportingInstance: 'worker-1',
      eventTime: null,
    });
    expect(v1).not.toHaveProperty('involvedObject');
    s.create('events.events.k8s.io', {
      metadata: { name: 'b', namespace: 'shop' },
      eventTime: '2026-01-01T00:00:00.000000Z',
      regarding: { kind: 'Node', name: 'worker-2' },
      note: 'hello',
      reason: 'NodeNotReady',
      type: 'Normal',
      reportingController: 'node-controller',
      reportingInstance: 'cp-1',
      action: 'Update',
    });
    expect(s.get('events', 'shop/b')).toMatchObject({
      apiVersion: 'v1',
      involvedObject: { kind: 'Node', name: 'worker-2' },
      message: 'hello',
      reportingComponent: 'node-controller',
    });
    expect(s.list('events').items.map((e) => e.metadata?.['name'])).toEqual(['a', 'b']);
  });

  it('returns copies: mutating a result does not change the store', () => {
    const s = new Store();
    const p = s.create('pods', { metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' } } });
    (p.metadata?.['labels'] as Record<string, string>)['app'] = 'changed';
    expect(s.get('pods', 'shop/web').metadata?.['labels']).toEqual({ app: 'web' });
  });

  it('holds change notifications until released, in commit order, while reads see the writes at once', () => {
    const s = new Store();
    const seen: string[] = [];
    s.subscribe('events', (c) => seen.push(`${c.type} ${c.key} ${c.rv}`));
    s.holdNotifications();
    s.create('events', eventBody('a'));
    s.create('events', eventBody('b'));
    s.create('events', eventBody('c'));
    expect(seen).toEqual([]);
    expect(s.count('events')).toBe(3);
    expect(s.releaseHeld(2)).toBe(1);
    expect(seen).toEqual(['ADDED default/a 1', 'ADDED default/b 2']);
    expect(s.releaseHeld()).toBe(0);
    s.create('events', eventBody('d'));
    expect(seen).toEqual(['ADDED default/a 1', 'ADDED default/b 2', 'ADDED default/c 3', 'ADDED default/d 4']);
  });
});
