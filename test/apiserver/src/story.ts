/**
 * A scripted incident with a known story, for the forensics tests: the same objects, Events
 * and timestamps every time. Namespace `shop`; Service `shop/web` selects the pods of
 * Deployment `shop/web`.
 *
 *   09:42  a rollout: ScalingReplicaSet on the Deployment, SuccessfulCreate on the new
 *          ReplicaSet, the new pod Scheduled → Pulling → Pulled → Created → Started; the old
 *          ReplicaSet scaled down, its pod on node-1 deleted (Killing)
 *   09:43  the new pod crash-loops: one BackOff Event updated with a growing `count` (1 → 8,
 *          the last at 10:02:30), then Unhealthy (10:07)
 *   09:58  node-2, running the last old web pod, goes NodeNotReady (on the Node and the pod)
 *   10:01  the Service loses its endpoints: FailedToUpdateEndpoint on Endpoints `shop/web`,
 *          FailedToUpdateEndpointSlices on the Service
 *
 * Around it, things a timeline of `shop/web` must leave out: Service `shop/cart` with its own
 * Deployment and pod on node-3 and its own Warnings (the same FailedToUpdateEndpoint reason),
 * node-3's and node-4's own events, and a Deployment `staging/web` (same name, other namespace).
 *
 * {@link createIncidentStory} creates the objects at once; {@link IncidentStory.play} writes
 * the Events (ADDED, then MODIFIED for each recurrence), in time order. `expected` is the story
 * as a timeline of `service shop/web` must tell it.
 */
import { Rng } from './rng.js';
import type { KubeObject } from './selectors.js';
import type { Store } from './store.js';

/** When the story starts by default: 2026-03-02T09:40:00Z (it crosses the 10:00 hour boundary). */
export const STORY_START = '2026-03-02T09:40:00Z';

/** Options of {@link createIncidentStory}. */
export interface StoryOptions {
  /** The story's start; every timestamp is an offset from it. @default STORY_START */
  start?: string;
}

/** Which part of the story an Event belongs to. */
export type StoryThread = 'web' | 'cart' | 'noise';

/** One Event write of the story. */
export interface StoryWrite {
  /** `lastTimestamp` of the write (ISO-8601 UTC, whole seconds). */
  time: string;
  /** `ADDED` for the first occurrence, `MODIFIED` for a recurrence (same Event, `count` + 1). */
  action: 'ADDED' | 'MODIFIED';
  /** The timeline lane of the involved object: `Kind/namespace/name`, or `Node/name`. */
  lane: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count: number;
  /** Which Event object this write is (writes of one recurring Event share it). */
  event: string;
  thread: StoryThread;
}

/** A lane of the `service shop/web` timeline, as k8stream's `Lane` describes it. */
export interface ExpectedLane {
  key: string;
  role: 'service' | 'workload' | 'owner' | 'pod' | 'node' | 'other';
  kind: string;
  namespace: string;
  name: string;
  group: string;
  /** Reasons of the lane's records, in time order (one per record: a recurrence repeats it). */
  reasons: string[];
}

/** A run of one lane's records with the same type, reason and message, folded. */
export interface ExpectedFold {
  lane: string;
  type: string;
  reason: string;
  /** How many times it happened (the Event's last `count`, summed over distinct Events). */
  count: number;
  /** Records folded. */
  records: number;
  first: string;
  last: string;
}

/** The story as the forensics commands must tell it. */
export interface ExpectedStory {
  /** `shop/web`. */
  service: string;
  workload: string;
  /** A window holding every write of the story, with margins: `[from, to)`. */
  window: { from: string; to: string };
  /** The service's lanes that have records. */
  lanes: ExpectedLane[];
  /** Every record of the service's timeline in time order: `time lane reason`. */
  sequence: { time: string; lane: string; reason: string }[];
  folded: ExpectedFold[];
  /** Lanes of the story that are not about `shop/web` (cart, its node, other nodes, `staging/web`). */
  unrelatedLanes: string[];
  /** Records of the whole archive per reason (every write is one record). */
  reasonCounts: Record<string, number>;
  /** Records of the whole archive. */
  records: number;
  /** Records of the service's timeline, and how many of them are Warnings. */
  serviceRecords: number;
  serviceWarnings: number;
}

/** A running story. */
export interface IncidentStory {
  /** Every Event write, in time order (what {@link play} writes). */
  readonly writes: readonly StoryWrite[];
  /** `uid:resourceVersion` of every write made so far (a record id in the archive). */
  readonly produced: readonly string[];
  readonly expected: ExpectedStory;
  /** Writes every Event of the story into the store; returns the number of writes. Once. */
  play(): number;
}

interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
  apiVersion: string;
}

interface ScriptedEvent {
  /** Seconds after the start. */
  at: number;
  about: ObjectRef;
  fieldPath?: string;
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  component: string;
  host?: string;
  thread: StoryThread;
  /** Events with the same key are one Event object: later ones update it (`count` + 1). */
  recurring?: string;
}

const NS = 'shop';

/** Lane key of an object: `Kind/namespace/name`, `Node/name` for cluster-scoped ones. */
export function laneKey(ref: { kind: string; namespace: string; name: string }): string {
  return ref.namespace === '' ? `${ref.kind}/${ref.name}` : `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Creates the story's objects in `store`, and returns the story (no Event written yet). */
export function createIncidentStory(store: Store, options: StoryOptions = {}): IncidentStory {
  const startMs = Date.parse(options.start ?? STORY_START);
  if (!Number.isFinite(startMs)) throw new RangeError(`start is not a timestamp: ${String(options.start)}`);
  const cluster = new StoryCluster(store, startMs);
  const script = cluster.build();
  return new Story(store, startMs, script, cluster.roles);
}

// ------------------------------------------------------------------ objects

class StoryCluster {
  private readonly rng = new Rng(18);
  /** Lane key → role and group in the `shop/web` timeline. */
  readonly roles = new Map<string, { role: ExpectedLane['role']; group: string }>();

  constructor(
    private readonly store: Store,
    private readonly startMs: number,
  ) {}

  private iso(offsetSeconds: number): string {
    return new Date(this.startMs + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  private create(resource: string, obj: KubeObject): ObjectRef {
    const meta = obj.metadata!;
    meta['uid'] = this.rng.uuid();
    meta['creationTimestamp'] ??= this.iso(-86_400);
    this.store.createObject(resource, obj);
    const kind = String(obj['kind']);
    return { kind, namespace: String(meta['namespace'] ?? ''), name: String(meta['name']), uid: String(meta['uid']), apiVersion: String(obj['apiVersion']) };
  }

  private node(name: string, ip: string): ObjectRef {
    return this.create('nodes', {
      kind: 'Node',
      apiVersion: 'v1',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' } },
      status: {
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
      },
    });
  }

  private owned(owner: ObjectRef): Record<string, unknown>[] {
    return [{ apiVersion: owner.apiVersion, kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true }];
  }

  private deployment(namespace: string, name: string, image: string): ObjectRef {
    const labels = { app: name };
    return this.create('deployments', {
      kind: 'Deployment',
      apiVersion: 'apps/v1',
      metadata: { name, namespace, labels },
      spec: { replicas: 2, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name, image }] } } },
      status: { replicas: 2, readyReplicas: 2, updatedReplicas: 2, availableReplicas: 2 },
    });
  }

  private replicaSet(deployment: ObjectRef, hash: string, created: number): ObjectRef {
    const labels = { app: deployment.name, 'pod-template-hash': hash };
    return this.create('replicasets', {
      kind: 'ReplicaSet',
      apiVersion: 'apps/v1',
      metadata: { name: `${deployment.name}-${hash}`, namespace: deployment.namespace, labels, ownerReferences: this.owned(deployment), creationTimestamp: this.iso(created) },
      spec: { replicas: 1, selector: { matchLabels: labels }, template: { metadata: { labels } } },
      status: { replicas: 1 },
    });
  }

  private pod(rs: ObjectRef, suffix: string, node: { name: string; ip: string }, podIP: string, image: string): ObjectRef {
    const app = rs.name.slice(0, rs.name.lastIndexOf('-'));
    const hash = rs.name.slice(app.length + 1);
    return this.create('pods', {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: { name: `${rs.name}-${suffix}`, namespace: rs.namespace, labels: { app, 'pod-template-hash': hash }, ownerReferences: this.owned(rs) },
      spec: { nodeName: node.name, containers: [{ name: app, image }] },
      status: { phase: 'Running', hostIP: node.ip, podIP, startTime: this.iso(-3600) },
    });
  }

  private service(namespace: string, name: string, clusterIP: string): ObjectRef {
    return this.create('services', {
      kind: 'Service',
      apiVersion: 'v1',
      metadata: { name, namespace, labels: { app: name } },
      spec: { selector: { app: name }, type: 'ClusterIP', clusterIP, ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }] },
    });
  }

  private endpoints(service: ObjectRef): ObjectRef {
    return this.create('endpoints', { kind: 'Endpoints', apiVersion: 'v1', metadata: { name: service.name, namespace: service.namespace }, subsets: [] });
  }

  private role(ref: ObjectRef, role: ExpectedLane['role'], group: string): ObjectRef {
    this.roles.set(laneKey(ref), { role, group });
    return ref;
  }

  /** Creates every object; returns the Events to write. */
  build(): ScriptedEvent[] {
    for (const ns of ['default', 'kube-system', NS, 'staging']) {
      this.create('namespaces', { kind: 'Namespace', apiVersion: 'v1', metadata: { name: ns }, status: { phase: 'Active' } });
    }
    const nodes = [1, 2, 3, 4].map((i) => ({ name: `node-${i}`, ip: `10.0.0.${10 + i}` }));
    const [, n2, n3, n4] = nodes.map((n) => this.node(n.name, n.ip)) as [ObjectRef, ObjectRef, ObjectRef, ObjectRef];
    this.role(n2, 'node', 'nodes');

    const oldImage = 'ghcr.io/acme/web:1.9.0';
    const newImage = 'ghcr.io/acme/web:2.0.0';
    const web = this.role(this.deployment(NS, 'web', newImage), 'workload', 'Deployment/shop/web');
    const group = laneKey(web);
    const oldRs = this.role(this.replicaSet(web, '6d4cf56db6', -86_400), 'owner', group);
    const newRs = this.role(this.replicaSet(web, '7f9c8b7d45', 120), 'owner', group);
    const oldOnNode1 = this.role(this.pod(oldRs, 'mzq4x', nodes[0]!, '10.244.1.7', oldImage), 'pod', group);
    const oldOnNode2 = this.role(this.pod(oldRs, 'h2b8k', nodes[1]!, '10.244.2.9', oldImage), 'pod', group);
    const crashing = this.role(this.pod(newRs, 'x7k2p', nodes[0]!, '10.244.1.12', newImage), 'pod', group);
    const webSvc = this.role(this.service(NS, 'web', '10.96.14.20'), 'service', 'service');
    const webEndpoints = this.role(this.endpoints(webSvc), 'other', 'service');

    const cartImage = 'ghcr.io/acme/cart:3.1.0';
    const cart = this.deployment(NS, 'cart', cartImage);
    const cartRs = this.replicaSet(cart, '5b8d7c9f4d', -86_400);
    const cartPod = this.pod(cartRs, 'q2w3e', nodes[2]!, '10.244.3.4', cartImage);
    const cartSvc = this.service(NS, 'cart', '10.96.14.31');
    const cartEndpoints = this.endpoints(cartSvc);
    const stagingWeb = this.deployment('staging', 'web', newImage);

    const kubelet = (host: string) => ({ component: 'kubelet', host });
    const container = (app: string) => `spec.containers{${app}}`;
    const backOff = (at: number): ScriptedEvent => ({
      at,
      about: crashing,
      fieldPath: container('web'),
      type: 'Warning',
      reason: 'BackOff',
      message: `Back-off restarting failed container web in pod ${crashing.name}_${NS}(${crashing.uid})`,
      ...kubelet('node-1'),
      thread: 'web',
      recurring: 'web-backoff',
    });
    const cartUnhealthy = (at: number): ScriptedEvent => ({
      at,
      about: cartPod,
      fieldPath: container('cart'),
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Liveness probe failed: Get "http://10.244.3.4:8080/healthz": context deadline exceeded',
      ...kubelet('node-3'),
      thread: 'cart',
      recurring: 'cart-unhealthy',
    });
    const web1 = (at: number, about: ObjectRef, reason: string, message: string, component: string, extra: Partial<ScriptedEvent> = {}): ScriptedEvent => ({
      at,
      about,
      type: 'Normal',
      reason,
      message,
      component,
      thread: 'web',
      ...extra,
    });
    const onNewPod = { fieldPath: container('web'), host: 'node-1' };

    const script: ScriptedEvent[] = [
      {
        at: 30,
        about: stagingWeb,
        type: 'Normal',
        reason: 'ScalingReplicaSet',
        message: 'Scaled up replica set web-58b9c4d7f6 to 3 from 2',
        component: 'deployment-controller',
        thread: 'noise',
      },
      web1(120, web, 'ScalingReplicaSet', `Scaled up replica set ${newRs.name} to 1`, 'deployment-controller'),
      web1(121, newRs, 'SuccessfulCreate', `Created pod: ${crashing.name}`, 'replicaset-controller'),
      web1(122, crashing, 'Scheduled', `Successfully assigned ${NS}/${crashing.name} to node-1`, 'default-scheduler'),
      web1(123, crashing, 'Pulling', `Pulling image "${newImage}"`, 'kubelet', onNewPod),
      web1(128, crashing, 'Pulled', `Successfully pulled image "${newImage}" in 4.212s (4.212s including waiting). Image size: 48234496 bytes.`, 'kubelet', onNewPod),
      web1(129, crashing, 'Created', 'Created container: web', 'kubelet', onNewPod),
      web1(130, crashing, 'Started', 'Started container web', 'kubelet', onNewPod),
      web1(160, web, 'ScalingReplicaSet', `Scaled down replica set ${oldRs.name} to 1 from 2`, 'deployment-controller'),
      web1(161, oldRs, 'SuccessfulDelete', `Deleted pod: ${oldOnNode1.name}`, 'replicaset-controller'),
      web1(162, oldOnNode1, 'Killing', 'Stopping container web', 'kubelet', { fieldPath: container('web'), host: 'node-1' }),
      cartUnhealthy(170),
      backOff(180),
      backOff(200),
      backOff(240),
      backOff(320),
      cartUnhealthy(360),
      backOff(480),
      {
        at: 630,
        about: n3,
        type: 'Normal',
        reason: 'NodeHasDiskPressure',
        message: 'Node node-3 status is now: NodeHasDiskPressure',
        component: 'kubelet',
        host: 'node-3',
        thread: 'noise',
      },
      cartUnhealthy(660),
      backOff(750),
      {
        at: 840,
        about: n3,
        type: 'Warning',
        reason: 'EvictionThresholdMet',
        message: 'Attempting to reclaim ephemeral-storage',
        component: 'kubelet',
        host: 'node-3',
        thread: 'noise',
      },
      backOff(1050),
      web1(1080, n2, 'NodeNotReady', 'Node node-2 status is now: NodeNotReady', 'node-controller'),
      web1(1085, oldOnNode2, 'NodeNotReady', 'Node is not ready', 'node-controller', { type: 'Warning' }),
      {
        at: 1140,
        about: cartPod,
        fieldPath: container('cart'),
        type: 'Normal',
        reason: 'Killing',
        message: 'Container cart failed liveness probe, will be restarted',
        ...kubelet('node-3'),
        thread: 'cart',
      },
      web1(1260, webEndpoints, 'FailedToUpdateEndpoint', `Failed to update endpoint ${NS}/web: no ready addresses for service ${NS}/web`, 'endpoint-controller', {
        type: 'Warning',
      }),
      web1(1261, webSvc, 'FailedToUpdateEndpointSlices', `Error updating Endpoint Slices for Service ${NS}/web: no ready endpoints`, 'endpoint-slice-controller', {
        type: 'Warning',
      }),
      backOff(1350),
      {
        at: 1440,
        about: n4,
        type: 'Warning',
        reason: 'Rebooted',
        message: 'Node node-4 has been rebooted, boot id: 5f0c1a52-8f55-4a8e-9d3b-2a6e1c7d9b40',
        component: 'kubelet',
        host: 'node-4',
        thread: 'noise',
      },
      {
        at: 1500,
        about: cartEndpoints,
        type: 'Warning',
        reason: 'FailedToUpdateEndpoint',
        message: `Failed to update endpoint ${NS}/cart: Operation cannot be fulfilled on endpoints "cart": the object has been modified`,
        component: 'endpoint-controller',
        thread: 'cart',
      },
      web1(1620, crashing, 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', 'kubelet', { ...onNewPod, type: 'Warning' }),
    ];
    return script.sort((a, b) => a.at - b.at);
  }
}

// ------------------------------------------------------------------- events

/** Margin of the expected window around the first and last write, in seconds. */
const WINDOW_MARGIN_S = 120;

class Story implements IncidentStory {
  readonly writes: StoryWrite[];
  readonly produced: string[] = [];
  readonly expected: ExpectedStory;
  private played = false;
  private readonly names = new Rng(1802);
  private readonly recurring = new Map<string, { namespace: string; name: string }>();

  constructor(
    private readonly store: Store,
    private readonly startMs: number,
    private readonly script: readonly ScriptedEvent[],
    roles: ReadonlyMap<string, { role: ExpectedLane['role']; group: string }>,
  ) {
    this.writes = this.plan();
    this.expected = expectedStory(this.writes, script, roles, this.iso(-WINDOW_MARGIN_S), this.iso(script[script.length - 1]!.at + WINDOW_MARGIN_S));
  }

  private iso(offsetSeconds: number): string {
    return new Date(this.startMs + offsetSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }

  /** The writes the script makes: a recurring Event's later occurrences are MODIFIED with the next count. */
  private plan(): StoryWrite[] {
    const counts = new Map<string, number>();
    return this.script.map((e, i) => {
      const event = e.recurring ?? `event-${i}`;
      const count = (counts.get(event) ?? 0) + 1;
      counts.set(event, count);
      return {
        time: this.iso(e.at),
        action: count === 1 ? 'ADDED' : 'MODIFIED',
        lane: laneKey(e.about),
        type: e.type,
        reason: e.reason,
        message: e.message,
        count,
        event,
        thread: e.thread,
      };
    });
  }

  play(): number {
    if (this.played) throw new Error('the story has already been played');
    this.played = true;
    this.script.forEach((e, i) => this.write(e, this.writes[i]!));
    return this.writes.length;
  }

  private write(e: ScriptedEvent, w: StoryWrite): void {
    const existing = e.recurring !== undefined ? this.recurring.get(e.recurring) : undefined;
    if (existing !== undefined) {
      const current = JSON.parse(this.store.getObject('events', existing).json) as KubeObject;
      current['count'] = w.count;
      current['lastTimestamp'] = w.time;
      return this.record(this.store.updateObject('events', current));
    }
    const involved: Record<string, unknown> = { ...e.about };
    if (e.about.namespace === '') delete involved['namespace'];
    if (e.fieldPath !== undefined) involved['fieldPath'] = e.fieldPath;
    const source: Record<string, unknown> = { component: e.component };
    if (e.host !== undefined) source['host'] = e.host;
    const namespace = e.about.namespace === '' ? 'default' : e.about.namespace;
    const name = `${e.about.name}.${this.names.hex(16)}`;
    const stored = this.store.createObject('events', {
      metadata: { name, namespace, uid: this.names.uuid(), creationTimestamp: w.time },
      involvedObject: involved,
      reason: e.reason,
      message: e.message,
      source,
      firstTimestamp: w.time,
      lastTimestamp: w.time,
      count: 1,
      type: e.type,
      eventTime: null,
      reportingComponent: e.component,
      reportingInstance: e.host ?? '',
    });
    if (e.recurring !== undefined) this.recurring.set(e.recurring, { namespace, name });
    this.record(stored);
  }

  private record(stored: { obj: KubeObject; rv: number }): void {
    this.produced.push(`${String(stored.obj.metadata?.['uid'])}:${stored.rv}`);
  }
}

/** The story as a `service shop/web` timeline tells it. */
function expectedStory(
  writes: readonly StoryWrite[],
  script: readonly ScriptedEvent[],
  roles: ReadonlyMap<string, { role: ExpectedLane['role']; group: string }>,
  from: string,
  to: string,
): ExpectedStory {
  const web = writes.filter((w) => w.thread === 'web');
  const lanes = new Map<string, ExpectedLane>();
  for (const w of web) {
    let lane = lanes.get(w.lane);
    if (lane === undefined) {
      const about = script[writes.indexOf(w)]!.about;
      const r = roles.get(w.lane);
      if (r === undefined) throw new Error(`no role for lane ${w.lane}`);
      lane = { key: w.lane, role: r.role, kind: about.kind, namespace: about.namespace, name: about.name, group: r.group, reasons: [] };
      lanes.set(w.lane, lane);
    }
    lane.reasons.push(w.reason);
  }
  const reasonCounts: Record<string, number> = {};
  for (const w of writes) reasonCounts[w.reason] = (reasonCounts[w.reason] ?? 0) + 1;
  return {
    service: `${NS}/web`,
    workload: `Deployment/${NS}/web`,
    window: { from, to },
    lanes: [...lanes.values()],
    sequence: web.map((w) => ({ time: w.time, lane: w.lane, reason: w.reason })),
    folded: fold(web),
    unrelatedLanes: [...new Set(writes.filter((w) => w.thread !== 'web').map((w) => w.lane))],
    reasonCounts,
    records: writes.length,
    serviceRecords: web.length,
    serviceWarnings: web.filter((w) => w.type === 'Warning').length,
  };
}

/**
 * Consecutive writes of a lane with the same type, reason and message, folded (in time order of
 * the first). A recurrence carries its Event's running count, so what happened is the last count
 * of each Event in the fold, summed.
 */
function fold(writes: readonly StoryWrite[]): ExpectedFold[] {
  const out: (ExpectedFold & { message: string; counts: Map<string, number> })[] = [];
  const open = new Map<string, (typeof out)[number]>();
  for (const w of writes) {
    let cur = open.get(w.lane);
    if (cur === undefined || cur.type !== w.type || cur.reason !== w.reason || cur.message !== w.message) {
      cur = { lane: w.lane, type: w.type, reason: w.reason, count: 0, records: 0, first: w.time, last: w.time, message: w.message, counts: new Map() };
      open.set(w.lane, cur);
      out.push(cur);
    }
    cur.records++;
    cur.last = w.time;
    cur.counts.set(w.event, w.count);
  }
  return out.map(({ lane, type, reason, counts, records, first, last }) => ({ lane, type, reason, count: [...counts.values()].reduce((a, b) => a + b, 0), records, first, last }));
}
