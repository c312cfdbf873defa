/**
 * Enrichment against the API-server double over HTTPS, through the Kubernetes source's client
 * (`createKubeClient`) and list+watch engine (`createListWatch`): every owner chain, node and
 * pod fields, services matching, deleted objects, 403s, service change records, and the burst
 * (10,000 events about 100 pods → 100 pod GETs, counted by the double).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterSimulation, startApiServer } from '../../../test/apiserver/src/index.js';
import type { ApiServerDouble, ClusterSimulation, SimulatedPod } from '../../../test/apiserver/src/index.js';
import { toRecord } from '../record/map.js';
import type { EventRecord } from '../record/types.js';
import { createKubeClient } from '../kube/client.js';
import type { KubeClient } from '../kube/client.js';
import { createListWatch } from '../kube/listwatch.js';
import type { SourceItem } from '../source/types.js';
import { createEnricher } from './enricher.js';
import type { EnricherConfig } from './enricher.js';
import { createTokenBucket } from './rate-limit.js';
import { createServicesIndex } from './services.js';
import type { ServiceChange, ServicesIndex } from './services.js';
import type { JsonGetter } from './types.js';

const TOKEN = 'sup3r-s3cret-t0ken';
const ALL: EnricherConfig = { objects: true, owners: true, nodes: true, services: true };

let server: ApiServerDouble;
let sim: ClusterSimulation;
let dir: string;
let client: KubeClient;
let get: JsonGetter;
const stop = new AbortController();
let services: ServicesIndex;
/** Changes the shared index reported, and waiters for them. */
const changes: ServiceChange[] = [];
let changeWaiters: (() => void)[] = [];

/** Resolves once `pred()` holds, re-checked at every service change (no sleeping). */
function whenChanges(pred: (all: readonly ServiceChange[]) => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (pred(changes)) resolve();
      else changeWaiters.push(check);
    };
    check();
  });
}

beforeAll(async () => {
  server = await startApiServer({ https: true, token: TOKEN });
  // 5 namespaces × 4 deployments × 5 replicas = 100 deployment pods, plus StatefulSet, CronJob and DaemonSet pods.
  sim = createClusterSimulation(server.store, { seed: 42, namespaces: 5, deployments: 4, replicas: 5 });
  dir = await mkdtemp(join(tmpdir(), 'k8stream-enrich-'));
  client = createKubeClient({ kubeconfig: await server.writeKubeconfig(dir), context: null });
  get = (path, signal) => client.getJSON(path, {}, signal);
  services = createServicesIndex({
    onChange: (c) => {
      changes.push(c);
      const waiting = changeWaiters;
      changeWaiters = [];
      waiting.forEach((w) => w());
    },
  });
  void services.run(createListWatch({ client, path: '/api/v1/services', signal: stop.signal }), stop.signal);
  await services.whenSynced();
});

afterAll(async () => {
  stop.abort();
  client?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

let seq = 0;
/** A kubelet-style event record about a pod (source.host = its node). */
function podEvent(pod: Pick<SimulatedPod, 'namespace' | 'name' | 'uid' | 'nodeName'>): EventRecord {
  seq++;
  return toRecord(
    {
      metadata: { name: `${pod.name}.${seq}`, namespace: pod.namespace, uid: `ev-${seq}`, resourceVersion: String(seq) },
      involvedObject: { kind: 'Pod', namespace: pod.namespace, name: pod.name, uid: pod.uid, apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
      reason: 'BackOff',
      message: 'Back-off restarting failed container',
      source: { component: 'kubelet', host: pod.nodeName },
      count: 1,
      type: 'Warning',
    },
    { cluster: 'test', action: 'ADDED' },
  );
}

function fastEnricher(extra: Partial<Parameters<typeof createEnricher>[0]> = {}) {
  return createEnricher({ get, config: ALL, services, limiter: createTokenBucket({ qps: 5000, burst: 500 }), ...extra });
}

const podOf = (kind: SimulatedPod['workload']['kind']): SimulatedPod => {
  const pod = sim.pods.find((p) => p.workload.kind === kind && p.nodeName !== '');
  if (!pod) throw new Error(`no ${kind} pod in the simulation`);
  return pod;
};

const ownerUid = (resource: string, namespace: string, name: string): string => String((server.store.get(resource, { namespace, name }).metadata as { uid: string }).uid);

const nodeAddresses = (pod: SimulatedPod) => [
  { type: 'InternalIP', address: pod.hostIP },
  { type: 'Hostname', address: pod.nodeName },
];

describe('enrichment against the API server', () => {
  it('Deployment → ReplicaSet → Pod: owners, workload, labels, pod fields, node, services', async () => {
    const pod = podOf('Deployment');
    const rs = (server.store.get('pods', { namespace: pod.namespace, name: pod.name }).metadata as { ownerReferences: { name: string }[] }).ownerReferences[0]!.name;
    const record = podEvent(pod);
    await fastEnricher().enrich([record]);
    expect(record.enrichment).toEqual({
      labels: pod.labels,
      annotations: {},
      owners: [
        { kind: 'ReplicaSet', name: rs, uid: ownerUid('replicasets', pod.namespace, rs), apiVersion: 'apps/v1' },
        { kind: 'Deployment', name: pod.workload.name, uid: ownerUid('deployments', pod.namespace, pod.workload.name), apiVersion: 'apps/v1' },
      ],
      workload: { kind: 'Deployment', name: pod.workload.name, uid: ownerUid('deployments', pod.namespace, pod.workload.name), apiVersion: 'apps/v1' },
      node: { name: pod.nodeName, addresses: nodeAddresses(pod) },
      pod: { ip: pod.podIP, hostIP: pod.hostIP, phase: 'Running', startTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/) },
      services: [{ name: pod.workload.name, namespace: pod.namespace }],
      errors: [],
    });
  });

  it('CronJob → Job → Pod', async () => {
    const pod = podOf('CronJob');
    const job = pod.labels['job-name']!;
    const record = podEvent(pod);
    await fastEnricher().enrich([record]);
    expect(record.enrichment.owners).toEqual([
      { kind: 'Job', name: job, uid: ownerUid('jobs', pod.namespace, job), apiVersion: 'batch/v1' },
      { kind: 'CronJob', name: pod.workload.name, uid: ownerUid('cronjobs', pod.namespace, pod.workload.name), apiVersion: 'batch/v1' },
    ]);
    expect(record.enrichment.workload).toMatchObject({ kind: 'CronJob', name: pod.workload.name });
    expect(record.enrichment.pod).toMatchObject({ phase: 'Succeeded', ip: pod.podIP });
    expect(record.enrichment.services).toEqual([]);
    expect(record.enrichment.errors).toEqual([]);
  });

  it('StatefulSet → Pod (selected by its headless Service)', async () => {
    const pod = podOf('StatefulSet');
    const record = podEvent(pod);
    await fastEnricher().enrich([record]);
    expect(record.enrichment.owners).toEqual([
      { kind: 'StatefulSet', name: pod.workload.name, uid: ownerUid('statefulsets', pod.namespace, pod.workload.name), apiVersion: 'apps/v1' },
    ]);
    expect(record.enrichment.workload?.kind).toBe('StatefulSet');
    expect(record.enrichment.services).toEqual([{ name: pod.workload.name, namespace: pod.namespace }]);
    expect(record.enrichment.errors).toEqual([]);
  });

  it('DaemonSet → Pod', async () => {
    const pod = podOf('DaemonSet');
    const record = podEvent(pod);
    await fastEnricher().enrich([record]);
    expect(pod.namespace).toBe('kube-system');
    expect(record.enrichment.owners).toEqual([
      { kind: 'DaemonSet', name: pod.workload.name, uid: ownerUid('daemonsets', pod.namespace, pod.workload.name), apiVersion: 'apps/v1' },
    ]);
    expect(record.enrichment.workload?.kind).toBe('DaemonSet');
    expect(record.enrichment.node).toEqual({ name: pod.nodeName, addresses: nodeAddresses(pod) });
    expect(record.enrichment.errors).toEqual([]);
  });

  it('a Node event gets the node addresses and labels', async () => {
    const pod = podOf('DaemonSet');
    const nodeUid = String((server.store.get('nodes', pod.nodeName).metadata as { uid: string }).uid);
    const record = toRecord(
      {
        metadata: { name: `${pod.nodeName}.x`, namespace: 'default', uid: 'node-ev-1', resourceVersion: '1' },
        involvedObject: { kind: 'Node', name: pod.nodeName, uid: nodeUid, apiVersion: 'v1' },
        reason: 'NodeNotReady',
        message: 'Node is not ready',
        source: { component: 'node-controller' },
        type: 'Normal',
      },
      { cluster: 'test', action: 'ADDED' },
    );
    await fastEnricher().enrich([record]);
    expect(record.enrichment).toMatchObject({
      labels: { 'kubernetes.io/hostname': pod.nodeName },
      node: { name: pod.nodeName, addresses: nodeAddresses(pod) },
      pod: null,
      owners: [],
      errors: [],
    });
  });

  it('services matching: several services select the pod, one with an extra label and one without selector do not', async () => {
    const pod = podOf('Deployment');
    const app = pod.labels['app']!;
    const mk = (name: string, selector?: Record<string, string>) =>
      server.store.create('services', { metadata: { namespace: pod.namespace, name }, spec: { ...(selector ? { selector } : {}), ports: [{ port: 80 }] } });
    const before = changes.length;
    mk(`${app}-all`, { app });
    mk(`${app}-hash`, { 'pod-template-hash': pod.labels['pod-template-hash']! });
    mk(`${app}-canary`, { app, track: 'canary' });
    mk(`${app}-external`);
    await whenChanges((all) => all.length >= before + 4);

    const record = podEvent(pod);
    await fastEnricher().enrich([record]);
    expect(record.enrichment.services).toEqual([app, `${app}-all`, `${app}-hash`].sort().map((name) => ({ name, namespace: pod.namespace })));
  });

  it('a deleted pod: the event is still enriched, with errors; not dropped', async () => {
    const pod = sim.pods.filter((p) => p.workload.kind === 'Deployment' && p.nodeName !== '').at(-1)!;
    server.store.delete('pods', { namespace: pod.namespace, name: pod.name });
    const records = [podEvent(pod), podEvent(pod)];
    const enricher = fastEnricher();
    await enricher.enrich(records);
    expect(records).toHaveLength(2);
    for (const record of records) {
      expect(record.enrichment).toEqual({
        labels: {},
        annotations: {},
        owners: [],
        workload: null,
        node: { name: pod.nodeName, addresses: nodeAddresses(pod) },
        pod: null,
        services: [],
        errors: [{ lookup: `pod ${pod.namespace}/${pod.name}`, message: 'not found (404)' }],
      });
    }
    expect(enricher.stats()).toMatchObject({ failedGets: 1, errors: 2 });
  });

  it('a 403 on a lookup is recorded without secrets; the rest of the enrichment stays', async () => {
    const pod = podOf('Deployment');
    const lift = server.rbac.deny({ verb: 'get', resource: 'replicasets' });
    try {
      const record = podEvent(pod);
      await fastEnricher().enrich([record]);
      const rs = record.enrichment.owners[0]!.name;
      expect(record.enrichment.errors).toEqual([{ lookup: `replicaset ${pod.namespace}/${rs}`, message: 'forbidden (403)' }]);
      expect(record.enrichment.owners.map((o) => o.kind)).toEqual(['ReplicaSet']);
      expect(record.enrichment.labels).toEqual(pod.labels);
      expect(record.enrichment.node?.name).toBe(pod.nodeName);
      const json = JSON.stringify(record);
      expect(json).not.toContain(TOKEN);
      expect(json).not.toContain('system:serviceaccount');
    } finally {
      lift();
    }
  });

  it('burst: 10,000 events about 100 pods in chunks of 256 make exactly 100 pod GETs', async () => {
    const pods = sim.pods.filter((p) => p.workload.kind === 'Deployment').slice(0, 100);
    expect(pods).toHaveLength(100);
    // Spread the events like a real stream: every chunk mentions many pods, each pod in many chunks.
    const records = Array.from({ length: 10_000 }, (_, i) => podEvent(pods[(i * 37) % 100]!));
    server.stats.reset();
    const enricher = fastEnricher();
    for (let i = 0; i < records.length; i += 256) await enricher.enrich(records.slice(i, i + 256));

    const podGets = server.stats.count({ verb: 'get', resource: 'pods' });
    expect(podGets).toBeLessThanOrEqual(100);
    // The one deleted pod above answers 404 (cached): still one GET.
    expect(podGets).toBe(100);
    const replicaSets = new Set(records.map((r) => r.enrichment.owners[0]?.name).filter(Boolean)).size;
    expect(server.stats.count({ verb: 'get', resource: 'replicasets.apps' })).toBe(replicaSets);
    expect(server.stats.count({ verb: 'get', resource: 'nodes' })).toBe(new Set(pods.map((p) => p.nodeName)).size);
    expect(server.stats.count({ verb: 'list' })).toBe(0);
    const stats = enricher.stats();
    expect(stats.gets).toBe(server.stats.count({ verb: 'get' }));
    expect(stats.misses).toBe(stats.gets);
    const enriched = records.filter((r) => r.enrichment.workload?.kind === 'Deployment').length;
    const deleted = records.filter((r) => r.enrichment.errors.some((e) => e.message === 'not found (404)')).length;
    expect(enriched + deleted).toBe(10_000);
    expect(deleted).toBe(100);
  });

  it('the default QPS limit spaces the GETs of a cold cache', async () => {
    const pods = sim.pods.filter((p) => p.workload.kind === 'Deployment').slice(0, 10);
    const enricher = createEnricher({ get, config: { objects: true, owners: false, nodes: false, services: false, qps: 20, burst: 5 }, services });
    const started = performance.now();
    await enricher.enrich(pods.map((p) => podEvent(p)));
    // 5 at once, then 5 more at 20/s: the last one waits 250 ms.
    expect(performance.now() - started).toBeGreaterThanOrEqual(240);
    expect(enricher.stats()).toMatchObject({ gets: 10, throttled: 5 });
  });
});

describe('service change records from the Services watch', () => {
  it('emits ServiceAdded / ServiceUpdated / ServiceDeleted with the pods behind, one pod LIST per change', async () => {
    const signal = new AbortController();
    const index = createServicesIndex({ changes: { get, now: () => new Date('2026-05-06T07:08:09Z') } });
    const running = index.run(createListWatch({ client, path: '/api/v1/namespaces/shop/services', signal: signal.signal }), signal.signal);
    await index.whenSynced();
    const items: SourceItem[] = [];
    const reader = index.serviceChanges()[Symbol.asyncIterator]();

    const pod = sim.pods.find((p) => p.namespace === 'shop' && p.workload.kind === 'Deployment')!;
    const app = pod.labels['app']!;
    const behind = sim.pods
      .filter((p) => p.namespace === 'shop' && p.labels['app'] === app)
      .filter((p) => server.store.list('pods', { namespace: 'shop' }).items.some((o) => (o.metadata as { name: string }).name === p.name))
      .map((p) => p.name)
      .sort();
    const lists = server.stats.count({ verb: 'list', resource: 'pods' });

    const created = server.store.create('services', {
      metadata: { namespace: 'shop', name: 'changes-demo' },
      spec: { selector: { app }, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
    const svcUid = (created.metadata as { uid: string }).uid;
    server.store.patch('services', 'shop/changes-demo', { spec: { ports: [{ name: 'http', port: 8080, targetPort: 8080, protocol: 'TCP' }] } }, 'merge');
    server.store.patch('services', 'shop/changes-demo', { metadata: { labels: { unrelated: 'change' } } }, 'merge');
    server.store.delete('services', 'shop/changes-demo');
    while (items.length < 3) {
      const next = await reader.next();
      if (next.done) break;
      items.push(...next.value);
    }
    signal.abort();
    await running;
    // The feed ended: the change stream ends too, with nothing more in it.
    expect(await reader.next()).toEqual({ done: true, value: undefined });

    const pods = `${behind.length} pods: ${behind.join(', ')}`;
    expect(items.map((i) => (i.object as { message: string }).message)).toEqual([
      `Service shop/changes-demo added: selector app=${app}; ports http:80/TCP->8080; ${pods}`,
      `Service shop/changes-demo updated: selector app=${app}; ports http:8080/TCP->8080 (was http:80/TCP->8080); ${pods}`,
      `Service shop/changes-demo deleted: selector app=${app}; ports http:8080/TCP->8080; ${pods}`,
    ]);
    expect(items.map((i) => (i.object as { involvedObject: { uid: string } }).involvedObject.uid)).toEqual([svcUid, svcUid, svcUid]);
    const records = items.map((i) => toRecord(i.object, { cluster: 'test', action: i.type }));
    expect(records.map((r) => r.reason)).toEqual(['ServiceAdded', 'ServiceUpdated', 'ServiceDeleted']);
    expect(new Set(records.map((r) => r.id)).size).toBe(3);
    // Same selector for all three changes: one LIST, reused.
    expect(server.stats.count({ verb: 'list', resource: 'pods' }) - lists).toBe(1);
  });
});
