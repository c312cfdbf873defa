/**
 * Compatibility with the real @kubernetes/client-node 2.x: list, paginate, watch (with
 * bookmarks and an in-stream 410), and Lease optimistic concurrency, over HTTP and HTTPS.
 */
import { ApiException, CoordinationV1Api, CoreV1Api, EventsV1Api, KubeConfig, makeInformer, Watch, type CoreV1Event } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from './server.js';
import { eventBody } from './test-utils.fixture.js';

let server: ApiServerDouble | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Seen {
  type: string;
  name: string | undefined;
  rv: string | undefined;
}

/** Opens a client-node Watch and returns a function that awaits the n-th callback. */
async function watch(kc: KubeConfig, path: string, query: Record<string, string | number | boolean | undefined>) {
  const seen: Seen[] = [];
  let notify: () => void = () => {};
  let doneErr: unknown = 'open';
  const controller = await new Watch(kc).watch(
    path,
    query,
    (type, obj: { metadata?: { name?: string; resourceVersion?: string } }) => {
      seen.push({ type, name: obj.metadata?.name, rv: obj.metadata?.resourceVersion });
      notify();
    },
    (err) => {
      doneErr = err;
      notify();
    },
  );
  const until = async (pred: () => boolean): Promise<void> => {
    while (!pred()) await new Promise<void>((r) => (notify = r));
  };
  return { seen, controller, until, done: () => doneErr };
}

for (const https of [false, true]) {
  describe(`@kubernetes/client-node over ${https ? 'HTTPS' : 'HTTP'}`, () => {
    it('lists events with pagination and watches from the list resourceVersion', async () => {
      const s = (server = await startApiServer({ https, token: 'node-token' }));
      for (let i = 0; i < 3; i++) s.store.create('events', eventBody(`e${i}`, i === 2 ? 'shop' : 'default'));
      const kc = new KubeConfig();
      kc.loadFromString(s.kubeconfig());
      const core = kc.makeApiClient(CoreV1Api);
      const page1 = await core.listEventForAllNamespaces({ limit: 2 });
      expect(page1.items.map((e) => e.metadata?.name)).toEqual(['e0', 'e1']);
      expect(page1.items[0]!.lastTimestamp).toBeInstanceOf(Date);
      const page2 = await core.listEventForAllNamespaces({ limit: 2, _continue: page1.metadata!._continue! });
      expect(page2.items.map((e) => e.metadata?.name)).toEqual(['e2']);
      expect(page2.metadata?.resourceVersion).toBe('3');
      const ns = await core.listNamespacedEvent({ namespace: 'shop' });
      expect(ns.items).toHaveLength(1);
      const v1 = await kc.makeApiClient(EventsV1Api).listEventForAllNamespaces();
      expect(v1.items.map((e) => e.note)).toEqual(['Started container e0', 'Started container e1', 'Started container e2']);

      const w = await watch(kc, '/api/v1/events', { resourceVersion: page2.metadata!.resourceVersion, allowWatchBookmarks: true });
      await s.stats.waitFor((st) => st.activeWatches === 1);
      s.store.create('events', eventBody('e3'));
      s.store.patch('events', 'default/e3', { count: 2 });
      await w.until(() => w.seen.length >= 2);
      expect(w.seen).toEqual([
        { type: 'ADDED', name: 'e3', rv: '4' },
        { type: 'MODIFIED', name: 'e3', rv: '5' },
      ]);
      w.controller.abort();
    });

    it('surfaces an in-stream 410 ERROR and a server-side close to the Watch callbacks', async () => {
      const s = (server = await startApiServer({ https, compactionWindow: 1 }));
      for (const n of ['a', 'b', 'c']) s.store.create('events', eventBody(n));
      const kc = new KubeConfig();
      kc.loadFromString(s.kubeconfig());
      const gone = await watch(kc, '/api/v1/events', { resourceVersion: '1' });
      await gone.until(() => gone.done() !== 'open');
      expect(gone.done()).toBeNull();
      expect(gone.seen).toEqual([{ type: 'ERROR', name: undefined, rv: undefined }]);

      const live = await watch(kc, '/api/v1/events', { resourceVersion: '2' });
      await live.until(() => live.seen.length === 1);
      expect(live.seen).toEqual([{ type: 'ADDED', name: 'c', rv: '3' }]);
      s.closeWatches();
      await live.until(() => live.done() !== 'open');
      expect(live.done()).toBeNull();
    });

    it('feeds an informer: initial list, live adds and updates', async () => {
      const s = (server = await startApiServer({ https }));
      s.store.create('events', eventBody('old'));
      const kc = new KubeConfig();
      kc.loadFromString(s.kubeconfig());
      const core = kc.makeApiClient(CoreV1Api);
      const informer = makeInformer<CoreV1Event>(kc, '/api/v1/events', () => core.listEventForAllNamespaces());
      const seen: string[] = [];
      let notify: () => void = () => {};
      const until = async (n: number): Promise<void> => {
        while (seen.length < n) await new Promise<void>((r) => (notify = r));
      };
      informer.on('add', (e) => {
        seen.push(`add ${e.metadata?.name}`);
        notify();
      });
      informer.on('update', (e) => {
        seen.push(`update ${e.metadata?.name} ${e.count}`);
        notify();
      });
      await informer.start();
      await until(1);
      await s.stats.waitFor((st) => st.activeWatches === 1);
      s.store.create('events', eventBody('new'));
      s.store.patch('events', 'default/new', { count: 2 });
      await until(3);
      expect(seen).toEqual(['add old', 'add new', 'update new 2']);
      await informer.stop().catch(() => undefined);
    });

    it('creates and updates Leases with optimistic concurrency', async () => {
      const s = (server = await startApiServer({ https }));
      const kc = new KubeConfig();
      kc.loadFromString(s.kubeconfig());
      const coord = kc.makeApiClient(CoordinationV1Api);
      const created = await coord.createNamespacedLease({
        namespace: 'kube-system',
        body: { metadata: { name: 'k8stream' }, spec: { holderIdentity: 'a', leaseDurationSeconds: 15, acquireTime: new Date('2026-01-01T00:00:00Z') } },
      });
      expect(created.metadata?.resourceVersion).toBe('1');
      const renewed = await coord.replaceNamespacedLease({
        name: 'k8stream',
        namespace: 'kube-system',
        body: { ...created, spec: { ...created.spec, renewTime: new Date('2026-01-01T00:00:10Z') } },
      });
      expect(renewed.metadata?.resourceVersion).toBe('2');
      const err = await coord.replaceNamespacedLease({ name: 'k8stream', namespace: 'kube-system', body: { ...created, spec: { ...created.spec, holderIdentity: 'b' } } }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ApiException);
      expect((err as ApiException<unknown>).code).toBe(409);
      const got = await coord.readNamespacedLease({ name: 'k8stream', namespace: 'kube-system' });
      expect(got.spec?.holderIdentity).toBe('a');
      // MicroTime comes back as it went out (client-node leaves it a string when deserialising).
      expect(new Date(got.spec!.renewTime as unknown as string).toISOString()).toBe('2026-01-01T00:00:10.000Z');
    });
  });
}
