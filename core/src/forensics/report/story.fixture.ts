/**
 * Timelines to render in tests and for the README's screenshot: a small incident story (a service,
 * a Deployment rolled out to a crash-looping ReplicaSet and rolled back, two nodes, one of them
 * going NotReady, a gap in the archive) and a generated one of any size.
 */
import type { FoldedEntry, Lane, TimelineData, TimelineEvent } from '../types.js';
import { Rng } from '@k8stream/apiserver-double';

const NS = 'shop';
const lane = (role: Lane['role'], kind: string, name: string, group: string, namespace = NS): Lane => ({
  key: namespace ? `${kind}/${namespace}/${name}` : `${kind}/${name}`,
  role,
  kind,
  namespace,
  name,
  group,
});

/** Folds consecutive records of one lane with the same type, reason and message, as the timeline does. */
export function foldEvents(events: TimelineEvent[]): FoldedEntry[] {
  const open = new Map<string, FoldedEntry>();
  const out: FoldedEntry[] = [];
  for (const e of events) {
    const last = open.get(e.lane);
    if (last && last.type === e.type && last.reason === e.reason && last.message === e.message) {
      last.count += e.count;
      last.records++;
      last.last = e.time;
      continue;
    }
    const entry: FoldedEntry = { lane: e.lane, type: e.type, reason: e.reason, message: e.message, count: e.count, records: 1, first: e.firstTime, last: e.time };
    open.set(e.lane, entry);
    out.push(entry);
  }
  return out.sort((a, b) => a.first.localeCompare(b.first));
}

/** A complete TimelineData around lanes and events: folded entries, top reasons, counts and stats derived from them. */
export function timelineOf(parts: { title: string; from: string; to: string; lanes: Lane[]; events: TimelineEvent[]; gaps?: TimelineData['gaps'] }): TimelineData {
  const events = [...parts.events].sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
  const reasons = new Map<string, { reason: string; type: string; records: number }>();
  for (const e of events) {
    const r = reasons.get(e.reason) ?? { reason: e.reason, type: e.type, records: 0 };
    r.records++;
    if (e.type === 'Warning') r.type = 'Warning';
    reasons.set(e.reason, r);
  }
  const [namespace = '', name = ''] = parts.title.replace(/^service /, '').split('/');
  return {
    subject: { kind: 'service', namespace, name },
    title: parts.title,
    window: { from: parts.from, to: parts.to },
    archive: '/var/lib/k8stream/archive',
    clusters: ['prod-eu1'],
    lanes: parts.lanes,
    events,
    folded: foldEvents(events),
    gaps: parts.gaps ?? [],
    topReasons: [...reasons.values()].sort((a, b) => b.records - a.records || a.reason.localeCompare(b.reason)).slice(0, 10),
    warnings: events.filter((e) => e.type === 'Warning').length,
    stats: {
      files: 24,
      records: events.length,
      duplicates: 3,
      malformedLines: 0,
      foreignRecords: 0,
      skippedObjects: [],
      partitions: ['events/cluster=prod-eu1/dt=2026-12-08/hour=10/', 'events/cluster=prod-eu1/dt=2026-12-08/hour=11/'],
      objectsListed: 24,
      objectsFetched: 24,
      bytesFetched: 1_843_200,
    },
    generatedAt: '2026-12-08T12:03:11.000Z',
  };
}

/** The lanes of the story, in the order the timeline lists them. */
export function storyLanes(): Lane[] {
  const deploy = 'Deployment/shop/web';
  return [
    lane('service', 'Service', 'web', 'service'),
    lane('workload', 'Deployment', 'web', deploy),
    lane('owner', 'ReplicaSet', 'web-6f7c9d', deploy),
    lane('owner', 'ReplicaSet', 'web-84b5d7', deploy),
    lane('pod', 'Pod', 'web-6f7c9d-k2x8q', deploy),
    lane('pod', 'Pod', 'web-6f7c9d-p9l4m', deploy),
    lane('pod', 'Pod', 'web-84b5d7-ztq2n', deploy),
    lane('pod', 'Pod', 'web-84b5d7-xw7rd', deploy),
    lane('node', 'Node', 'node-a', 'nodes', ''),
    lane('node', 'Node', 'node-b', 'nodes', ''),
  ];
}

/**
 * 10:00–12:00: web is rolled out at 10:20 to ReplicaSet web-84b5d7, whose pods crash-loop; node-b
 * goes NotReady at 10:52; the archive has a gap 11:05–11:12; the rollout is undone at 11:30.
 */
export function storyTimeline(): TimelineData {
  const events: TimelineEvent[] = [];
  const at = (minute: number, second = 0) => new Date(Date.UTC(2026, 11, 8, 10, minute, second)).toISOString();
  const add = (laneKey: string, minute: number, type: string, reason: string, message: string, count = 1, firstMinute = minute) => {
    const time = at(Math.floor(minute), Math.round((minute % 1) * 60));
    events.push({ id: `ev-${events.length}`, time, firstTime: firstMinute === minute ? time : at(firstMinute), type, reason, message, count, lane: laneKey });
  };
  const dep = 'Deployment/shop/web';
  const oldRs = 'ReplicaSet/shop/web-6f7c9d';
  const newRs = 'ReplicaSet/shop/web-84b5d7';
  const newPods = ['Pod/shop/web-84b5d7-ztq2n', 'Pod/shop/web-84b5d7-xw7rd'];
  const oldPods = ['Pod/shop/web-6f7c9d-k2x8q', 'Pod/shop/web-6f7c9d-p9l4m'];
  add(dep, 20, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-84b5d7 from 0 to 1');
  add(newRs, 20.1, 'Normal', 'SuccessfulCreate', 'Created pod: web-84b5d7-ztq2n');
  add(newRs, 20.2, 'Normal', 'SuccessfulCreate', 'Created pod: web-84b5d7-xw7rd');
  newPods.forEach((pod, i) => {
    const node = i === 0 ? 'node-a' : 'node-b';
    add(pod, 20.3 + i * 0.1, 'Normal', 'Scheduled', `Successfully assigned shop/${pod.split('/')[2]} to ${node}`);
    add(pod, 20.6 + i * 0.1, 'Normal', 'Pulling', 'Pulling image "registry.example/shop/web:2.4.0"');
    add(pod, 21.5 + i * 0.1, 'Normal', 'Pulled', 'Successfully pulled image "registry.example/shop/web:2.4.0" in 52.1s');
    add(pod, 21.6 + i * 0.1, 'Normal', 'Created', 'Created container web');
    add(pod, 21.7 + i * 0.1, 'Normal', 'Started', 'Started container web');
    for (let m = 22 + i; m < 90; m += 1.5 + i * 0.5) {
      if (m > 65 && m < 72) continue; // the archive's gap
      add(pod, m, 'Warning', 'BackOff', 'Back-off restarting failed container web in pod ' + pod.split('/')[2] + '_shop(…)', Math.round((m - 20) / 2), 22);
      if (Math.round(m) % 4 === 0)
        add(pod, m + 0.3, 'Warning', 'Unhealthy', 'Readiness probe failed: Get "http://10.4.2.17:8080/healthz": dial tcp 10.4.2.17:8080: connect: connection refused');
    }
    add(pod, 91 + i * 0.2, 'Normal', 'Killing', 'Stopping container web');
  });
  add(dep, 24, 'Warning', 'ProgressDeadlineExceeded', 'ReplicaSet "web-84b5d7" has timed out progressing.');
  add(
    'Service/shop/web',
    25,
    'Warning',
    'FailedToUpdateEndpoint',
    'Failed to update endpoint shop/web: Operation cannot be fulfilled on endpoints "web": the object has been modified',
  );
  add('Node/node-b', 52, 'Normal', 'NodeNotReady', 'Node node-b status is now: NodeNotReady');
  add('Node/node-b', 52.2, 'Warning', 'SystemOOM', 'System OOM encountered, victim process: java, pid: 48211 <script>alert(1)</script>');
  add(oldPods[1] ?? '', 53, 'Normal', 'TaintManagerEviction', 'Marking for deletion Pod shop/web-6f7c9d-p9l4m');
  add(oldPods[1] ?? '', 53.5, 'Normal', 'Killing', 'Stopping container web');
  add(oldRs, 54, 'Normal', 'SuccessfulCreate', 'Created pod: web-6f7c9d-r5v2c');
  add('Node/node-b', 61, 'Normal', 'NodeReady', 'Node node-b status is now: NodeReady');
  add(dep, 90, 'Normal', 'DeploymentRollback', 'Rolled back deployment "web" to revision 41');
  add(dep, 90.5, 'Normal', 'ScalingReplicaSet', 'Scaled down replica set web-84b5d7 from 2 to 0');
  add(newRs, 91, 'Normal', 'SuccessfulDelete', 'Deleted pod: web-84b5d7-ztq2n');
  add(newRs, 91.2, 'Normal', 'SuccessfulDelete', 'Deleted pod: web-84b5d7-xw7rd');
  add(oldPods[0] ?? '', 5, 'Normal', 'Pulled', 'Container image "registry.example/shop/web:2.3.9" already present on machine');
  add('Node/node-a', 100, 'Normal', 'ImageGCFailed', 'wanted to free 2.1 GiB but freed 0 B');
  return timelineOf({
    title: 'service shop/web',
    from: at(0),
    to: at(120),
    lanes: storyLanes(),
    events,
    gaps: [{ from: at(65), to: at(72), message: 'watch of events was interrupted from 11:05:00 to 11:12:00 (410 Gone, relisted); events in between may be missing' }],
  });
}

/** `n` events over 6 hours on a Deployment with 5 ReplicaSets of 12 pods each and 6 nodes, one gap. */
export function generatedTimeline(n: number, seed = 18): TimelineData {
  const rng = new Rng(seed);
  const rand = () => rng.next();
  const deploy = 'Deployment/shop/checkout';
  const lanes: Lane[] = [lane('service', 'Service', 'checkout', 'service'), lane('workload', 'Deployment', 'checkout', deploy)];
  for (let r = 0; r < 5; r++) {
    lanes.push(lane('owner', 'ReplicaSet', `checkout-rs${r}`, deploy));
    for (let p = 0; p < 12; p++) lanes.push(lane('pod', 'Pod', `checkout-rs${r}-pod${p}`, deploy));
  }
  for (let i = 0; i < 6; i++) lanes.push(lane('node', 'Node', `node-${i}`, 'nodes', ''));
  const from = Date.UTC(2026, 11, 8, 6, 0, 0);
  const span = 6 * 3600_000;
  const reasons: [string, string][] = [
    ['Normal', 'Pulled'],
    ['Normal', 'Created'],
    ['Normal', 'Started'],
    ['Warning', 'BackOff'],
    ['Warning', 'Unhealthy'],
    ['Normal', 'Scheduled'],
    ['Warning', 'FailedMount'],
    ['Normal', 'Killing'],
    ['Info', 'Custom'],
  ];
  const events: TimelineEvent[] = [];
  for (let i = 0; i < n; i++) {
    const l = lanes[Math.floor(rand() * lanes.length)] as Lane;
    const [type, reason] = reasons[Math.floor(rand() * reasons.length)] as [string, string];
    const time = new Date(from + Math.floor(rand() * span)).toISOString();
    events.push({ id: `gen-${i}`, time, firstTime: time, type, reason, message: `${reason} on ${l.name} (#${i % 97})`, count: 1 + (i % 5), lane: l.key });
  }
  return timelineOf({
    title: 'service shop/checkout',
    from: new Date(from).toISOString(),
    to: new Date(from + span).toISOString(),
    lanes,
    events,
    gaps: [{ from: new Date(from + 2 * 3600_000).toISOString(), to: new Date(from + 2.25 * 3600_000).toISOString(), message: 'watch gap' }],
  });
}
