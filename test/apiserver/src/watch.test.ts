import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble, type ApiServerOptions } from './server.js';
import { eventBody, openWatch, raw, type WatchLine } from './test-utils.fixture.js';

let server: ApiServerDouble | undefined;
async function start(o: ApiServerOptions = {}): Promise<ApiServerDouble> {
  server = await startApiServer(o);
  return server;
}
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const summary = (l: WatchLine): string => `${l.type} ${String(l.object.metadata?.['name'])} ${String(l.object.metadata?.['resourceVersion'])}`;

describe('watch', () => {
  it('replays every retained change after resourceVersion, then streams live changes', async () => {
    const s = await start();
    s.store.create('events', eventBody('a')); // 1
    s.store.create('events', eventBody('b')); // 2
    s.store.patch('events', 'default/a', { count: 2 }); // 3
    s.store.create('pods', { metadata: { name: 'p', namespace: 'default' } }); // 4 (other resource)
    s.store.delete('events', 'default/b'); // 5
    const w = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=1');
    expect(w.status).toBe(200);
    expect(w.headers['content-type']).toBe('application/json');
    expect(w.headers['transfer-encoding']).toBe('chunked');
    expect((await w.take(3)).map(summary)).toEqual(['ADDED b 2', 'MODIFIED a 3', 'DELETED b 5']);
    s.store.create('events', eventBody('c'));
    const live = await w.next();
    expect(summary(live)).toBe('ADDED c 6');
    expect(live.object).toMatchObject({ kind: 'Event', apiVersion: 'v1', reason: 'Started' });
    expect(s.stats.activeWatches).toBe(1);
    w.close();
    await s.stats.waitFor((st) => st.activeWatches === 0);
    expect(s.stats.watchConnections).toBe(1);
  });

  it('delivers each change once when a watch opens while notifications are held and they are released later', async () => {
    const s = await start();
    s.store.create('events', eventBody('a')); // 1
    s.store.holdNotifications();
    s.store.create('events', eventBody('b')); // 2, held
    const w = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=1');
    expect(summary(await w.next())).toBe('ADDED b 2'); // from history
    s.store.create('events', eventBody('c')); // 3, held
    s.store.releaseHeld(); // b again (skipped), then c
    s.store.create('events', eventBody('d')); // 4, live
    expect((await w.take(2)).map(summary)).toEqual(['ADDED c 3', 'ADDED d 4']);
    w.close();
  });

  it('without resourceVersion sends synthetic ADDED for the current state first', async () => {
    const s = await start();
    s.store.create('events', eventBody('a'));
    s.store.create('events', eventBody('b', 'other'));
    const w = await openWatch(s.url, '/api/v1/watch/namespaces/default/events');
    expect(summary(await w.next())).toBe('ADDED a 1');
    s.store.create('events', eventBody('c', 'other'));
    s.store.create('events', eventBody('d'));
    expect(summary(await w.next())).toBe('ADDED d 4');
    w.close();
  });

  it('sends an in-stream ERROR 410 Expired for a compacted resourceVersion (HTTP 200)', async () => {
    const s = await start({ compactionWindow: 2 });
    for (let i = 0; i < 5; i++) s.store.create('events', eventBody(`e${i}`));
    const w = await openWatch(s.url, '/api/v1/events?watch=1&resourceVersion=1');
    expect(w.status).toBe(200);
    const err = await w.next();
    expect(err.type).toBe('ERROR');
    expect(err.object).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'too old resource version: 1 (3)',
      reason: 'Expired',
      code: 410,
    });
    expect(await w.ended).toEqual({ kind: 'end' });
    // Still within the window: fine.
    const ok = await openWatch(s.url, '/api/v1/events?watch=1&resourceVersion=3');
    expect((await ok.take(2)).map(summary)).toEqual(['ADDED e3 4', 'ADDED e4 5']);
    ok.close();
  });

  it('sends periodic BOOKMARKs carrying the current resourceVersion when allowed', async () => {
    const s = await start({ bookmarkIntervalMs: 20 });
    s.store.create('events', eventBody('a'));
    const w = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=1&allowWatchBookmarks=true');
    s.store.create('pods', { metadata: { name: 'p', namespace: 'default' } });
    const b = await w.next();
    expect(b).toEqual({ type: 'BOOKMARK', object: { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion: '2' } } });
    w.close();
    const plain = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=1&timeoutSeconds=0.2');
    expect(await plain.ended).toEqual({ kind: 'end' });
    expect(plain.bytes).toBe(0);
  });

  it('closes the stream cleanly after timeoutSeconds, and after the server default', async () => {
    const s = await start({ watchTimeoutSeconds: 0.1 });
    const started = Date.now();
    const w = await openWatch(s.url, '/api/v1/pods?watch=true&resourceVersion=0&timeoutSeconds=0.15');
    expect(await w.ended).toEqual({ kind: 'end' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const d = await openWatch(s.url, '/api/v1/pods?watch=true&resourceVersion=0');
    expect(await d.ended).toEqual({ kind: 'end' });
    await s.stats.waitFor((st) => st.activeWatches === 0);
    expect(s.stats.count({ verb: 'watch', resource: 'pods', code: 200 })).toBe(2);
  });

  it('supports sendInitialEvents with an initial-events-end bookmark', async () => {
    const s = await start({ bookmarkIntervalMs: 0 });
    s.store.create('events', eventBody('a'));
    s.store.create('events', eventBody('b'));
    const bad = await raw(s.url, '/api/v1/events?watch=true&sendInitialEvents=true');
    expect(bad.status).toBe(422);
    const w = await openWatch(s.url, '/api/v1/events?watch=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan&allowWatchBookmarks=true');
    const lines = await w.take(3);
    expect(lines.slice(0, 2).map(summary)).toEqual(['ADDED a 1', 'ADDED b 2']);
    expect(lines[2]).toEqual({
      type: 'BOOKMARK',
      object: { kind: 'Event', apiVersion: 'v1', metadata: { resourceVersion: '2', annotations: { 'k8s.io/initial-events-end': 'true' } } },
    });
    s.store.create('events', eventBody('c'));
    expect(summary(await w.next())).toBe('ADDED c 3');
    w.close();
  });

  it('applies selectors to changes, turning objects that leave the selection into DELETED', async () => {
    const s = await start();
    const w = await openWatch(s.url, `/api/v1/pods?watch=true&resourceVersion=0&labelSelector=${encodeURIComponent('app=web')}&fieldSelector=spec.nodeName%3Dworker-1`);
    s.store.create('pods', { metadata: { name: 'a', namespace: 'x', labels: { app: 'web' } }, spec: { nodeName: 'worker-1' } }); // 1 in
    s.store.create('pods', { metadata: { name: 'b', namespace: 'x', labels: { app: 'api' } }, spec: { nodeName: 'worker-1' } }); // 2 out
    s.store.patch('pods', 'x/b', { metadata: { labels: { app: 'web' } } }); // 3 enters → ADDED
    s.store.patch('pods', 'x/a', { spec: { nodeName: 'worker-2' } }); // 4 leaves → DELETED
    s.store.patch('pods', 'x/b', { status: { phase: 'Running' } }); // 5 stays → MODIFIED
    expect((await w.take(4)).map(summary)).toEqual(['ADDED a 1', 'ADDED b 3', 'DELETED a 4', 'MODIFIED b 5']);
    w.close();
  });

  it('watches events.k8s.io/v1 events converted from the same storage', async () => {
    const s = await start();
    s.store.create('events', eventBody('a', 'shop'));
    const w = await openWatch(s.url, '/apis/events.k8s.io/v1/namespaces/shop/events?watch=true&resourceVersion=0');
    const l = await w.next();
    expect(l.type).toBe('ADDED');
    expect(l.object).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'Started container a', regarding: { name: 'pod-a' }, deprecatedCount: 1 });
    w.close();
  });

  it('keeps up with a burst: 20,000 events on two watchers, in order, none lost', async () => {
    const s = await start();
    const w1 = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=0');
    const w2 = await openWatch(s.url, '/apis/events.k8s.io/v1/events?watch=true&resourceVersion=0');
    const n = 20_000;
    for (let i = 0; i < n; i++) s.store.create('events', eventBody(`e${i}`));
    const [a, b] = await Promise.all([w1.take(n), w2.take(n)]);
    expect(a.map((l) => Number(l.object.metadata?.['resourceVersion']))).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(b[n - 1]!.object.metadata?.['name']).toBe(`e${n - 1}`);
    expect(s.stats.watchEvents).toBe(2 * n);
    w1.close();
    w2.close();
  });
});
