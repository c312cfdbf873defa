#!/usr/bin/env node
/**
 * Generates examples/demo/events.json: a simulated cluster's events, shaped exactly like the
 * output of `kubectl get events -A -o json` (core/v1 Events in a List, keys sorted, 4-space
 * indent). Deterministic: a seeded PRNG and a fixed base time, so running it again gives the
 * same file byte for byte.
 *
 *   node examples/demo/generate.mjs            # rewrites events.json next to this script
 *   node examples/demo/generate.mjs --stdout   # prints it instead
 *
 * The story (about 90 minutes from 09:00 UTC on 2026-11-02):
 * - monitoring: the stack is (re)deployed; prometheus-server cannot be scheduled
 *   (Insufficient cpu) until the cluster autoscaler adds a node.
 * - shop: frontend rolls out a new version; catalog is scaled up by its HPA; cart's new
 *   version crash-loops (BackOff with growing counts); recommendations has a bad image tag.
 * - payments: ledger-worker is OOM-killed (node SystemOOM/OOMKilling, then BackOff);
 *   payments-api fails readiness probes; a settlement CronJob runs every 15 minutes.
 * - kube-system: a node goes NotReady, its pods are evicted, it comes back.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// ---------------------------------------------------------------------------------------------
// Deterministic helpers

const BASE = Date.parse('2026-11-02T09:00:00Z');
const SEED = 0x6b387374; // "k8st"

/** mulberry32: small, fast, good enough for fixtures. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(SEED);
const int = (min, max) => min + Math.floor(rand() * (max - min + 1));
const pick = (list) => list[Math.floor(rand() * list.length)];
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[int(0, 15)]).join('');
/** The alphabet Kubernetes uses for generated name suffixes (no vowels, no 0/1/3). */
const SAFE = 'bcdfghjklmnpqrstvwxz2456789';
const suffix = (n) => Array.from({ length: n }, () => pick(SAFE)).join('');
function uuid() {
  const h = hex(32).split('');
  h[12] = '4';
  h[16] = '89ab'[int(0, 3)];
  const s = h.join('');
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`;
}
/** Milliseconds since BASE → epoch ms. */
const at = (minutes, seconds = 0) => BASE + Math.round((minutes * 60 + seconds) * 1000);
/** RFC 3339 with second precision, as metav1.Time serialises. */
const secs = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
const micros = (ms) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, (_, m) => `.${m}${String(int(0, 999)).padStart(3, '0')}Z`);

// ---------------------------------------------------------------------------------------------
// The cluster

const REGION = 'eu-west-1';
const nodeName = (ip) => `ip-${ip.replaceAll('.', '-')}.${REGION}.compute.internal`;
const nodes = ['10.0.1.23', '10.0.1.87', '10.0.2.14', '10.0.2.201'].map((ip) => ({
  name: nodeName(ip),
  uid: uuid(),
  ip,
}));
const [nodeA, nodeB, nodeC, nodeD] = nodes;
const newNode = { name: nodeName('10.0.3.118'), uid: uuid(), ip: '10.0.3.118' };
const REGISTRY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';

let objectRv = 7_410_000;
function objectRef(kind, apiVersion, namespace, name) {
  objectRv += int(3, 400);
  return { apiVersion, kind, name, namespace, resourceVersion: String(objectRv), uid: uuid() };
}

const events = [];

/**
 * Adds one core/v1 Event as stored by the API server.
 * style 'recorder' (kubelet, controllers): first/lastTimestamp, count, source.
 * style 'events-api' (scheduler, newer components): eventTime, series, no first/last/count.
 */
function emit({ obj, reason, message, type = 'Normal', first, last = first, count = 1, component, host, fieldPath, style = 'recorder', action, series, namespace, instance }) {
  const involvedObject = { ...obj };
  if (fieldPath) involvedObject.fieldPath = fieldPath;
  const ns = namespace ?? (obj.namespace || 'default');
  const ev = {
    apiVersion: 'v1',
    kind: 'Event',
    involvedObject,
    message,
    reason,
    type,
    metadata: {
      // Kubernetes names events `<object>.<unix nanos in hex>`.
      name: `${obj.name}.${(BigInt(first) * 1_000_000n + BigInt(int(0, 999_999))).toString(16)}`,
      namespace: ns,
      uid: uuid(),
    },
    _sort: last,
  };
  if (style === 'events-api') {
    ev.eventTime = micros(first);
    ev.firstTimestamp = null;
    ev.lastTimestamp = null;
    ev.source = {};
    ev.action = action;
    ev.reportingComponent = component;
    ev.reportingInstance = instance ?? `${component}-${nodeA.name}`;
    ev.metadata.creationTimestamp = secs(first);
    if (series) {
      ev.series = { count: series.count, lastObservedTime: micros(series.last) };
      ev._sort = series.last;
    }
  } else {
    ev.count = count;
    ev.eventTime = null;
    ev.firstTimestamp = secs(first);
    ev.lastTimestamp = secs(last);
    ev.source = host ? { component, host } : { component };
    ev.reportingComponent = component;
    ev.reportingInstance = host ?? '';
    ev.metadata.creationTimestamp = secs(first);
  }
  events.push(ev);
  return ev;
}

// ---------------------------------------------------------------------------------------------
// Workload building blocks

function deployment(namespace, name) {
  return {
    namespace,
    name,
    ref: objectRef('Deployment', 'apps/v1', namespace, name),
    replicaSets: [],
  };
}

function replicaSet(dep, image) {
  const name = `${dep.name}-${suffix(pick([9, 10]))}`;
  const rs = { dep, name, image, ref: objectRef('ReplicaSet', 'apps/v1', dep.namespace, name), pods: [] };
  dep.replicaSets.push(rs);
  return rs;
}

function newPod(namespace, name, node, container, image) {
  return { namespace, name, node, container, image, ref: objectRef('Pod', 'v1', namespace, name), ip: `10.0.${int(1, 3)}.${int(2, 250)}` };
}

function scheduled(pod, t) {
  emit({
    obj: pod.ref,
    reason: 'Scheduled',
    message: `Successfully assigned ${pod.namespace}/${pod.name} to ${pod.node.name}`,
    first: t,
    component: 'default-scheduler',
    style: 'events-api',
    action: 'Binding',
    instance: 'default-scheduler-ip-10-0-0-12.eu-west-1.compute.internal',
  });
}

/** Scheduled → Pulling → Pulled → Created → Started. Returns when the container started. */
function startPod(pod, t, { cached = false } = {}) {
  const kubelet = { component: 'kubelet', host: pod.node.name, fieldPath: `spec.containers{${pod.container}}` };
  scheduled(pod, t);
  let now = t + int(300, 1500);
  if (cached) {
    emit({ ...kubelet, obj: pod.ref, reason: 'Pulled', message: `Container image "${pod.image}" already present on machine`, first: now });
  } else {
    emit({ ...kubelet, obj: pod.ref, reason: 'Pulling', message: `Pulling image "${pod.image}"`, first: now });
    const pullMs = int(900, 14_000);
    const waitMs = pullMs + int(0, 800);
    now += waitMs;
    emit({
      ...kubelet,
      obj: pod.ref,
      reason: 'Pulled',
      message: `Successfully pulled image "${pod.image}" in ${(pullMs / 1000).toFixed(3)}s (${(waitMs / 1000).toFixed(3)}s including waiting). Image size: ${int(18, 420) * 1_048_576 + int(0, 999_999)} bytes.`,
      first: now,
    });
  }
  now += int(200, 900);
  emit({ ...kubelet, obj: pod.ref, reason: 'Created', message: `Created container: ${pod.container}`, first: now });
  now += int(100, 700);
  emit({ ...kubelet, obj: pod.ref, reason: 'Started', message: `Started container ${pod.container}`, first: now });
  return now;
}

function stopPod(pod, t) {
  emit({
    obj: pod.ref,
    reason: 'Killing',
    message: `Stopping container ${pod.container}`,
    first: t,
    component: 'kubelet',
    host: pod.node.name,
    fieldPath: `spec.containers{${pod.container}}`,
  });
}

function createPod(rs, node, t, container = rs.dep.name) {
  const pod = newPod(rs.dep.namespace, `${rs.name}-${suffix(5)}`, node, container, rs.image);
  rs.pods.push(pod);
  emit({ obj: rs.ref, reason: 'SuccessfulCreate', message: `Created pod: ${pod.name}`, first: t, component: 'replicaset-controller' });
  return pod;
}

function deletePod(rs, pod, t) {
  emit({ obj: rs.ref, reason: 'SuccessfulDelete', message: `Deleted pod: ${pod.name}`, first: t, component: 'replicaset-controller' });
  stopPod(pod, t + int(50, 400));
}

function scaleEvent(dep, rs, from, to, t) {
  emit({
    obj: dep.ref,
    reason: 'ScalingReplicaSet',
    message: `Scaled ${to > from ? 'up' : 'down'} replica set ${rs.name} from ${from} to ${to}`,
    first: t,
    component: 'deployment-controller',
  });
}

/** A fresh deployment of `replicas` pods of `image`, starting at minute `m`. */
function deploy(namespace, name, image, replicas, m, { container = name } = {}) {
  const dep = deployment(namespace, name);
  const rs = replicaSet(dep, image);
  const t = at(m);
  scaleEvent(dep, rs, 0, replicas, t);
  for (let i = 0; i < replicas; i++) {
    const pod = createPod(rs, nodes[(i + int(0, 3)) % nodes.length], t + 300 + i * 40, container);
    startPod(pod, t + 400 + i * 60);
  }
  return dep;
}

/** Rolling update (maxSurge 1, maxUnavailable 0) from the current ReplicaSet to `image`. */
function rollout(dep, image, replicas, m, { readinessBlips = 0 } = {}) {
  const oldRs = dep.replicaSets[dep.replicaSets.length - 1];
  const newRs = replicaSet(dep, image);
  let t = at(m);
  for (let i = 1; i <= replicas; i++) {
    scaleEvent(dep, newRs, i - 1, i, t);
    const pod = createPod(newRs, nodes[(i + 1) % nodes.length], t + 200);
    const started = startPod(pod, t + 300);
    if (readinessBlips > 0) {
      emit({
        obj: pod.ref,
        reason: 'Unhealthy',
        type: 'Warning',
        message: `Readiness probe failed: HTTP probe failed with statuscode: 503`,
        first: started + 2000,
        last: started + 2000 + (readinessBlips - 1) * 5000,
        count: readinessBlips,
        component: 'kubelet',
        host: pod.node.name,
        fieldPath: `spec.containers{${pod.container}}`,
      });
    }
    t = started + 8000 + readinessBlips * 5000;
    scaleEvent(dep, oldRs, replicas - i + 1, replicas - i, t);
    const victim = oldRs.pods.shift() ?? newPod(dep.namespace, `${oldRs.name}-${suffix(5)}`, nodeD, dep.name, oldRs.image);
    deletePod(oldRs, victim, t + 100);
    t += int(3000, 6000);
  }
  return newRs;
}

// ---------------------------------------------------------------------------------------------
// monitoring: the stack is deployed; prometheus-server waits for a new node

deploy('monitoring', 'grafana', 'docker.io/grafana/grafana:11.3.1', 1, 0.5);
deploy('monitoring', 'kube-state-metrics', 'registry.k8s.io/kube-state-metrics/kube-state-metrics:v2.14.0', 1, 0.6);
deploy('monitoring', 'alertmanager', 'quay.io/prometheus/alertmanager:v0.27.0', 2, 0.8);

{
  const ds = objectRef('DaemonSet', 'apps/v1', 'monitoring', 'node-exporter');
  nodes.forEach((node, i) => {
    const pod = newPod('monitoring', `node-exporter-${suffix(5)}`, node, 'node-exporter', 'quay.io/prometheus/node-exporter:v1.8.2');
    emit({ obj: ds, reason: 'SuccessfulCreate', message: `Created pod: ${pod.name}`, first: at(1, i * 2), component: 'daemonset-controller' });
    startPod(pod, at(1, i * 2 + 1));
  });
}

const prometheus = deployment('monitoring', 'prometheus-server');
const promRs = replicaSet(prometheus, 'quay.io/prometheus/prometheus:v2.55.1');
const promPod = newPod('monitoring', `${promRs.name}-${suffix(5)}`, newNode, 'prometheus-server', promRs.image);
scaleEvent(prometheus, promRs, 0, 1, at(2));
emit({ obj: promRs.ref, reason: 'SuccessfulCreate', message: `Created pod: ${promPod.name}`, first: at(2, 1), component: 'replicaset-controller' });
emit({
  obj: promPod.ref,
  reason: 'FailedScheduling',
  type: 'Warning',
  message: '0/4 nodes are available: 4 Insufficient cpu. preemption: 0/4 nodes are available: 4 No preemption victims found for incoming pod.',
  first: at(2, 2),
  component: 'default-scheduler',
  style: 'events-api',
  action: 'Scheduling',
  series: { count: 17, last: at(9, 40) },
  instance: 'default-scheduler-ip-10-0-0-12.eu-west-1.compute.internal',
});
emit({
  obj: promPod.ref,
  reason: 'TriggeredScaleUp',
  message: `pod triggered scale-up: [{eks-workers-general-2a4c6e8f-1b3d-4f5a-9c7e-8d6f4b2a0c1e 4->5 (max: 10)}]`,
  first: at(2, 14),
  component: 'cluster-autoscaler',
});
{
  // The new node joins.
  const nodeRef = { kind: 'Node', name: newNode.name, uid: newNode.name };
  const kubelet = { component: 'kubelet', host: newNode.name, namespace: 'default' };
  const t = at(6, 30);
  emit({ ...kubelet, obj: nodeRef, reason: 'Starting', message: 'Starting kubelet.', first: t });
  emit({ ...kubelet, obj: nodeRef, reason: 'InvalidDiskCapacity', type: 'Warning', message: 'invalid capacity 0 on image filesystem', first: t + 40 });
  for (const [reason, cond] of [
    ['NodeHasSufficientMemory', 'NodeHasSufficientMemory'],
    ['NodeHasNoDiskPressure', 'NodeHasNoDiskPressure'],
    ['NodeHasSufficientPID', 'NodeHasSufficientPID'],
  ]) {
    emit({ ...kubelet, obj: nodeRef, reason, message: `Node ${newNode.name} status is now: ${cond}`, first: t + 90, last: t + 1900, count: 2 });
  }
  emit({ ...kubelet, obj: nodeRef, reason: 'NodeAllocatableEnforced', message: 'Updated Node Allocatable limit across pods', first: t + 120 });
  emit({
    obj: { apiVersion: 'v1', kind: 'Node', name: newNode.name, uid: newNode.uid },
    namespace: 'default',
    reason: 'RegisteredNode',
    message: `Node ${newNode.name} event: Registered Node ${newNode.name} in Controller`,
    first: t + 2500,
    component: 'node-controller',
  });
  emit({ ...kubelet, obj: nodeRef, reason: 'NodeReady', message: `Node ${newNode.name} status is now: NodeReady`, first: at(9, 31) });
  for (const [dsName, image] of [
    ['kube-proxy', '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.31.2-minimal-eksbuild.3'],
    ['aws-node', '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.0-eksbuild.1'],
  ]) {
    const ds = objectRef('DaemonSet', 'apps/v1', 'kube-system', dsName);
    const pod = newPod('kube-system', `${dsName}-${suffix(5)}`, newNode, dsName, image);
    emit({ obj: ds, reason: 'SuccessfulCreate', message: `Created pod: ${pod.name}`, first: t + 2600, component: 'daemonset-controller' });
    startPod(pod, t + 2700);
  }
  promPod.node = newNode;
  startPod(promPod, at(9, 41));
}

// ---------------------------------------------------------------------------------------------
// shop

const frontend = deploy('shop', 'frontend', `${REGISTRY}/shop/frontend:2.14.0`, 3, 3);
rollout(frontend, `${REGISTRY}/shop/frontend:2.15.0`, 3, 12, { readinessBlips: 2 });

const catalog = deploy('shop', 'catalog', `${REGISTRY}/shop/catalog:1.9.4`, 2, 4);
{
  const hpa = objectRef('HorizontalPodAutoscaler', 'autoscaling/v2', 'shop', 'catalog');
  emit({
    obj: hpa,
    reason: 'SuccessfulRescale',
    message: 'New size: 4; reason: cpu resource utilization (percentage of request) above target',
    first: at(21),
    component: 'horizontal-pod-autoscaler',
  });
  const rs = catalog.replicaSets[0];
  scaleEvent(catalog, rs, 2, 4, at(21, 1));
  for (let i = 0; i < 2; i++) startPod(createPod(rs, nodes[i + 2], at(21, 2 + i)), at(21, 3 + i), { cached: i === 1 });
  emit({
    obj: hpa,
    reason: 'SuccessfulRescale',
    message: 'New size: 3; reason: All metrics below target',
    first: at(58),
    component: 'horizontal-pod-autoscaler',
  });
  scaleEvent(catalog, rs, 4, 3, at(58, 1));
  deletePod(rs, rs.pods[3], at(58, 2));
}

const checkout = deploy('shop', 'checkout', `${REGISTRY}/shop/checkout:4.2.1`, 2, 5);
deploy('shop', 'search', `${REGISTRY}/shop/search:0.31.0`, 2, 5.5);

{
  // cart's new version cannot start: a required setting is missing. It crash-loops.
  const cart = deploy('shop', 'cart', `${REGISTRY}/shop/cart:3.1.7`, 2, 6);
  const badRs = replicaSet(cart, `${REGISTRY}/shop/cart:3.2.0`);
  scaleEvent(cart, badRs, 0, 1, at(24));
  const pod = createPod(badRs, nodeC, at(24, 1));
  startPod(pod, at(24, 2));
  const kubelet = { component: 'kubelet', host: pod.node.name, fieldPath: 'spec.containers{cart}' };
  // The same Event objects are updated as the container keeps failing; each one here is the
  // latest version, with counts that grew with every restart.
  const restarts = 11;
  emit({
    ...kubelet,
    obj: pod.ref,
    reason: 'Pulled',
    message: `Container image "${badRs.image}" already present on machine`,
    first: at(24, 40),
    last: at(62, 10),
    count: restarts,
  });
  emit({ ...kubelet, obj: pod.ref, reason: 'Created', message: 'Created container: cart', first: at(24, 41), last: at(62, 11), count: restarts });
  emit({ ...kubelet, obj: pod.ref, reason: 'Started', message: 'Started container cart', first: at(24, 41), last: at(62, 11), count: restarts });
  emit({
    ...kubelet,
    obj: pod.ref,
    reason: 'BackOff',
    type: 'Warning',
    message: `Back-off restarting failed container cart in pod ${pod.name}_shop(${pod.ref.uid})`,
    first: at(24, 30),
    last: at(66, 2),
    count: 187,
  });
  emit({
    ...kubelet,
    obj: pod.ref,
    reason: 'Unhealthy',
    type: 'Warning',
    message: 'Readiness probe failed: Get "http://' + pod.ip + ':8080/ready": dial tcp ' + pod.ip + ':8080: connect: connection refused',
    first: at(24, 8),
    last: at(61, 58),
    count: 23,
  });
  emit({
    obj: cart.ref,
    reason: 'ProgressDeadlineExceeded',
    type: 'Warning',
    message: `ReplicaSet "${badRs.name}" has timed out progressing.`,
    first: at(34, 2),
    component: 'deployment-controller',
  });
  // A second attempt, half an hour later, with the same bug: the counts start over.
  const pod2 = createPod(badRs, nodeA, at(70));
  startPod(pod2, at(70, 1), { cached: true });
  emit({
    component: 'kubelet',
    host: pod2.node.name,
    fieldPath: 'spec.containers{cart}',
    obj: pod2.ref,
    reason: 'BackOff',
    type: 'Warning',
    message: `Back-off restarting failed container cart in pod ${pod2.name}_shop(${pod2.ref.uid})`,
    first: at(70, 30),
    last: at(88, 40),
    count: 74,
  });
}

{
  // recommendations: a typo in the image tag.
  const rec = deploy('shop', 'recommendations', `${REGISTRY}/shop/recommendations:1.7.3`, 2, 7);
  const rs = replicaSet(rec, `${REGISTRY}/shop/recommendations:1.8.O`);
  scaleEvent(rec, rs, 0, 1, at(40));
  const pod = createPod(rs, nodeD, at(40, 1));
  scheduled(pod, at(40, 2));
  const kubelet = { component: 'kubelet', host: pod.node.name, fieldPath: 'spec.containers{recommendations}' };
  emit({ ...kubelet, obj: pod.ref, reason: 'Pulling', message: `Pulling image "${rs.image}"`, first: at(40, 3), last: at(52, 40), count: 7 });
  emit({
    ...kubelet,
    obj: pod.ref,
    reason: 'Failed',
    type: 'Warning',
    message: `Failed to pull image "${rs.image}": rpc error: code = NotFound desc = failed to pull and unpack image "${rs.image}": failed to resolve reference "${rs.image}": ${rs.image}: not found`,
    first: at(40, 4),
    last: at(52, 41),
    count: 7,
  });
  emit({ ...kubelet, obj: pod.ref, reason: 'Failed', type: 'Warning', message: 'Error: ErrImagePull', first: at(40, 4), last: at(52, 41), count: 7 });
  emit({
    ...kubelet,
    obj: pod.ref,
    reason: 'BackOff',
    type: 'Warning',
    message: `Back-off pulling image "${rs.image}"`,
    first: at(40, 20),
    last: at(55, 3),
    count: 61,
  });
  emit({ ...kubelet, obj: pod.ref, reason: 'Failed', type: 'Warning', message: 'Error: ImagePullBackOff', first: at(40, 20), last: at(55, 3), count: 61 });
}

{
  // redis (StatefulSet) with a volume.
  const sts = objectRef('StatefulSet', 'apps/v1', 'shop', 'redis');
  const pod = newPod('shop', 'redis-0', nodeB, 'redis', 'docker.io/library/redis:7.4.1-alpine');
  emit({ obj: sts, reason: 'SuccessfulCreate', message: 'create Pod redis-0 in StatefulSet redis successful', first: at(8), component: 'statefulset-controller' });
  scheduled(pod, at(8, 1));
  emit({
    obj: pod.ref,
    reason: 'SuccessfulAttachVolume',
    message: 'AttachVolume.Attach succeeded for volume "pvc-3f1c9a52-7b2e-4d8a-a1f6-9e0c4b7d2a18"',
    first: at(8, 9),
    component: 'attachdetach-controller',
  });
  const started = startPod(pod, at(8, 12), { cached: true });
  emit({
    obj: pod.ref,
    reason: 'Unhealthy',
    type: 'Warning',
    message:
      "Readiness probe failed: Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n" +
      'Could not connect to Redis at 127.0.0.1:6379: Connection refused\n',
    first: started + 3000,
    last: started + 13_000,
    count: 3,
    component: 'kubelet',
    host: pod.node.name,
    fieldPath: 'spec.containers{redis}',
  });
}

// ---------------------------------------------------------------------------------------------
// payments

const paymentsApi = deploy('payments', 'payments-api', `${REGISTRY}/payments/api:5.0.3`, 3, 10);
{
  // Readiness probes time out while the database proxy struggles.
  const rs = paymentsApi.replicaSets[0];
  rs.pods.forEach((pod, i) => {
    emit({
      obj: pod.ref,
      reason: 'Unhealthy',
      type: 'Warning',
      message: `Readiness probe failed: Get "http://${pod.ip}:8080/healthz/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`,
      first: at(31, i * 7),
      last: at(47, i * 11),
      count: 9 + i * 6,
      component: 'kubelet',
      host: pod.node.name,
      fieldPath: 'spec.containers{payments-api}',
    });
  });
  const proxy = deploy('payments', 'pgbouncer', 'docker.io/bitnami/pgbouncer:1.23.1', 1, 10.5);
  const pod = proxy.replicaSets[0].pods[0];
  emit({
    obj: pod.ref,
    reason: 'Unhealthy',
    type: 'Warning',
    // Exec probe output is copied verbatim, newlines and tabs included.
    message:
      'Readiness probe failed: psql: error: connection to server at "10.0.3.12", port 5432 failed: Connection refused\n' +
      '\tIs the server running on that host and accepting TCP/IP connections?\n' +
      'connection to server at "10.0.3.12", port 5432 failed: timeout expired\n',
    first: at(30, 40),
    last: at(46, 50),
    count: 97,
    component: 'kubelet',
    host: pod.node.name,
    fieldPath: 'spec.containers{pgbouncer}',
  });
  emit({
    obj: pod.ref,
    reason: 'Unhealthy',
    type: 'Warning',
    message: 'Liveness probe failed: command "/bin/sh -c pg_isready -h 127.0.0.1 -p 6432" timed out',
    first: at(35, 3),
    last: at(45, 3),
    count: 4,
    component: 'kubelet',
    host: pod.node.name,
    fieldPath: 'spec.containers{pgbouncer}',
  });
  emit({
    obj: pod.ref,
    reason: 'Killing',
    message: 'Container pgbouncer failed liveness probe, will be restarted',
    first: at(45, 4),
    component: 'kubelet',
    host: pod.node.name,
    fieldPath: 'spec.containers{pgbouncer}',
  });
}

{
  // ledger-worker runs out of memory on its node.
  const ledger = deploy('payments', 'ledger-worker', `${REGISTRY}/payments/ledger-worker:2.3.0`, 2, 11);
  const rs = ledger.replicaSets[0];
  const pod = rs.pods[0];
  const node = pod.node;
  const nodeRef = { kind: 'Node', name: node.name, uid: node.name };
  const pids = [48213, 51877, 55102, 58940];
  pids.forEach((pid, i) => {
    const t = at(26 + i * 6, 12);
    emit({
      obj: nodeRef,
      namespace: 'default',
      reason: 'OOMKilling',
      type: 'Warning',
      message: `Memory cgroup out of memory: Killed process ${pid} (java) total-vm:${int(4_100_000, 4_300_000)}kB, anon-rss:${1_048_576 + int(0, 4096)}kB, file-rss:${int(18_000, 24_000)}kB, shmem-rss:0kB, UID:1000 pgtables:${int(2300, 2600)}kB oom_score_adj:${int(900, 999)}`,
      first: t,
      component: 'kernel-monitor',
      host: node.name,
    });
  });
  emit({
    obj: nodeRef,
    namespace: 'default',
    reason: 'SystemOOM',
    type: 'Warning',
    message: `System OOM encountered, victim process: java, pid: ${pids[pids.length - 1]}`,
    first: at(26, 13),
    last: at(44, 13),
    count: pids.length,
    component: 'kubelet',
    host: node.name,
  });
  const kubelet = { component: 'kubelet', host: node.name, fieldPath: 'spec.containers{ledger-worker}' };
  emit({
    ...kubelet,
    obj: pod.ref,
    reason: 'Pulled',
    message: `Container image "${rs.image}" already present on machine`,
    first: at(26, 20),
    last: at(44, 51),
    count: pids.length,
  });
  emit({ ...kubelet, obj: pod.ref, reason: 'Created', message: 'Created container: ledger-worker', first: at(26, 21), last: at(44, 52), count: pids.length });
  emit({ ...kubelet, obj: pod.ref, reason: 'Started', message: 'Started container ledger-worker', first: at(26, 21), last: at(44, 52), count: pids.length });
  emit({
    ...kubelet,
    obj: pod.ref,
    reason: 'BackOff',
    type: 'Warning',
    message: `Back-off restarting failed container ledger-worker in pod ${pod.name}_payments(${pod.ref.uid})`,
    first: at(32, 30),
    last: at(44, 40),
    count: 6,
  });
  // An operator reacts: its own event type, unicode included.
  const op = objectRef('LedgerConfig', 'ledger.example.com/v1', 'payments', 'ledger-rules');
  emit({
    obj: op,
    reason: 'ConfigReloaded',
    message: 'Reloaded “ledger-rules” (rev 42): rounding → banker’s, currency €, JVM heap 768Mi → 1.5Gi ✓',
    first: at(47, 5),
    component: 'ledger-operator',
  });
  rollout(ledger, `${REGISTRY}/payments/ledger-worker:2.3.1`, 2, 48);
}

deploy('payments', 'fraud-detector', `${REGISTRY}/payments/fraud-detector:0.14.2`, 2, 13);

{
  // settlement-report CronJob every 15 minutes.
  const cron = objectRef('CronJob', 'batch/v1', 'payments', 'settlement-report');
  let previous = null;
  for (let m = 0; m <= 75; m += 15) {
    // CronJob names its jobs after the scheduled time in minutes since the epoch.
    const jobName = `settlement-report-${BASE / 60_000 + m}`;
    const job = objectRef('Job', 'batch/v1', 'payments', jobName);
    const t = at(m);
    emit({ obj: cron, reason: 'SuccessfulCreate', message: `Created job ${jobName}`, first: t, component: 'cronjob-controller' });
    const pod = newPod('payments', `${jobName}-${suffix(5)}`, pick(nodes), 'report', `${REGISTRY}/payments/settlement-report:1.4.0`);
    emit({ obj: job, reason: 'SuccessfulCreate', message: `Created pod: ${pod.name}`, first: t + 50, component: 'job-controller' });
    const started = startPod(pod, t + 120, { cached: m > 0 });
    const done = started + int(20_000, 50_000);
    emit({ obj: job, reason: 'Completed', message: 'Job completed', first: done, component: 'job-controller' });
    emit({ obj: cron, reason: 'SawCompletedJob', message: `Saw completed job: ${jobName}, condition: Complete`, first: done + 900, component: 'cronjob-controller' });
    if (previous) emit({ obj: cron, reason: 'SuccessfulDelete', message: `Deleted job ${previous}`, first: done + 950, component: 'cronjob-controller' });
    previous = jobName;
  }
}

// ---------------------------------------------------------------------------------------------
// kube-system: nodeB goes NotReady and comes back

{
  const coredns = deploy('kube-system', 'coredns', '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.3-eksbuild.2', 2, 1.5);
  deploy('kube-system', 'metrics-server', 'registry.k8s.io/metrics-server/metrics-server:v0.7.2', 1, 1.7);
  const t = at(72);
  emit({
    obj: { apiVersion: 'v1', kind: 'Node', name: nodeB.name, uid: nodeB.uid },
    namespace: 'default',
    reason: 'NodeNotReady',
    type: 'Normal',
    message: `Node ${nodeB.name} status is now: NodeNotReady`,
    first: t,
    component: 'node-controller',
  });
  // node-controller marks every pod on the node.
  const onNode = [...[frontend, catalog, checkout, paymentsApi, coredns].flatMap((d) => d.replicaSets.flatMap((rs) => rs.pods)).filter((p) => p.node === nodeB)];
  for (const name of ['kube-proxy', 'aws-node', 'ebs-csi-node']) {
    onNode.push(newPod('kube-system', `${name}-${suffix(5)}`, nodeB, name, 'unused'));
  }
  onNode.forEach((pod, i) => {
    emit({
      obj: pod.ref,
      reason: 'NodeNotReady',
      type: 'Warning',
      message: 'Node is not ready',
      first: t + 200 + i * 30,
      component: 'node-controller',
    });
  });
  onNode
    .filter((p) => p.namespace !== 'kube-system')
    .forEach((pod, i) => {
      emit({
        obj: pod.ref,
        reason: 'TaintManagerEviction',
        message: `Marking for deletion Pod ${pod.namespace}/${pod.name}`,
        first: t + 300_000 + i * 40,
        component: 'taint-eviction-controller',
      });
    });
  const kubeletRef = { kind: 'Node', name: nodeB.name, uid: nodeB.name };
  emit({
    obj: kubeletRef,
    namespace: 'default',
    reason: 'Rebooted',
    type: 'Warning',
    message: `Node ${nodeB.name} has been rebooted, boot id: ${uuid()}`,
    first: t + 340_000,
    component: 'kubelet',
    host: nodeB.name,
  });
  emit({
    obj: kubeletRef,
    namespace: 'default',
    reason: 'NodeReady',
    message: `Node ${nodeB.name} status is now: NodeReady`,
    first: t + 352_000,
    component: 'kubelet',
    host: nodeB.name,
  });
}

// ---------------------------------------------------------------------------------------------
// Output: resourceVersions in order of last change, items in etcd key order (namespace, name)

events.sort((a, b) => a._sort - b._sort);
let rv = 9_481_226;
for (const ev of events) {
  rv += int(1, 9);
  ev.metadata.resourceVersion = String(rv);
  delete ev._sort;
}
events.sort((a, b) => (a.metadata.namespace === b.metadata.namespace ? (a.metadata.name < b.metadata.name ? -1 : 1) : a.metadata.namespace < b.metadata.namespace ? -1 : 1));

const uids = new Set(events.map((e) => e.metadata.uid));
if (uids.size !== events.length) throw new Error('duplicate event uid');

/** kubectl prints keys sorted (objects go through map[string]interface{}). */
function sortKeys(value) {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .filter((k) => value[k] !== undefined)
        .sort()
        .map((k) => [k, sortKeys(value[k])]),
    );
  }
  return value;
}

const list = sortKeys({ apiVersion: 'v1', items: events, kind: 'List', metadata: { resourceVersion: '' } });
const text = JSON.stringify(list, null, 4) + '\n';
if (process.argv.includes('--stdout')) {
  process.stdout.write(text);
} else {
  const out = fileURLToPath(new URL('./events.json', import.meta.url));
  writeFileSync(out, text);
  process.stderr.write(`wrote ${events.length} events to ${out}\n`);
}
