import { describe, expect, it } from 'vitest';
import { toRecord } from '../record/map.js';
import type { EventRecord } from '../record/types.js';
import { createEnricher } from './enricher.js';
import type { EnricherConfig } from './enricher.js';
import { createTokenBucket } from './rate-limit.js';
import { createServicesIndex } from './services.js';

const ALL: EnricherConfig = { objects: true, owners: true, nodes: true, services: true };
const unlimited = () => createTokenBucket({ qps: Infinity, burst: 1 });

let seq = 0;
/** A record for an event about the given object. */
function eventAbout(kind: string, namespace: string, name: string, o: { uid?: string; apiVersion?: string; host?: string } = {}): EventRecord {
  seq++;
  return toRecord(
    {
      metadata: { uid: `ev-${seq}`, resourceVersion: String(seq), namespace: namespace || 'default' },
      involvedObject: { kind, namespace, name, uid: o.uid ?? `${name}-uid`, apiVersion: o.apiVersion ?? (kind === 'Pod' || kind === 'Node' ? 'v1' : 'apps/v1') },
      reason: 'Test',
      message: 'test',
      source: { component: 'kubelet', host: o.host ?? '' },
      count: 1,
      type: 'Normal',
    },
    { cluster: 'c', action: 'ADDED' },
  );
}

const owner = (kind: string, name: string, apiVersion = 'apps/v1') => ({ apiVersion, kind, name, uid: `${name}-uid`, controller: true });

/** A cluster as a path → object table; a getter over it counting GETs per path. */
function fakeCluster() {
  const objects = new Map<string, unknown>([
    [
      '/api/v1/namespaces/shop/pods/web-1',
      {
        metadata: { name: 'web-1', uid: 'web-1-uid', labels: { app: 'web', hash: '5d8f' }, annotations: { team: 'shop' }, ownerReferences: [owner('ReplicaSet', 'web-5d8f')] },
        spec: { nodeName: 'worker-1' },
        status: { podIP: '10.244.0.5', hostIP: '10.0.0.10', phase: 'Running', startTime: '2026-01-02T03:04:05Z' },
      },
    ],
    ['/apis/apps/v1/namespaces/shop/replicasets/web-5d8f', { metadata: { name: 'web-5d8f', uid: 'web-5d8f-uid', ownerReferences: [owner('Deployment', 'web')] } }],
    ['/apis/apps/v1/namespaces/shop/deployments/web', { metadata: { name: 'web', uid: 'web-uid', labels: { app: 'web' } } }],
    ['/api/v1/nodes/worker-1', { metadata: { name: 'worker-1', uid: 'n1', labels: { zone: 'a' } }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.10' }] } }],
    ['/api/v1/nodes/worker-2', { metadata: { name: 'worker-2', uid: 'n2' }, status: { addresses: [{ type: 'InternalIP', address: '10.0.0.11' }] } }],
  ]);
  const gets = new Map<string, number>();
  const denied = new Set<string>();
  const get = async (path: string): Promise<unknown> => {
    gets.set(path, (gets.get(path) ?? 0) + 1);
    if (denied.has(path)) throw Object.assign(new Error('forbidden: User "u" token=abc'), { status: 403 });
    const o = objects.get(path);
    if (o === undefined) throw Object.assign(new Error('not found'), { status: 404 });
    return structuredClone(o);
  };
  return { objects, gets, denied, get, total: () => [...gets.values()].reduce((a, b) => a + b, 0) };
}

function servicesFor(...services: { name: string; selector?: Record<string, string> }[]) {
  const index = createServicesIndex();
  index.apply({
    kind: 'sync',
    objects: services.map((s) => ({ metadata: { namespace: 'shop', name: s.name, uid: s.name }, spec: s.selector ? { selector: s.selector } : {} })),
  });
  return index;
}

describe('createEnricher', () => {
  it('fills a pod event: labels, annotations, pod, node, owners, workload, services', async () => {
    const cluster = fakeCluster();
    const services = servicesFor({ name: 'web', selector: { app: 'web' } }, { name: 'api', selector: { app: 'api' } }, { name: 'ext' });
    const enricher = createEnricher({ get: cluster.get, config: ALL, services, limiter: unlimited() });
    const record = eventAbout('Pod', 'shop', 'web-1');
    await enricher.enrich([record]);
    expect(record.enrichment).toEqual({
      labels: { app: 'web', hash: '5d8f' },
      annotations: { team: 'shop' },
      owners: [
        { kind: 'ReplicaSet', name: 'web-5d8f', uid: 'web-5d8f-uid', apiVersion: 'apps/v1' },
        { kind: 'Deployment', name: 'web', uid: 'web-uid', apiVersion: 'apps/v1' },
      ],
      workload: { kind: 'Deployment', name: 'web', uid: 'web-uid', apiVersion: 'apps/v1' },
      node: { name: 'worker-1', addresses: [{ type: 'InternalIP', address: '10.0.0.10' }] },
      pod: { ip: '10.244.0.5', hostIP: '10.0.0.10', phase: 'Running', startTime: '2026-01-02T03:04:05.000Z' },
      services: [{ name: 'web', namespace: 'shop' }],
      errors: [],
    });
    expect(enricher.stats()).toMatchObject({ gets: 4, failedGets: 0, misses: 4, errors: 0, cacheSize: 4 });
    // Changing a record does not change what the cache answers next.
    record.enrichment.labels['app'] = 'changed';
    record.enrichment.node!.addresses[0]!.address = 'changed';
    const again = eventAbout('Pod', 'shop', 'web-1');
    await enricher.enrich([again]);
    expect(again.enrichment.labels).toEqual({ app: 'web', hash: '5d8f' });
    expect(again.enrichment.node?.addresses).toEqual([{ type: 'InternalIP', address: '10.0.0.10' }]);
    expect(enricher.stats().gets).toBe(4);
  });

  it('honours each switch', async () => {
    const cluster = fakeCluster();
    const services = servicesFor({ name: 'web', selector: { app: 'web' } });
    const run = async (config: EnricherConfig) => {
      const record = eventAbout('Pod', 'shop', 'web-1');
      await createEnricher({ get: cluster.get, config, services, limiter: unlimited() }).enrich([record]);
      return record.enrichment;
    };
    const none = { objects: false, owners: false, nodes: false, services: false };
    expect(await run({ ...none, objects: true })).toMatchObject({ labels: { app: 'web', hash: '5d8f' }, pod: { phase: 'Running' }, owners: [], node: null, services: [] });
    expect(await run({ ...none, owners: true })).toMatchObject({ labels: {}, pod: null, workload: { name: 'web' }, node: null, services: [] });
    expect(await run({ ...none, nodes: true })).toMatchObject({ labels: {}, pod: null, owners: [], node: { name: 'worker-1' }, services: [] });
    expect(await run({ ...none, services: true })).toMatchObject({ labels: {}, pod: null, owners: [], node: null, services: [{ name: 'web' }] });
    cluster.gets.clear();
    expect(await run(none)).toEqual(eventAbout('Pod', 'shop', 'web-1').enrichment);
    expect(cluster.total()).toBe(0);
  });

  it('one GET per object for a chunk of events about it; its records share one (read-only) enrichment', async () => {
    const cluster = fakeCluster();
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor(), limiter: unlimited() });
    const records = Array.from({ length: 500 }, (_, i) => eventAbout('Pod', 'shop', 'web-1', { host: i % 2 ? 'worker-1' : '' }));
    await enricher.enrich(records);
    expect(cluster.gets.get('/api/v1/namespaces/shop/pods/web-1')).toBe(1);
    expect(cluster.total()).toBe(4);
    expect(records.every((r) => r.enrichment.workload?.name === 'web')).toBe(true);
    // No copy per record: records are serialised, never mutated, after enrichment.
    expect(records[0]!.enrichment).toBe(records[2]!.enrichment);
    // A second chunk is answered from the cache; concurrent chunks share GETs in flight.
    await Promise.all([enricher.enrich([eventAbout('Pod', 'shop', 'web-1')]), enricher.enrich([eventAbout('Pod', 'shop', 'web-1')])]);
    expect(cluster.total()).toBe(4);
  });

  it('a deleted pod: the event keeps its record, errors name the lookup, the node comes from source.host', async () => {
    const cluster = fakeCluster();
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor({ name: 'web', selector: { app: 'web' } }), limiter: unlimited() });
    const records = [eventAbout('Pod', 'shop', 'gone-1', { host: 'worker-2' }), eventAbout('Pod', 'shop', 'gone-1', { host: 'worker-2' })];
    await enricher.enrich(records);
    expect(records[0]!.enrichment).toEqual({
      labels: {},
      annotations: {},
      owners: [],
      workload: null,
      node: { name: 'worker-2', addresses: [{ type: 'InternalIP', address: '10.0.0.11' }] },
      pod: null,
      services: [],
      errors: [{ lookup: 'pod shop/gone-1', message: 'not found (404)' }],
    });
    expect(records[1]!.enrichment.errors).toEqual([{ lookup: 'pod shop/gone-1', message: 'not found (404)' }]);
    // The 404 is cached briefly: the next chunk does not ask again.
    await enricher.enrich([eventAbout('Pod', 'shop', 'gone-1')]);
    expect(cluster.gets.get('/api/v1/namespaces/shop/pods/gone-1')).toBe(1);
    expect(enricher.stats()).toMatchObject({ failedGets: 1, errors: 3 });
  });

  it('a 403 is recorded without the server message or secrets', async () => {
    const cluster = fakeCluster();
    cluster.denied.add('/apis/apps/v1/namespaces/shop/replicasets/web-5d8f');
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor(), limiter: unlimited() });
    const record = eventAbout('Pod', 'shop', 'web-1');
    await enricher.enrich([record]);
    expect(record.enrichment.errors).toEqual([{ lookup: 'replicaset shop/web-5d8f', message: 'forbidden (403)' }]);
    expect(record.enrichment.owners.map((o) => o.name)).toEqual(['web-5d8f']);
    expect(record.enrichment.labels).toEqual({ app: 'web', hash: '5d8f' });
    expect(JSON.stringify(record)).not.toContain('token');
  });

  it('an object re-created under the same name: labels and owners, but not the new pod status', async () => {
    const cluster = fakeCluster();
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor(), limiter: unlimited() });
    const record = eventAbout('Pod', 'shop', 'web-1', { uid: 'older-incarnation', host: 'worker-2' });
    await enricher.enrich([record]);
    expect(record.enrichment).toMatchObject({ labels: { app: 'web', hash: '5d8f' }, pod: null, workload: { name: 'web' }, node: { name: 'worker-2' } });
    expect(record.enrichment.errors).toEqual([
      { lookup: 'pod shop/web-1', message: "replaced: the object was deleted and re-created (uid differs); pod status and node are not from the event's object" },
    ]);
  });

  it('node events get the node; workload events their owners, or themselves as the workload', async () => {
    const cluster = fakeCluster();
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor(), limiter: unlimited() });
    const node = eventAbout('Node', '', 'worker-1', { uid: 'n1' });
    const rs = eventAbout('ReplicaSet', 'shop', 'web-5d8f');
    const deploy = eventAbout('Deployment', 'shop', 'web');
    await enricher.enrich([node, rs, deploy]);
    expect(node.enrichment).toMatchObject({
      labels: { zone: 'a' },
      node: { name: 'worker-1', addresses: [{ type: 'InternalIP', address: '10.0.0.10' }] },
      pod: null,
      owners: [],
      workload: null,
      errors: [],
    });
    expect(rs.enrichment).toMatchObject({ owners: [{ kind: 'Deployment', name: 'web' }], workload: { kind: 'Deployment', name: 'web' }, node: null, errors: [] });
    expect(deploy.enrichment).toMatchObject({
      labels: { app: 'web' },
      owners: [],
      workload: { kind: 'Deployment', name: 'web', uid: 'web-uid', apiVersion: 'apps/v1' },
      errors: [],
    });
  });

  it('unknown kinds are not looked up and record no error', async () => {
    const cluster = fakeCluster();
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor(), limiter: unlimited() });
    const records = [eventAbout('Rollout', 'shop', 'web', { apiVersion: 'argoproj.io/v1alpha1' }), eventAbout('', '', '')];
    await enricher.enrich(records);
    expect(cluster.total()).toBe(0);
    expect(records.map((r) => r.enrichment.errors)).toEqual([[], []]);
  });

  it('waits for the Services index to sync, and goes on without it after the timeout', async () => {
    const cluster = fakeCluster();
    const index = createServicesIndex();
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: index, limiter: unlimited() });
    const record = eventAbout('Pod', 'shop', 'web-1');
    const done = enricher.enrich([record]);
    index.apply({ kind: 'sync', objects: [{ metadata: { namespace: 'shop', name: 'web' }, spec: { selector: { app: 'web' } } }] });
    await done;
    expect(record.enrichment.services).toEqual([{ name: 'web', namespace: 'shop' }]);

    const never = createServicesIndex();
    const impatient = createEnricher({ get: cluster.get, config: ALL, services: never, limiter: unlimited(), servicesSyncTimeoutMs: 0 });
    const late = eventAbout('Pod', 'shop', 'web-1');
    await impatient.enrich([late]);
    expect(late.enrichment.errors).toEqual([{ lookup: 'services shop', message: 'services index not synced yet' }]);
    expect(late.enrichment.workload?.name).toBe('web');
    // Waited once: later chunks go on at once until the index syncs, then get services again.
    const next = eventAbout('Pod', 'shop', 'web-1');
    await impatient.enrich([next]);
    expect(next.enrichment.errors).toEqual([{ lookup: 'services shop', message: 'services index not synced yet' }]);
    never.apply({ kind: 'sync', objects: [{ metadata: { namespace: 'shop', name: 'web' }, spec: { selector: { app: 'web' } } }] });
    const synced = eventAbout('Pod', 'shop', 'web-1');
    await impatient.enrich([synced]);
    expect(synced.enrichment).toMatchObject({ services: [{ name: 'web', namespace: 'shop' }], errors: [] });
  });

  it('never rejects, whatever the getter does, and keeps errors already on the record', async () => {
    const enricher = createEnricher({
      get: () => {
        throw new Error('boom with password=hunter2');
      },
      config: ALL,
      limiter: unlimited(),
    });
    const record = eventAbout('Pod', 'shop', 'web-1');
    record.enrichment.errors.push({ lookup: 'earlier', message: 'kept' });
    await expect(enricher.enrich([record])).resolves.toBeUndefined();
    expect(record.enrichment.errors).toEqual([
      { lookup: 'earlier', message: 'kept' },
      { lookup: 'pod shop/web-1', message: 'failed: boom with password=[REDACTED]' },
    ]);

    const junk = createEnricher({ get: async () => 'not an object', config: ALL, limiter: unlimited() });
    const r2 = eventAbout('Pod', 'shop', 'web-1');
    await junk.enrich([r2]);
    expect(r2.enrichment).toMatchObject({ labels: {}, owners: [], pod: { ip: '', phase: '', startTime: null }, errors: [] });
  });

  it('an aborted enricher records lookups as aborted and still resolves', async () => {
    const controller = new AbortController();
    controller.abort();
    const cluster = fakeCluster();
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor(), signal: controller.signal, limiter: createTokenBucket({ qps: 1, burst: 1 }) });
    const record = eventAbout('Pod', 'shop', 'web-1');
    await enricher.enrich([record]);
    expect(record.enrichment.errors).toEqual([{ lookup: 'pod shop/web-1', message: 'aborted' }]);
    expect(cluster.total()).toBe(0);
  });

  it('the rate limit spaces GETs (injected clock)', async () => {
    const cluster = fakeCluster();
    const sleeps: number[] = [];
    const limiter = createTokenBucket({ qps: 10, burst: 2, now: () => 0, sleep: async (ms) => void sleeps.push(ms) });
    const enricher = createEnricher({ get: cluster.get, config: ALL, services: servicesFor(), limiter });
    await enricher.enrich([eventAbout('Pod', 'shop', 'web-1')]);
    expect(cluster.total()).toBe(4);
    expect(sleeps).toEqual([100, 200]);
    expect(enricher.stats()).toMatchObject({ throttled: 2, throttledMs: 300 });
  });
});
