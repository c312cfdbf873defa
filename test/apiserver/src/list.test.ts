import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from './server.js';
import { eventBody, raw } from './test-utils.fixture.js';

interface ListBody {
  kind: string;
  apiVersion: string;
  metadata: { resourceVersion: string; continue?: string; remainingItemCount?: number };
  items: { metadata: { name: string; namespace?: string; resourceVersion: string } }[];
}

let server: ApiServerDouble;
beforeEach(async () => {
  server = await startApiServer();
});
afterEach(async () => {
  await server.close();
});

async function list(path: string): Promise<ListBody> {
  const r = await raw(server.url, path);
  expect(r.status, r.body).toBe(200);
  return r.json<ListBody>();
}

describe('list', () => {
  it('pages with limit/continue over a consistent snapshot while writes happen', async () => {
    for (let i = 0; i < 7; i++) server.store.create('events', eventBody(`e${i}`, i % 2 === 0 ? 'a' : 'b'));
    const first = await list('/api/v1/events?limit=3');
    expect(first.kind).toBe('EventList');
    expect(first.apiVersion).toBe('v1');
    expect(first.metadata.resourceVersion).toBe('7');
    expect(first.metadata.remainingItemCount).toBe(4);
    expect(first.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['a/e0', 'a/e2', 'a/e4']);

    // Writes between pages must not show up in the paginated list.
    server.store.create('events', eventBody('e7', 'a'));
    server.store.delete('events', 'b/e5');
    server.store.patch('events', 'b/e3', { count: 5 });

    const names: string[] = first.items.map((i) => i.metadata.name);
    let token = first.metadata.continue;
    let pages = 1;
    while (token !== undefined) {
      const page = await list(`/api/v1/events?limit=3&continue=${encodeURIComponent(token)}`);
      expect(page.metadata.resourceVersion).toBe('7');
      names.push(...page.items.map((i) => i.metadata.name));
      token = page.metadata.continue;
      pages++;
    }
    expect(pages).toBe(3);
    expect(names).toEqual(['e0', 'e2', 'e4', 'e6', 'e1', 'e3', 'e5']);
    const all = await list('/api/v1/events');
    expect(all.metadata.resourceVersion).toBe('10');
    expect(all.metadata.continue).toBeUndefined();
    expect(all.items.map((i) => i.metadata.name)).toEqual(['e0', 'e2', 'e4', 'e6', 'e7', 'e1', 'e3']);
  });

  it('lists one namespace and pages within it', async () => {
    for (const ns of ['a', 'a-b', 'b']) for (let i = 0; i < 3; i++) server.store.create('pods', { metadata: { name: `p${i}`, namespace: ns } });
    const page1 = await list('/api/v1/namespaces/a/pods?limit=2');
    expect(page1.kind).toBe('PodList');
    expect(page1.items.map((i) => i.metadata.name)).toEqual(['p0', 'p1']);
    expect(page1.metadata.remainingItemCount).toBe(1);
    const page2 = await list(`/api/v1/namespaces/a/pods?limit=2&continue=${page1.metadata.continue!}`);
    expect(page2.items.map((i) => `${i.metadata.namespace}/${i.metadata.name}`)).toEqual(['a/p2']);
    expect(page2.metadata.continue).toBeUndefined();
  });

  it('answers 410 Expired for a continue token whose revision was compacted', async () => {
    for (let i = 0; i < 4; i++) server.store.create('events', eventBody(`e${i}`));
    const first = await list('/api/v1/events?limit=2');
    server.store.create('events', eventBody('late'));
    server.compact();
    const r = await raw(server.url, `/api/v1/events?limit=2&continue=${first.metadata.continue!}`);
    expect(r.status).toBe(410);
    const s = r.json<{ kind: string; reason: string; code: number; message: string; metadata: { continue?: string } }>();
    expect(s).toMatchObject({ kind: 'Status', reason: 'Expired', code: 410 });
    expect(s.message).toMatch(/^The provided continue parameter is too old to display a consistent list result\./);
    // The inconsistent continuation it offers reads the latest state from where we were.
    const rest = await list(`/api/v1/events?limit=10&continue=${s.metadata.continue!}`);
    expect(rest.items.map((i) => i.metadata.name)).toEqual(['e2', 'e3', 'late']);
  });

  it('serves resourceVersion semantics: unset/0 latest, Exact, NotOlderThan, too large', async () => {
    for (let i = 0; i < 3; i++) server.store.create('events', eventBody(`e${i}`));
    expect((await list('/api/v1/events?resourceVersion=0')).metadata.resourceVersion).toBe('3');
    const exact = await list('/api/v1/events?resourceVersion=2&resourceVersionMatch=Exact');
    expect(exact.metadata.resourceVersion).toBe('2');
    expect(exact.items.map((i) => i.metadata.name)).toEqual(['e0', 'e1']);
    // Legacy: an RV with a limit is Exact.
    expect((await list('/api/v1/events?resourceVersion=1&limit=5')).items.map((i) => i.metadata.name)).toEqual(['e0']);
    const not = await list('/api/v1/events?resourceVersion=1&resourceVersionMatch=NotOlderThan');
    expect(not.metadata.resourceVersion).toBe('3');
    const big = await raw(server.url, '/api/v1/events?resourceVersion=99&resourceVersionMatch=NotOlderThan');
    expect(big.status).toBe(504);
    expect(big.json()).toMatchObject({ reason: 'Timeout', message: 'Too large resource version: 99, current: 3' });
    server.compact();
    const old = await raw(server.url, '/api/v1/events?resourceVersion=1&resourceVersionMatch=Exact');
    expect(old.status).toBe(410);
    expect(old.json()).toMatchObject({ reason: 'Expired', message: 'too old resource version: 1 (3)' });
  });

  it('filters by label and field selectors', async () => {
    server.store.create('pods', { metadata: { name: 'a', namespace: 'shop', labels: { app: 'web' } }, spec: { nodeName: 'worker-1' } });
    server.store.create('pods', { metadata: { name: 'b', namespace: 'shop', labels: { app: 'api' } }, spec: { nodeName: 'worker-2' } });
    server.store.create('pods', { metadata: { name: 'c', namespace: 'ops', labels: { app: 'web', canary: 'y' } }, spec: { nodeName: 'worker-2' } });
    const names = async (q: string): Promise<string[]> => (await list(`/api/v1/pods?${q}`)).items.map((i) => i.metadata.name);
    expect(await names('labelSelector=app%3Dweb')).toEqual(['c', 'a']);
    expect(await names(`labelSelector=${encodeURIComponent('app=web,!canary')}`)).toEqual(['a']);
    expect(await names(`labelSelector=${encodeURIComponent('app in (api,db)')}`)).toEqual(['b']);
    expect(await names('fieldSelector=spec.nodeName%3Dworker-2')).toEqual(['c', 'b']);
    expect(await names('fieldSelector=metadata.namespace%3Dshop,spec.nodeName!%3Dworker-1')).toEqual(['b']);

    server.store.create('events', eventBody('x', 'shop', { type: 'Warning', reason: 'BackOff' }));
    server.store.create('events', eventBody('y', 'shop'));
    const ev = await list(`/api/v1/events?fieldSelector=${encodeURIComponent('involvedObject.kind=Pod,type=Warning')}`);
    expect(ev.items.map((i) => i.metadata.name)).toEqual(['x']);
    const ev2 = await list(`/apis/events.k8s.io/v1/events?fieldSelector=${encodeURIComponent('regarding.name=pod-y')}`);
    expect(ev2.apiVersion).toBe('events.k8s.io/v1');
    expect(ev2.items.map((i) => i.metadata.name)).toEqual(['y']);

    const bad = await raw(server.url, '/api/v1/events?fieldSelector=spec.nodeName%3Dx');
    expect(bad.status).toBe(400);
    expect(bad.json()).toMatchObject({ reason: 'BadRequest', message: 'field label not supported: spec.nodeName' });
  });

  it('pages with a selector without remainingItemCount', async () => {
    for (let i = 0; i < 6; i++) server.store.create('pods', { metadata: { name: `p${i}`, namespace: 'x', labels: { even: String(i % 2 === 0) } } });
    const p1 = await list('/api/v1/pods?limit=2&labelSelector=even%3Dtrue');
    expect(p1.items.map((i) => i.metadata.name)).toEqual(['p0', 'p2']);
    expect(p1.metadata.remainingItemCount).toBeUndefined();
    const p2 = await list(`/api/v1/pods?limit=2&labelSelector=even%3Dtrue&continue=${p1.metadata.continue!}`);
    expect(p2.items.map((i) => i.metadata.name)).toEqual(['p4']);
  });
});
