/**
 * A realistic, seeded simulated cluster on top of a {@link Store}: namespaces, nodes,
 * Deployments → ReplicaSets → Pods, StatefulSets, DaemonSets, CronJobs → Jobs → Pods (with
 * ownerReferences, labels, pod IP/hostIP/phase/startTime), Services selecting the pods, and
 * then a stream of core/v1 Events like a real cluster's (Scheduled, Pulling, Pulled, Created,
 * Started, BackOff and Unhealthy recurring as MODIFIED with a growing `count`, OOMKilling,
 * FailedScheduling, ScalingReplicaSet, NodeNotReady, SuccessfulCreate, Killing…).
 * The same seed gives the same objects and the same event sequence; `produced` lists the id
 * (`uid:resourceVersion`) of every event write so tests can count exactly what was emitted.
 */
import { Rng } from './rng.js';
import type { KubeObject } from './selectors.js';
import { kubeTime, type Store, type StoredObject } from './store.js';

/** Options of {@link createClusterSimulation}. */
export interface SimulationOptions {
  /** @default 1 */
  seed?: number;
  /** Application namespaces, besides `default` and `kube-system`. @default 3 */
  namespaces?: number;
  /** @default 3 */
  nodes?: number;
  /** Deployments per application namespace (each with a Service). @default 2 */
  deployments?: number;
  /** Pods per Deployment. @default 2 */
  replicas?: number;
  /** StatefulSets per application namespace (2 pods and a headless Service each). @default 1 */
  statefulsets?: number;
  /** DaemonSets in kube-system (one pod per node). @default 1 */
  daemonsets?: number;
  /** CronJobs per application namespace (one Job with one pod each). @default 1 */
  cronjobs?: number;
  /** Clock for every timestamp. @default () => new Date() */
  now?: () => Date;
}

/** A workload reference. */
export interface WorkloadRef {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob';
  name: string;
}

/** A pod the simulation created. */
export interface SimulatedPod {
  namespace: string;
  name: string;
  uid: string;
  /** Empty for the Pending (unschedulable) pod. */
  nodeName: string;
  phase: string;
  podIP: string;
  hostIP: string;
  container: string;
  image: string;
  /** Top-level workload. */
  workload: WorkloadRef;
  labels: Record<string, string>;
}

/** Result of one {@link ClusterSimulation.tick}. */
export interface TickResult {
  type: 'ADDED' | 'MODIFIED';
  /** A copy of the event as stored (made on first access). */
  readonly event: KubeObject;
}

/** Options of {@link ClusterSimulation.run}. */
export interface RunOptions {
  /** Events per second. */
  rate: number;
  /** Stops the run. */
  signal?: AbortSignal;
  /** Stop after this many events. */
  count?: number;
}

/** A running simulated cluster. */
export interface ClusterSimulation {
  readonly namespaces: readonly string[];
  readonly nodes: readonly string[];
  readonly pods: readonly SimulatedPod[];
  /** `uid:resourceVersion` of every event write (ADDED and MODIFIED), in order. */
  readonly produced: readonly string[];
  /** Emits one event write. */
  tick(): TickResult;
  /** Emits `n` event writes synchronously. */
  emit(n: number): TickResult[];
  /** Emits at `rate` events/s until `count` is reached or `signal` aborts; resolves with the number emitted. */
  run(opts: RunOptions): Promise<number>;
}

const APP_NAMESPACES = ['shop', 'payments', 'search', 'identity', 'analytics', 'media', 'billing', 'ops'];
const APPS = ['web', 'api', 'worker', 'cache', 'auth', 'checkout', 'gateway', 'indexer', 'mailer', 'scheduler'];
const IMAGES: Record<string, string> = {
  web: 'nginx:1.27.3',
  api: 'ghcr.io/acme/api:2.14.0',
  worker: 'ghcr.io/acme/worker:2.14.0',
  cache: 'redis:7.4.1',
  auth: 'ghcr.io/acme/auth:1.9.2',
  checkout: 'ghcr.io/acme/checkout:3.0.1',
  gateway: 'envoyproxy/envoy:v1.32.1',
  indexer: 'ghcr.io/acme/indexer:0.8.0',
  mailer: 'ghcr.io/acme/mailer:1.2.0',
  scheduler: 'ghcr.io/acme/scheduler:1.0.4',
};

interface Owner {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
}

interface RecurringEvent {
  namespace: string;
  name: string;
}

interface Lifecycle {
  pod: SimulatedPod;
  step: number;
}

/** Creates the cluster's objects in `store` and returns the event generator. */
export function createClusterSimulation(store: Store, options: SimulationOptions = {}): ClusterSimulation {
  return new Simulation(store, options);
}

class Simulation implements ClusterSimulation {
  readonly namespaces: string[] = [];
  readonly nodes: string[] = [];
  readonly pods: SimulatedPod[] = [];
  readonly produced: string[] = [];
  private readonly rng: Rng;
  private readonly now: () => Date;
  private readonly nodeIPs = new Map<string, string>();
  private readonly nodeUids = new Map<string, string>();
  private readonly deployments: { namespace: string; name: string; uid: string; rs: string; replicas: number }[] = [];
  private readonly jobs: { namespace: string; name: string; uid: string; cronjob: string }[] = [];
  private readonly recurring = new Map<string, RecurringEvent>();
  private readonly lifecycle: Lifecycle[] = [];
  private lifecycleCursor = 0;
  private podIpCounter = 0;
  private pendingPod: SimulatedPod | undefined;

  constructor(
    private readonly store: Store,
    o: SimulationOptions,
  ) {
    this.rng = new Rng(o.seed ?? 1);
    this.now = o.now ?? (() => new Date());
    this.setup({
      namespaces: o.namespaces ?? 3,
      nodes: o.nodes ?? 3,
      deployments: o.deployments ?? 2,
      replicas: o.replicas ?? 2,
      statefulsets: o.statefulsets ?? 1,
      daemonsets: o.daemonsets ?? 1,
      cronjobs: o.cronjobs ?? 1,
    });
  }

  // --------------------------------------------------------------- objects

  private ts(offsetSeconds = 0): string {
    return kubeTime(new Date(this.now().getTime() + offsetSeconds * 1000));
  }

  private createObj(resource: string, obj: KubeObject): { uid: string; rv: string } {
    const meta = (obj.metadata ??= {});
    meta['uid'] ??= this.rng.uuid();
    meta['creationTimestamp'] ??= this.ts(-3600);
    const stored = this.store.createObject(resource, obj);
    return { uid: String(meta['uid']), rv: String(stored.rv) };
  }

  private ownerRef(o: Owner): Record<string, unknown> {
    return { apiVersion: o.apiVersion, kind: o.kind, name: o.name, uid: o.uid, controller: true, blockOwnerDeletion: true };
  }

  private setup(c: Required<Omit<SimulationOptions, 'seed' | 'now'>>): void {
    const appNs = Array.from({ length: c.namespaces }, (_, i) => APP_NAMESPACES[i] ?? `apps-${i}`);
    this.namespaces.push('default', 'kube-system', ...appNs);
    for (const ns of this.namespaces) {
      this.createObj('namespaces', {
        metadata: { name: ns, labels: { 'kubernetes.io/metadata.name': ns } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
    for (let i = 0; i < c.nodes; i++) this.createNode(i);
    for (const ns of appNs) {
      for (let d = 0; d < c.deployments; d++) this.createDeployment(ns, APPS[d % APPS.length]! + (d >= APPS.length ? `-${d}` : ''), c.replicas);
      for (let s = 0; s < c.statefulsets; s++) this.createStatefulSet(ns, s === 0 ? 'db' : `db-${s}`);
      for (let j = 0; j < c.cronjobs; j++) this.createCronJob(ns, j === 0 ? 'report' : `report-${j}`);
    }
    for (let d = 0; d < c.daemonsets; d++) this.createDaemonSet(d === 0 ? 'node-exporter' : `node-agent-${d}`);
    const first = this.deployments[0];
    if (first) {
      // One pod that never schedules, for FailedScheduling events.
      this.pendingPod = this.createPod(first.namespace, `${first.rs}-${this.rng.suffix(5)}`, {
        owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: first.rs, uid: this.ownerUid('replicasets', first.namespace, first.rs) },
        workload: { kind: 'Deployment', name: first.name },
        labels: { app: first.name, 'pod-template-hash': first.rs.slice(first.name.length + 1) },
        app: first.name,
        node: '',
      });
    }
  }

  private ownerUid(resource: string, namespace: string, name: string): string {
    return String(this.store.getObject(resource, { namespace, name }).obj.metadata?.['uid']);
  }

  private createNode(i: number): void {
    const name = `worker-${i + 1}`;
    const ip = `10.0.${Math.floor(i / 250)}.${(i % 250) + 10}`;
    this.nodes.push(name);
    this.nodeIPs.set(name, ip);
    const { uid } = this.createObj('nodes', {
      metadata: {
        name,
        labels: {
          'kubernetes.io/hostname': name,
          'kubernetes.io/os': 'linux',
          'kubernetes.io/arch': 'amd64',
          'node.kubernetes.io/instance-type': 'm6i.xlarge',
          'topology.kubernetes.io/zone': `eu-west-1${'abc'[i % 3]}`,
        },
      },
      spec: { podCIDR: `10.244.${i}.0/24`, providerID: `aws:///eu-west-1a/i-0${this.rng.hex(16)}` },
      status: {
        addresses: [
          { type: 'InternalIP', address: ip },
          { type: 'Hostname', address: name },
        ],
        capacity: { cpu: '4', memory: '16Gi', pods: '110' },
        allocatable: { cpu: '3920m', memory: '15Gi', pods: '110' },
        conditions: [
          { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status', lastHeartbeatTime: this.ts(), lastTransitionTime: this.ts(-86400) },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.32.0',
          containerRuntimeVersion: 'containerd://1.7.24',
          osImage: 'Debian GNU/Linux 12 (bookworm)',
          kernelVersion: '6.1.0-28-amd64',
          architecture: 'amd64',
          operatingSystem: 'linux',
        },
      },
    });
    this.nodeUids.set(name, uid);
  }

  private nextPodIP(): string {
    const n = this.podIpCounter++;
    return `10.244.${Math.floor(n / 250) % 256}.${(n % 250) + 2}`;
  }

  private createPod(
    namespace: string,
    name: string,
    p: { owner: Owner; workload: WorkloadRef; labels: Record<string, string>; app: string; node?: string; phase?: string },
  ): SimulatedPod {
    const node = p.node ?? this.nodes[this.pods.length % Math.max(1, this.nodes.length)] ?? '';
    const image = IMAGES[p.app] ?? `ghcr.io/acme/${p.app}:1.0.0`;
    const scheduled = node !== '';
    const phase = p.phase ?? (scheduled ? 'Running' : 'Pending');
    const podIP = scheduled ? this.nextPodIP() : '';
    const hostIP = scheduled ? (this.nodeIPs.get(node) ?? '') : '';
    const status: Record<string, unknown> = { phase, qosClass: 'Burstable' };
    if (scheduled) {
      Object.assign(status, {
        hostIP,
        hostIPs: [{ ip: hostIP }],
        podIP,
        podIPs: [{ ip: podIP }],
        startTime: this.ts(-1800),
        containerStatuses: [
          {
            name: p.app,
            image,
            ready: phase === 'Running',
            restartCount: 0,
            started: phase === 'Running',
            state: phase === 'Running' ? { running: { startedAt: this.ts(-1790) } } : { terminated: { exitCode: 0, reason: 'Completed' } },
          },
        ],
      });
    } else {
      status['conditions'] = [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: '0/3 nodes are available: 3 Insufficient cpu.' }];
    }
    const spec: Record<string, unknown> = {
      containers: [{ name: p.app, image, resources: { requests: { cpu: '250m', memory: '256Mi' } } }],
      restartPolicy: p.workload.kind === 'CronJob' ? 'OnFailure' : 'Always',
      serviceAccountName: 'default',
      schedulerName: 'default-scheduler',
    };
    if (scheduled) spec['nodeName'] = node;
    const { uid } = this.createObj('pods', {
      metadata: { name, namespace, labels: p.labels, ownerReferences: [this.ownerRef(p.owner)] },
      spec,
      status,
    });
    const pod: SimulatedPod = { namespace, name, uid, nodeName: node, phase, podIP, hostIP, container: p.app, image, workload: p.workload, labels: p.labels };
    this.pods.push(pod);
    if (scheduled) this.lifecycle.push({ pod, step: 0 });
    return pod;
  }

  private createService(namespace: string, name: string, selector: Record<string, string>, headless = false): void {
    this.createObj('services', {
      metadata: { name, namespace, labels: { app: selector['app'] ?? name } },
      spec: {
        selector,
        type: 'ClusterIP',
        clusterIP: headless ? 'None' : `10.96.${this.rng.int(0, 255)}.${this.rng.int(1, 254)}`,
        ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' }],
      },
    });
  }

  private createDeployment(ns: string, name: string, replicas: number): void {
    const hash = this.rng.suffix(10);
    const labels = { app: name };
    const dep = this.createObj('deployments', {
      metadata: { name, namespace: ns, labels, annotations: { 'deployment.kubernetes.io/revision': '1' } },
      spec: {
        replicas,
        selector: { matchLabels: labels },
        template: { metadata: { labels }, spec: { containers: [{ name, image: IMAGES[name] ?? `ghcr.io/acme/${name}:1.0.0` }] } },
      },
      status: { replicas, readyReplicas: replicas, updatedReplicas: replicas, availableReplicas: replicas, observedGeneration: 1 },
    });
    const rsName = `${name}-${hash}`;
    const podLabels = { app: name, 'pod-template-hash': hash };
    const rs = this.createObj('replicasets', {
      metadata: { name: rsName, namespace: ns, labels: podLabels, ownerReferences: [this.ownerRef({ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: dep.uid })] },
      spec: { replicas, selector: { matchLabels: podLabels }, template: { metadata: { labels: podLabels } } },
      status: { replicas, readyReplicas: replicas, availableReplicas: replicas },
    });
    this.deployments.push({ namespace: ns, name, uid: dep.uid, rs: rsName, replicas });
    for (let i = 0; i < replicas; i++) {
      this.createPod(ns, `${rsName}-${this.rng.suffix(5)}`, {
        owner: { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rs.uid },
        workload: { kind: 'Deployment', name },
        labels: podLabels,
        app: name,
      });
    }
    this.createService(ns, name, labels);
  }

  private createStatefulSet(ns: string, name: string): void {
    const labels = { app: name };
    const sts = this.createObj('statefulsets', {
      metadata: { name, namespace: ns, labels },
      spec: { replicas: 2, serviceName: name, selector: { matchLabels: labels }, template: { metadata: { labels } } },
      status: { replicas: 2, readyReplicas: 2, currentReplicas: 2 },
    });
    for (let i = 0; i < 2; i++) {
      this.createPod(ns, `${name}-${i}`, {
        owner: { apiVersion: 'apps/v1', kind: 'StatefulSet', name, uid: sts.uid },
        workload: { kind: 'StatefulSet', name },
        labels: { ...labels, 'statefulset.kubernetes.io/pod-name': `${name}-${i}`, 'apps.kubernetes.io/pod-index': String(i) },
        app: 'cache',
      });
    }
    this.createService(ns, name, labels, true);
  }

  private createDaemonSet(name: string): void {
    const ns = 'kube-system';
    const labels = { app: name };
    const ds = this.createObj('daemonsets', {
      metadata: { name, namespace: ns, labels },
      spec: { selector: { matchLabels: labels }, template: { metadata: { labels } } },
      status: { desiredNumberScheduled: this.nodes.length, numberReady: this.nodes.length, currentNumberScheduled: this.nodes.length },
    });
    for (const node of this.nodes) {
      this.createPod(ns, `${name}-${this.rng.suffix(5)}`, {
        owner: { apiVersion: 'apps/v1', kind: 'DaemonSet', name, uid: ds.uid },
        workload: { kind: 'DaemonSet', name },
        labels: { ...labels, 'controller-revision-hash': this.rng.suffix(10) },
        app: 'worker',
        node,
      });
    }
  }

  private createCronJob(ns: string, name: string): void {
    const cj = this.createObj('cronjobs', {
      metadata: { name, namespace: ns, labels: { app: name } },
      spec: { schedule: '*/30 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'OnFailure' } } } } },
      status: { lastScheduleTime: this.ts(-600) },
    });
    const jobName = `${name}-${29000000 + this.rng.int(0, 999999)}`;
    const jobLabels = { 'batch.kubernetes.io/job-name': jobName, 'job-name': jobName };
    const job = this.createObj('jobs', {
      metadata: { name: jobName, namespace: ns, labels: jobLabels, ownerReferences: [this.ownerRef({ apiVersion: 'batch/v1', kind: 'CronJob', name, uid: cj.uid })] },
      spec: { completions: 1, parallelism: 1, template: { metadata: { labels: jobLabels } } },
      status: { succeeded: 1, startTime: this.ts(-600), completionTime: this.ts(-540) },
    });
    this.jobs.push({ namespace: ns, name: jobName, uid: job.uid, cronjob: name });
    this.createPod(ns, `${jobName}-${this.rng.suffix(5)}`, {
      owner: { apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: job.uid },
      workload: { kind: 'CronJob', name },
      labels: jobLabels,
      app: 'worker',
      phase: 'Succeeded',
    });
  }

  // ---------------------------------------------------------------- events

  private podRef(p: SimulatedPod, withField: boolean): Record<string, unknown> {
    const ref: Record<string, unknown> = { kind: 'Pod', namespace: p.namespace, name: p.name, uid: p.uid, apiVersion: 'v1' };
    if (withField) ref['fieldPath'] = `spec.containers{${p.container}}`;
    return ref;
  }

  private newEvent(
    namespace: string,
    involved: Record<string, unknown>,
    e: { type: 'Normal' | 'Warning'; reason: string; message: string; component: string; host?: string },
  ): TickResult {
    const now = this.ts();
    const source: Record<string, unknown> = { component: e.component };
    if (e.host !== undefined) source['host'] = e.host;
    const ev: KubeObject = {
      metadata: { name: `${String(involved['name'])}.${this.rng.hex(16)}`, namespace, uid: this.rng.uuid(), creationTimestamp: now },
      involvedObject: involved,
      reason: e.reason,
      message: e.message,
      source,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
      type: e.type,
      eventTime: null,
      reportingComponent: e.component,
      reportingInstance: e.host ?? '',
    };
    const stored = this.store.createObject('events', ev);
    return this.record('ADDED', stored);
  }

  private record(type: 'ADDED' | 'MODIFIED', stored: StoredObject): TickResult {
    this.produced.push(`${String(stored.obj.metadata?.['uid'])}:${stored.rv}`);
    // The copy is made on first access only: bulk emitters rarely look at the results.
    let copy: KubeObject | undefined;
    return {
      type,
      get event(): KubeObject {
        copy ??= JSON.parse(stored.json) as KubeObject;
        return copy;
      },
    };
  }

  /** A recurring event: first time created, then MODIFIED with count+1 and a new lastTimestamp. */
  private recurringEvent(
    key: string,
    namespace: string,
    involved: Record<string, unknown>,
    e: { type: 'Normal' | 'Warning'; reason: string; message: string; component: string; host?: string },
  ): TickResult {
    const existing = this.recurring.get(key);
    if (existing) {
      const cur = this.store.findObject('events', existing);
      if (cur) {
        const next = JSON.parse(cur.json) as KubeObject;
        next['count'] = Number(next['count'] ?? 1) + 1;
        next['lastTimestamp'] = this.ts();
        const stored = this.store.updateObject('events', next);
        return this.record('MODIFIED', stored);
      }
    }
    const r = this.newEvent(namespace, involved, e);
    const meta = r.event.metadata ?? {};
    this.recurring.set(key, { namespace, name: String(meta['name']) });
    return r;
  }

  private runningPod(): SimulatedPod {
    const running = this.pods.filter((p) => p.nodeName !== '' && p.phase === 'Running');
    return this.rng.pick(running.length > 0 ? running : this.pods);
  }

  private lifecycleEvent(): TickResult {
    const l = this.lifecycle[this.lifecycleCursor % this.lifecycle.length]!;
    const p = l.pod;
    const step = l.step;
    l.step = (l.step + 1) % 5;
    if (l.step === 0) this.lifecycleCursor++;
    switch (step) {
      case 0:
        return this.newEvent(p.namespace, this.podRef(p, false), {
          type: 'Normal',
          reason: 'Scheduled',
          message: `Successfully assigned ${p.namespace}/${p.name} to ${p.nodeName}`,
          component: 'default-scheduler',
        });
      case 1:
        return this.newEvent(p.namespace, this.podRef(p, true), {
          type: 'Normal',
          reason: 'Pulling',
          message: `Pulling image "${p.image}"`,
          component: 'kubelet',
          host: p.nodeName,
        });
      case 2: {
        const ms = this.rng.int(300, 9000);
        return this.newEvent(p.namespace, this.podRef(p, true), {
          type: 'Normal',
          reason: 'Pulled',
          message: `Successfully pulled image "${p.image}" in ${(ms / 1000).toFixed(3)}s (${(ms / 1000).toFixed(3)}s including waiting). Image size: ${this.rng.int(5, 400) * 1048576} bytes.`,
          component: 'kubelet',
          host: p.nodeName,
        });
      }
      case 3:
        return this.newEvent(p.namespace, this.podRef(p, true), {
          type: 'Normal',
          reason: 'Created',
          message: `Created container ${p.container}`,
          component: 'kubelet',
          host: p.nodeName,
        });
      default:
        return this.newEvent(p.namespace, this.podRef(p, true), {
          type: 'Normal',
          reason: 'Started',
          message: `Started container ${p.container}`,
          component: 'kubelet',
          host: p.nodeName,
        });
    }
  }

  tick(): TickResult {
    const scenario = this.rng.weighted([40, 15, 12, 4, 6, 5, 3, 5, 5, 5]);
    switch (scenario) {
      case 0:
        if (this.lifecycle.length > 0) return this.lifecycleEvent();
        break;
      case 1: {
        const p = this.runningPod();
        return this.recurringEvent(`BackOff|${p.namespace}/${p.name}`, p.namespace, this.podRef(p, true), {
          type: 'Warning',
          reason: 'BackOff',
          message: `Back-off restarting failed container ${p.container} in pod ${p.name}_${p.namespace}(${p.uid})`,
          component: 'kubelet',
          host: p.nodeName,
        });
      }
      case 2: {
        const p = this.runningPod();
        return this.recurringEvent(`Unhealthy|${p.namespace}/${p.name}`, p.namespace, this.podRef(p, true), {
          type: 'Warning',
          reason: 'Unhealthy',
          message: `Readiness probe failed: Get "http://${p.podIP}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
          component: 'kubelet',
          host: p.nodeName,
        });
      }
      case 3: {
        const p = this.runningPod();
        const node = p.nodeName;
        return this.newEvent(
          'default',
          { kind: 'Node', name: node, uid: this.nodeUids.get(node) ?? node, apiVersion: 'v1' },
          {
            type: 'Warning',
            reason: 'OOMKilling',
            message: `Memory cgroup out of memory: Killed process ${this.rng.int(1000, 99999)} (${p.container}) total-vm:${this.rng.int(100000, 900000)}kB, anon-rss:${this.rng.int(100000, 500000)}kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:${this.rng.int(500, 2000)}kB oom_score_adj:${this.rng.int(-997, 1000)}`,
            component: 'kernel-monitor',
            host: node,
          },
        );
      }
      case 4: {
        const p = this.pendingPod;
        if (!p) break;
        const n = this.nodes.length;
        return this.recurringEvent(`FailedScheduling|${p.namespace}/${p.name}`, p.namespace, this.podRef(p, false), {
          type: 'Warning',
          reason: 'FailedScheduling',
          message: `0/${n} nodes are available: ${n} Insufficient cpu. preemption: 0/${n} nodes are available: ${n} No preemption victims found for incoming pod.`,
          component: 'default-scheduler',
        });
      }
      case 5: {
        const d = this.deployments.length > 0 ? this.rng.pick(this.deployments) : undefined;
        if (!d) break;
        const up = this.rng.next() < 0.5;
        const to = up ? d.replicas + 1 : Math.max(1, d.replicas - 1);
        return this.newEvent(
          d.namespace,
          { kind: 'Deployment', namespace: d.namespace, name: d.name, uid: d.uid, apiVersion: 'apps/v1' },
          {
            type: 'Normal',
            reason: 'ScalingReplicaSet',
            message: `Scaled ${up ? 'up' : 'down'} replica set ${d.rs} from ${d.replicas} to ${to}`,
            component: 'deployment-controller',
          },
        );
      }
      case 6: {
        const node = this.rng.pick(this.nodes.length > 0 ? this.nodes : ['worker-1']);
        return this.newEvent(
          'default',
          { kind: 'Node', name: node, uid: this.nodeUids.get(node) ?? node, apiVersion: 'v1' },
          {
            type: 'Normal',
            reason: 'NodeNotReady',
            message: `Node ${node} status is now: NodeNotReady`,
            component: 'node-controller',
          },
        );
      }
      case 7: {
        const p = this.runningPod();
        if (p.workload.kind === 'Deployment') {
          const rs = this.deployments.find((d) => d.namespace === p.namespace && d.name === p.workload.name);
          if (rs) {
            return this.newEvent(
              p.namespace,
              { kind: 'ReplicaSet', namespace: p.namespace, name: rs.rs, uid: this.ownerUid('replicasets', p.namespace, rs.rs), apiVersion: 'apps/v1' },
              {
                type: 'Normal',
                reason: 'SuccessfulCreate',
                message: `Created pod: ${p.name}`,
                component: 'replicaset-controller',
              },
            );
          }
        }
        break;
      }
      case 8: {
        const p = this.runningPod();
        return this.newEvent(p.namespace, this.podRef(p, true), {
          type: 'Normal',
          reason: 'Killing',
          message: `Stopping container ${p.container}`,
          component: 'kubelet',
          host: p.nodeName,
        });
      }
      default: {
        const j = this.jobs.length > 0 ? this.rng.pick(this.jobs) : undefined;
        if (!j) break;
        return this.newEvent(
          j.namespace,
          { kind: 'Job', namespace: j.namespace, name: j.name, uid: j.uid, apiVersion: 'batch/v1' },
          {
            type: 'Normal',
            reason: 'Completed',
            message: 'Job completed',
            component: 'job-controller',
          },
        );
      }
    }
    // The chosen scenario had nothing to act on: fall back to a kubelet event.
    const p = this.runningPod();
    return this.newEvent(p.namespace, this.podRef(p, true), {
      type: 'Normal',
      reason: 'Pulled',
      message: `Container image "${p.image}" already present on machine`,
      component: 'kubelet',
      host: p.nodeName,
    });
  }

  emit(n: number): TickResult[] {
    const out: TickResult[] = [];
    for (let i = 0; i < n; i++) out.push(this.tick());
    return out;
  }

  run(opts: RunOptions): Promise<number> {
    const rate = opts.rate;
    if (!(rate > 0)) return Promise.reject(new RangeError(`rate must be > 0, got ${rate}`));
    const limit = opts.count ?? Infinity;
    const signal = opts.signal;
    return new Promise((resolve) => {
      let emitted = 0;
      let stopped = false;
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      const stop = (): void => {
        if (stopped) return;
        stopped = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', stop);
        // Deferred: an abort raised from inside tick() (e.g. by a store listener) still counts that tick.
        queueMicrotask(() => resolve(emitted));
      };
      if (signal?.aborted) return resolve(0);
      signal?.addEventListener('abort', stop, { once: true });
      const step = (): void => {
        const due = Math.min(limit, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
        while (emitted < due && !stopped) {
          this.tick();
          emitted++;
        }
        if (stopped) return;
        if (emitted >= limit) return stop();
        const next = (emitted / rate) * 1000 - (performance.now() - started);
        timer = setTimeout(step, Math.max(1, Math.min(next, 50)));
      };
      step();
    });
  }
}
