import { describe, expect, it } from 'vitest';
import { toRecord } from '../record/map.js';
import type { SourceItem } from '../source/types.js';
import { silentLogger } from '../util/logger.js';
import { createServiceChangeFeed, deterministicUid, serviceChangeMessage } from './service-changes.js';
import { createServicesIndex, toServiceEntry } from './services.js';
import type { FeedItem } from './types.js';

const T = new Date('2026-03-04T05:06:07.890Z');

function svc(name: string, selector: Record<string, string> | undefined, rv: string, port = 80) {
  return {
    metadata: { namespace: 'shop', name, uid: `${name}-uid`, resourceVersion: rv },
    spec: { ...(selector ? { selector } : {}), ports: [{ name: 'http', port, targetPort: 8080, protocol: 'TCP' }] },
  };
}

/** A getter answering pod lists from a label → pod names table, counting calls. */
function fakePodLists(pods: Record<string, string[]>, fail?: { status: number }) {
  const calls: string[] = [];
  const get = async (path: string) => {
    calls.push(path);
    if (fail) throw Object.assign(new Error(`HTTP ${fail.status} with Bearer s3cr3t`), fail);
    const selector = decodeURIComponent(path.split('labelSelector=')[1] ?? '');
    return { kind: 'PodList', items: (pods[selector] ?? []).map((name) => ({ metadata: { name } })) };
  };
  return { get, calls };
}

/** A feed we push into by hand, ending when `end` is called. */
function manualFeed() {
  const queue: FeedItem[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  return {
    push(item: FeedItem) {
      queue.push(item);
      wake?.();
    },
    end() {
      ended = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      for (;;) {
        const item = queue.shift();
        if (item) {
          yield item;
          continue;
        }
        if (ended) return;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
      }
    },
  };
}

async function collect(iterable: AsyncIterable<readonly SourceItem[]>): Promise<SourceItem[]> {
  const out: SourceItem[] = [];
  for await (const chunk of iterable) out.push(...chunk);
  return out;
}

describe('service change records', () => {
  it('emits one synthetic Event per change after the first sync, with the pods behind the service', async () => {
    const lists = fakePodLists({ 'app=web': ['web-2', 'web-1'], 'app=api': ['api-1'], 'app=api2': [] });
    const index = createServicesIndex({ changes: { get: lists.get, now: () => T } });
    const feed = manualFeed();
    const running = index.run(feed);
    const changes = collect(index.serviceChanges());

    feed.push({ kind: 'sync', objects: [svc('api', { app: 'api' }, '1')] });
    feed.push({ kind: 'event', type: 'ADDED', object: svc('web', { app: 'web' }, '10') });
    feed.push({ kind: 'event', type: 'MODIFIED', object: svc('web', { app: 'web' }, '11', 443) });
    feed.push({ kind: 'event', type: 'MODIFIED', object: svc('api', { app: 'api2' }, '12') });
    feed.push({ kind: 'event', type: 'DELETED', object: svc('web', { app: 'web' }, '13', 443) });
    feed.push({ kind: 'event', type: 'ADDED', object: svc('external', undefined, '14') });
    feed.end();
    await running;
    const items = await changes;

    expect(items.map((i) => [i.type, (i.object as { reason: string }).reason, (i.object as { message: string }).message])).toEqual([
      ['ADDED', 'ServiceAdded', 'Service shop/web added: selector app=web; ports http:80/TCP->8080; 2 pods: web-1, web-2'],
      ['ADDED', 'ServiceUpdated', 'Service shop/web updated: selector app=web; ports http:443/TCP->8080 (was http:80/TCP->8080); 2 pods: web-1, web-2'],
      ['ADDED', 'ServiceUpdated', 'Service shop/api updated: selector app=api2 (was app=api); ports http:80/TCP->8080; no pods'],
      ['ADDED', 'ServiceDeleted', 'Service shop/web deleted: selector app=web; ports http:443/TCP->8080; 2 pods: web-1, web-2'],
      ['ADDED', 'ServiceAdded', 'Service shop/external added: no selector; ports http:80/TCP->8080; no pods selected'],
    ]);
    // One LIST per distinct selector: the cached list served the update and the delete of web.
    expect(lists.calls).toEqual(['/api/v1/namespaces/shop/pods?labelSelector=app%3Dweb', '/api/v1/namespaces/shop/pods?labelSelector=app%3Dapi2']);

    const first = items[0]!.object;
    expect(first).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { namespace: 'shop', resourceVersion: '10', creationTimestamp: '2026-03-04T05:06:07Z' },
      involvedObject: { kind: 'Service', apiVersion: 'v1', namespace: 'shop', name: 'web', uid: 'web-uid', resourceVersion: '10' },
      type: 'Normal',
      source: { component: 'k8stream' },
      reportingComponent: 'k8stream',
      count: 1,
    });
    const uid = (first['metadata'] as { uid: string }).uid;
    expect(uid).toBe(deterministicUid('k8stream/service-change:shop/web:web-uid:10:ServiceAdded'));
    expect(uid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);

    // The record mapper accepts it like any core/v1 Event; its id is deterministic.
    const record = toRecord(first, { cluster: 'c', action: 'ADDED' });
    expect(record).toMatchObject({ id: `${uid}:10`, reason: 'ServiceAdded', involvedObject: { kind: 'Service', name: 'web' }, source: { component: 'k8stream', host: '' } });
  });

  it('the same change seen twice gets the same uid; different changes different ones', () => {
    expect(deterministicUid('a')).toBe(deterministicUid('a'));
    expect(deterministicUid('a')).not.toBe(deterministicUid('b'));
  });

  it('a failed pod LIST is named in the message, without secrets', async () => {
    const lists = fakePodLists({}, { status: 403 });
    const feed = createServiceChangeFeed({ get: lists.get, logger: silentLogger, now: () => T });
    feed.push({ type: 'added', service: toServiceEntry(svc('web', { app: 'web' }, '3'))! });
    feed.end();
    const items = await collect(feed.changes());
    const message = (items[0]!.object as { message: string }).message;
    expect(message).toBe('Service shop/web added: selector app=web; ports http:80/TCP->8080; pods unknown (list failed: forbidden (403))');
    expect(message).not.toContain('s3cr3t');
    expect(feed.stats()).toEqual({ produced: 1, podLists: 1, dropped: 0 });
  });

  it('drops the oldest records beyond maxPending while nobody reads', async () => {
    const lists = fakePodLists({});
    const warnings: string[] = [];
    const logger = { ...silentLogger, warn: (msg: string) => void warnings.push(msg) };
    const feed = createServiceChangeFeed({ get: lists.get, logger, maxPending: 2, now: () => T });
    for (let i = 0; i < 5; i++) feed.push({ type: 'added', service: toServiceEntry(svc(`s${i}`, undefined, String(i)))! });
    feed.end();
    const items = await collect(feed.changes());
    expect(items.map((i) => (i.object as { involvedObject: { name: string } }).involvedObject.name)).toEqual(['s3', 's4']);
    expect(feed.stats().dropped).toBe(3);
    expect(warnings).toEqual(['service change records dropped: nobody is reading them']);
  });

  it('the reader ends when its signal aborts', async () => {
    const feed = createServiceChangeFeed({ get: fakePodLists({}).get, logger: silentLogger });
    const controller = new AbortController();
    const reading = collect(feed.changes(controller.signal));
    controller.abort();
    expect(await reading).toEqual([]);
  });

  it('lists at most maxPodNames names and counts the rest', () => {
    const service = toServiceEntry(svc('web', { app: 'web' }, '1'))!;
    expect(serviceChangeMessage({ type: 'added', service }, { names: ['a', 'b', 'c', 'd'] }, 2)).toBe(
      'Service shop/web added: selector app=web; ports http:80/TCP->8080; 4 pods: a, b and 2 more',
    );
    expect(serviceChangeMessage({ type: 'added', service }, { names: ['a'] })).toBe('Service shop/web added: selector app=web; ports http:80/TCP->8080; 1 pod: a');
  });
});
