import { describe, expect, it } from 'vitest';
import { matchesLabelMap, type KubeObject } from './selectors.js';
import { createClusterSimulation } from './simulate.js';
import { Store } from './store.js';

const clock = (): Date => new Date('2026-05-01T08:00:00Z');

function build(seed = 7) {
  const store = new Store({ now: clock, compactionWindow: 1_000_000 });
  const sim = createClusterSimulation(store, { seed, now: clock, namespaces: 2, nodes: 3, deployments: 2, replicas: 2 });
  return { store, sim };
}

const meta = (o: KubeObject): Record<string, unknown> => o.metadata ?? {};
const ownersOf = (o: KubeObject): { kind: string; name: string; uid: string }[] => (meta(o)['ownerReferences'] as { kind: string; name: string; uid: string }[] | undefined) ?? [];

describe('cluster simulation', () => {
  it('is deterministic for a seed', () => {
    const a = build(42);
    const b = build(42);
    const c = build(43);
    expect(JSON.stringify(a.store.list('pods'))).toBe(JSON.stringify(b.store.list('pods')));
    expect(JSON.stringify(a.sim.emit(300))).toBe(JSON.stringify(b.sim.emit(300)));
    expect(a.sim.produced).toEqual(b.sim.produced);
    expect(JSON.stringify(c.store.list('pods'))).not.toBe(JSON.stringify(a.store.list('pods')));
  });

  it('creates a consistent cluster: owners, labels, IPs, services', () => {
    const { store, sim } = build();
    expect(sim.namespaces).toEqual(['default', 'kube-system', 'shop', 'payments']);
    expect(store.list('namespaces').items).toHaveLength(4);
    const nodes = store.list('nodes').items;
    expect(nodes.map((n) => meta(n)['name'])).toEqual(['worker-1', 'worker-2', 'worker-3']);
    const nodeIP = new Map(nodes.map((n) => [meta(n)['name'], (n['status'] as { addresses: { address: string }[] }).addresses[0]!.address]));
    const uids = new Map<string, KubeObject>();
    for (const r of ['deployments', 'replicasets', 'statefulsets', 'daemonsets', 'jobs', 'cronjobs']) {
      for (const o of store.list(r).items) uids.set(String(meta(o)['uid']), o);
    }
    const pods = store.list('pods').items;
    // 2 namespaces × (2 deployments × 2 + 1 statefulset × 2 + 1 job pod) + 3 daemonset pods + 1 pending pod
    expect(pods).toHaveLength(2 * (4 + 2 + 1) + 3 + 1);
    expect(sim.pods).toHaveLength(pods.length);
    const topKinds = new Set<string>();
    for (const p of pods) {
      const [owner] = ownersOf(p);
      expect(owner, String(meta(p)['name'])).toBeDefined();
      const parent = uids.get(owner!.uid)!;
      expect(meta(parent)['name']).toBe(owner!.name);
      expect(parent['kind']).toBe(owner!.kind);
      // Walk to the top workload.
      let top = parent;
      while (ownersOf(top).length > 0) top = uids.get(ownersOf(top)[0]!.uid)!;
      topKinds.add(String(top['kind']));
      const status = p['status'] as { phase: string; podIP?: string; hostIP?: string; startTime?: string };
      const spec = p['spec'] as { nodeName?: string };
      if (status.phase === 'Pending') {
        expect(spec.nodeName).toBeUndefined();
      } else {
        expect(status.hostIP).toBe(nodeIP.get(spec.nodeName));
        expect(status.podIP).toMatch(/^10\.244\.\d+\.\d+$/);
        expect(status.startTime).toBe('2026-05-01T07:30:00Z');
      }
    }
    expect([...topKinds].sort()).toEqual(['CronJob', 'DaemonSet', 'Deployment', 'StatefulSet']);
    // Every service selects at least one pod of its namespace.
    for (const svc of store.list('services').items) {
      const sel = (svc['spec'] as { selector: Record<string, string> }).selector;
      const selected = pods.filter((p) => meta(p)['namespace'] === meta(svc)['namespace'] && matchesLabelMap(sel, meta(p)['labels'] as Record<string, string>));
      expect(selected.length, String(meta(svc)['name'])).toBeGreaterThan(0);
    }
  });

  it('emits realistic events, recurring ones as MODIFIED with a growing count', () => {
    const { store, sim } = build();
    const before = store.resourceVersion;
    const results = sim.emit(3000);
    expect(sim.produced).toHaveLength(3000);
    expect(new Set(sim.produced).size).toBe(3000);
    // produced is exactly what the store recorded for events.
    const changes = store.changesSince('events', before);
    expect(changes.map((c) => `${String(meta(c.cur.obj)['uid'])}:${c.rv}`)).toEqual(sim.produced);
    expect(changes.map((c) => c.type)).toEqual(results.map((r) => r.type));

    const reasons = new Set(results.map((r) => r.event['reason']));
    for (const r of ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started', 'BackOff', 'Unhealthy', 'OOMKilling', 'FailedScheduling', 'ScalingReplicaSet', 'NodeNotReady']) {
      expect(reasons.has(r), r).toBe(true);
    }
    const modified = results.filter((r) => r.type === 'MODIFIED');
    expect(modified.length).toBeGreaterThan(100);
    for (const m of modified) expect(['BackOff', 'Unhealthy', 'FailedScheduling']).toContain(m.event['reason']);
    // One BackOff event's history: same uid, count 1, 2, 3…
    const first = results.find((r) => r.type === 'ADDED' && r.event['reason'] === 'BackOff')!;
    const uid = meta(first.event)['uid'];
    const counts = results.filter((r) => meta(r.event)['uid'] === uid).map((r) => r.event['count']);
    expect(counts.length).toBeGreaterThan(1);
    expect(counts).toEqual(counts.map((_, i) => i + 1));

    // Every event points at an object that exists.
    for (const r of results.slice(0, 500)) {
      const io = r.event['involvedObject'] as { kind: string; name: string; namespace?: string; uid: string };
      const resource = { Pod: 'pods', Node: 'nodes', Deployment: 'deployments', ReplicaSet: 'replicasets', Job: 'jobs' }[io.kind]!;
      const obj = store.get(resource, io.namespace !== undefined ? `${io.namespace}/${io.name}` : io.name);
      expect(meta(obj)['uid']).toBe(io.uid);
    }
    const started = results.find((r) => r.event['reason'] === 'Started')!.event;
    expect(started).toMatchObject({ type: 'Normal', source: { component: 'kubelet' }, count: 1, firstTimestamp: '2026-05-01T08:00:00Z' });
    expect(String((started['involvedObject'] as { fieldPath: string }).fieldPath)).toMatch(/^spec\.containers\{.+\}$/);
  });

  it('runs at a rate until count or abort', async () => {
    const { store, sim } = build();
    expect(await sim.run({ rate: 5000, count: 250 })).toBe(250);
    expect(sim.produced).toHaveLength(250);

    const ac = new AbortController();
    let seen = 0;
    const unsubscribe = store.subscribe('events', () => {
      if (++seen === 40) ac.abort();
    });
    const n = await sim.run({ rate: 2000, signal: ac.signal });
    unsubscribe();
    expect(n).toBe(40);
    expect(sim.produced).toHaveLength(250 + n);
    expect(await sim.run({ rate: 10, signal: ac.signal })).toBe(0);
  });
});
