import { describe, expect, it } from 'vitest';
import { matchesLabelMap, type KubeObject } from './selectors.js';
import { createIncidentStory, laneKey } from './story.js';
import { Store } from './store.js';

const clock = (): Date => new Date('2026-12-08T10:00:00Z');

function build() {
  const store = new Store({ now: clock, compactionWindow: 1_000_000 });
  return { store, story: createIncidentStory(store) };
}

const meta = (o: KubeObject): Record<string, unknown> => o.metadata ?? {};
const named = (store: Store, resource: string, namespace: string, name: string): KubeObject => store.list(resource, { namespace }).items.find((o) => meta(o)['name'] === name)!;

describe('incident story', () => {
  it('is deterministic: same objects, same Events, same ids', () => {
    const a = build();
    const b = build();
    expect(JSON.stringify(a.store.list('pods'))).toBe(JSON.stringify(b.store.list('pods')));
    a.story.play();
    b.story.play();
    expect(a.story.produced).toEqual(b.story.produced);
    expect(JSON.stringify(a.store.list('events'))).toBe(JSON.stringify(b.store.list('events')));
  });

  it('Service shop/web selects exactly the pods of Deployment shop/web, each owned through a ReplicaSet', () => {
    const { store } = build();
    const web = named(store, 'services', 'shop', 'web');
    const selector = (web['spec'] as { selector: Record<string, string> }).selector;
    const selected = store.list('pods', { namespace: 'shop' }).items.filter((p) => matchesLabelMap(selector, (meta(p)['labels'] ?? {}) as Record<string, string>));
    expect(selected.map((p) => meta(p)['name']).sort()).toEqual(['web-6d4cf56db6-h2b8k', 'web-6d4cf56db6-mzq4x', 'web-7f9c8b7d45-x7k2p']);
    const deployment = named(store, 'deployments', 'shop', 'web');
    for (const pod of selected) {
      const [rsRef] = meta(pod)['ownerReferences'] as { kind: string; name: string; uid: string }[];
      const rs = named(store, 'replicasets', 'shop', rsRef!.name);
      expect(meta(rs)['uid']).toBe(rsRef!.uid);
      const [depRef] = meta(rs)['ownerReferences'] as { kind: string; uid: string }[];
      expect(depRef).toMatchObject({ kind: 'Deployment', uid: meta(deployment)['uid'] });
    }
    const nodeOf = (name: string) => (named(store, 'pods', 'shop', name)['spec'] as { nodeName: string }).nodeName;
    expect(nodeOf('web-6d4cf56db6-h2b8k')).toBe('node-2');
    expect(nodeOf('cart-5b8d7c9f4d-q2w3e')).toBe('node-3');
  });

  it('play() writes each Event as scripted: a recurrence updates the same Event with the next count', () => {
    const { store, story } = build();
    expect(store.count('events')).toBe(0);
    expect(story.play()).toBe(story.writes.length);
    expect(() => story.play()).toThrow(/already been played/);
    expect(new Set(story.produced).size).toBe(story.writes.length);
    const times = story.writes.map((w) => w.time);
    expect(times).toEqual([...times].sort());
    expect(new Set(times).size).toBe(times.length);

    const backOff = story.writes.filter((w) => w.reason === 'BackOff');
    expect(backOff.map((w) => w.count)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(backOff.map((w) => w.action)).toEqual(['ADDED', ...Array<string>(7).fill('MODIFIED')]);
    // The store holds each Event at its last write; the crash loop is one Event.
    const events = store.list('events').items;
    expect(events).toHaveLength(new Set(story.writes.map((w) => w.event)).size);
    const stored = events.find((e) => e['reason'] === 'BackOff')!;
    expect(stored).toMatchObject({ count: 8, firstTimestamp: backOff[0]!.time, lastTimestamp: backOff[7]!.time, type: 'Warning' });
    expect(stored['involvedObject']).toMatchObject({ kind: 'Pod', namespace: 'shop', name: 'web-7f9c8b7d45-x7k2p' });
    // Node events have no namespace on the involved object, and live in `default`.
    const node = events.find((e) => e['reason'] === 'NodeNotReady' && (e['involvedObject'] as { kind: string }).kind === 'Node')!;
    expect(meta(node)['namespace']).toBe('default');
    expect(node['involvedObject']).not.toHaveProperty('namespace');
  });

  it('tells the expected story of service shop/web: lanes in order, the crash loop folded, the rest left out', () => {
    const { story } = build();
    const e = story.expected;
    expect(e.window).toEqual({ from: '2026-03-02T09:38:00Z', to: '2026-03-02T10:09:00Z' });
    const lanes = Object.fromEntries(e.lanes.map((l) => [l.key, l.reasons]));
    expect(lanes).toEqual({
      'Deployment/shop/web': ['ScalingReplicaSet', 'ScalingReplicaSet'],
      'ReplicaSet/shop/web-7f9c8b7d45': ['SuccessfulCreate'],
      'Pod/shop/web-7f9c8b7d45-x7k2p': ['Scheduled', 'Pulling', 'Pulled', 'Created', 'Started', ...Array<string>(8).fill('BackOff'), 'Unhealthy'],
      'ReplicaSet/shop/web-6d4cf56db6': ['SuccessfulDelete'],
      'Pod/shop/web-6d4cf56db6-mzq4x': ['Killing'],
      'Node/node-2': ['NodeNotReady'],
      'Pod/shop/web-6d4cf56db6-h2b8k': ['NodeNotReady'],
      'Endpoints/shop/web': ['FailedToUpdateEndpoint'],
      'Service/shop/web': ['FailedToUpdateEndpointSlices'],
    });
    expect(e.lanes.find((l) => l.key === 'Node/node-2')).toMatchObject({ role: 'node', group: 'nodes', namespace: '' });
    expect(e.lanes.find((l) => l.key === 'ReplicaSet/shop/web-7f9c8b7d45')).toMatchObject({ role: 'owner', group: 'Deployment/shop/web' });
    const loop = e.folded.filter((f) => f.reason === 'BackOff');
    expect(loop).toEqual([
      { lane: 'Pod/shop/web-7f9c8b7d45-x7k2p', type: 'Warning', reason: 'BackOff', count: 8, records: 8, first: '2026-03-02T09:43:00Z', last: '2026-03-02T10:02:30Z' },
    ]);
    expect(e.sequence.map((s) => s.reason).filter((r, i, all) => r !== all[i - 1])).toEqual([
      'ScalingReplicaSet',
      'SuccessfulCreate',
      'Scheduled',
      'Pulling',
      'Pulled',
      'Created',
      'Started',
      'ScalingReplicaSet',
      'SuccessfulDelete',
      'Killing',
      'BackOff',
      'NodeNotReady',
      'FailedToUpdateEndpoint',
      'FailedToUpdateEndpointSlices',
      'BackOff',
      'Unhealthy',
    ]);
    expect(e.unrelatedLanes.sort()).toEqual(['Deployment/staging/web', 'Endpoints/shop/cart', 'Node/node-3', 'Node/node-4', 'Pod/shop/cart-5b8d7c9f4d-q2w3e']);
    expect(e.records).toBe(story.writes.length);
    expect(e.serviceRecords + story.writes.filter((w) => w.thread !== 'web').length).toBe(e.records);
    expect(e.reasonCounts['BackOff']).toBe(8);
    expect(laneKey({ kind: 'Node', namespace: '', name: 'node-2' })).toBe('Node/node-2');
  });
});
