// `body: otlp` end to end: the real runtime watches the API-server double (enrichment on: owners,
// node, services), and sends every event both to an OTLP/HTTP receiver (the http sink) and to a
// file sink. The receiver decodes each request with the official opentelemetry-proto definitions
// (protobufjs); every log record is then checked field by field against the record the file sink
// got, for protobuf and OTLP/JSON, gzip on and off.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApiServer } from '@k8stream/apiserver-double';
import type { ApiServerDouble } from '@k8stream/apiserver-double';
import { listFiles, readRecords } from '../helpers/archive.fixture.js';
import { attrs, startOtlpReceiver } from './otlp-receiver.fixture.js';
import type { DecodedLogRecord, KeyValue, OtlpReceiver } from './otlp-receiver.fixture.js';
import { REPO, buildHttpSink, startRun } from './pipeline.fixture.js';

const CLUSTER = 'otlp-e2e';
const NON_ASCII = 'Back-off 再起動 — Größe «café» ✓ 🚀\nline two\t"quoted"';

let api: ApiServerDouble;
let version: string;

type Rec = Record<string, unknown> & {
  id: string;
  cluster: string;
  uid: string;
  type: string;
  reason: string;
  message: string;
  involvedObject: Record<string, string>;
  enrichment: {
    labels: Record<string, string>;
    annotations: Record<string, string>;
    owners: { kind: string; name: string; uid: string }[];
    workload: { kind: string; name: string; uid: string } | null;
    node: { name: string; addresses: { type: string; address: string }[] } | null;
    pod: { ip: string; hostIP: string; phase: string; startTime: string | null } | null;
    services: { name: string; namespace: string }[];
    errors: { lookup: string; message: string }[];
  };
};

/** Seeds a node, a Deployment → ReplicaSet → Pod chain, a Service selecting the pod, and events about them. */
function seed(server: ApiServerDouble): void {
  const s = server.store;
  s.create('nodes', {
    metadata: { name: 'worker-1', labels: { zone: 'a' } },
    status: {
      addresses: [
        { type: 'InternalIP', address: '10.0.0.11' },
        { type: 'Hostname', address: 'worker-1' },
      ],
    },
  });
  const dep = s.create('deployments', { metadata: { name: 'web', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'web' } } } });
  const rs = s.create('replicasets', {
    metadata: { name: 'web-7d9f', namespace: 'shop', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: dep.metadata!.uid!, controller: true }] },
  });
  const pod = s.create('pods', {
    metadata: {
      name: 'web-7d9f-x1',
      namespace: 'shop',
      labels: { app: 'web', tier: 'front' },
      annotations: { note: 'größe ✓' },
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9f', uid: rs.metadata!.uid!, controller: true }],
    },
    spec: { nodeName: 'worker-1' },
    status: { phase: 'Running', podIP: '10.1.0.5', hostIP: '10.0.0.11', startTime: '2026-11-27T11:00:00Z' },
  });
  s.create('services', { metadata: { name: 'web-svc', namespace: 'shop' }, spec: { selector: { app: 'web' } } });
  s.create('services', { metadata: { name: 'api-svc', namespace: 'shop' }, spec: { selector: { app: 'api' } } });
  const podRef = { kind: 'Pod', name: 'web-7d9f-x1', namespace: 'shop', uid: pod.metadata!.uid!, apiVersion: 'v1' };
  s.create('events', {
    metadata: { name: 'web.pulled', namespace: 'shop' },
    involvedObject: { ...podRef, fieldPath: 'spec.containers{app}' },
    reason: 'Pulled',
    type: 'Normal',
    message: 'Successfully pulled image "nginx:1.27"',
    count: 3,
    firstTimestamp: '2026-11-27T12:00:00Z',
    lastTimestamp: '2026-11-27T12:00:05Z',
    source: { component: 'kubelet', host: 'worker-1' },
    reportingComponent: 'kubelet',
    reportingInstance: 'worker-1',
  });
  s.create('events', {
    metadata: { name: 'web.backoff', namespace: 'shop' },
    involvedObject: podRef,
    reason: 'BackOff',
    type: 'Warning',
    message: NON_ASCII,
    count: 7,
    firstTimestamp: '2026-11-27T12:00:01Z',
    lastTimestamp: '2026-11-27T12:01:00Z',
    source: { component: 'kubelet', host: 'worker-1' },
    action: 'Restarting',
  });
  s.create('events', {
    metadata: { name: 'worker-1.notready', namespace: 'default' },
    involvedObject: { kind: 'Node', name: 'worker-1', uid: 'worker-1', apiVersion: 'v1' },
    reason: 'NodeNotReady',
    type: 'Warning',
    message: 'Node worker-1 status is now: NodeNotReady',
    count: 1,
    lastTimestamp: '2026-11-27T12:02:00Z',
    source: { component: 'node-controller' },
  });
  // Missing optional fields: no first/last timestamp (an eventTime with microseconds), no source,
  // no count, an object that does not exist (lookups fail), and a type that is neither Normal nor Warning.
  s.create('events', {
    metadata: { name: 'ghost.custom', namespace: 'shop' },
    involvedObject: { kind: 'Pod', name: 'ghost', namespace: 'shop' },
    reason: 'Custom',
    type: 'Audit',
    message: '',
    eventTime: '2026-11-27T12:03:00.123456Z',
    reportingComponent: 'my-operator',
    reportingInstance: 'my-operator-0',
    action: 'Checked',
  });
  s.create('events', {
    metadata: { name: 'shop.ns', namespace: 'shop' },
    involvedObject: { kind: 'Deployment', name: 'web', namespace: 'shop', uid: dep.metadata!.uid!, apiVersion: 'apps/v1' },
    reason: 'ScalingReplicaSet',
    type: 'Normal',
    message: 'Scaled up replica set web-7d9f to 1',
    count: 1,
    lastTimestamp: '2026-11-27T12:04:00Z',
    source: { component: 'deployment-controller' },
  });
}
const EVENTS = 5;

/** ISO → unix nanoseconds as a decimal string, keeping every fractional digit. */
function nanos(iso: string): string {
  const m = /^(.*?)(?:\.(\d+))?Z$/.exec(iso)!;
  return (BigInt(Date.parse(`${m[1]}Z`)) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))).toString();
}

const KINDS: Record<string, string> = {
  Pod: 'k8s.pod',
  Node: 'k8s.node',
  Deployment: 'k8s.deployment',
  ReplicaSet: 'k8s.replicaset',
  StatefulSet: 'k8s.statefulset',
  DaemonSet: 'k8s.daemonset',
  Job: 'k8s.job',
  CronJob: 'k8s.cronjob',
};

/** What the README's mapping table says the resource of `r` is. */
function expectedResource(r: Rec): Record<string, unknown> {
  const io = r.involvedObject;
  const out: Record<string, unknown> = { 'k8s.cluster.name': r.cluster };
  const ns = io.namespace || (r.namespace as string);
  if (ns) out['k8s.namespace.name'] = ns;
  for (const [k, v] of [
    ['kind', io.kind],
    ['name', io.name],
    ['uid', io.uid],
    ['api_version', io.apiVersion],
  ] as const) {
    if (v) out[`k8s.object.${k}`] = v;
  }
  const put = (kind: string, name: string, uid: string) => {
    const p = KINDS[kind];
    if (p === undefined || !name || out[`${p}.name`] !== undefined) return;
    out[`${p}.name`] = name;
    if (uid) out[`${p}.uid`] = uid;
  };
  put(io.kind!, io.name!, io.uid!);
  const e = r.enrichment;
  if (e.workload) put(e.workload.kind, e.workload.name, e.workload.uid);
  for (const o of e.owners) put(o.kind, o.name, o.uid);
  if (e.node && out['k8s.node.name'] === undefined) out['k8s.node.name'] = e.node.name;
  const prefix = KINDS[io.kind!] ?? 'k8s.object';
  for (const [k, v] of Object.entries(e.labels)) out[`${prefix}.label.${k}`] = v;
  for (const [k, v] of Object.entries(e.annotations)) out[`${prefix}.annotation.${k}`] = v;
  return out;
}

/** What the README's mapping table says the attributes of `r` are. */
function expectedAttributes(r: Rec): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, v: unknown) => {
    if (typeof v === 'string' && v !== '') out[k] = v;
  };
  put('k8stream.record.id', r.id);
  put('k8stream.schema', r.schema);
  put('k8stream.watch.action', r.action);
  put('k8s.event.uid', r.uid);
  put('k8s.event.resource_version', r.resourceVersion);
  put('k8s.event.api_version', r.apiVersion);
  put('k8s.event.type', r.type);
  put('k8s.event.reason', r.reason);
  put('k8s.event.action', r.eventAction);
  if (typeof r.count === 'number') out['k8s.event.count'] = BigInt(r.count);
  put('k8s.event.first_timestamp', r.firstTimestamp);
  put('k8s.event.last_timestamp', r.lastTimestamp);
  put('k8s.event.event_time', r.eventTime);
  put('k8s.object.fieldpath', r.involvedObject.fieldPath);
  const source = r.source as Record<string, string>;
  put('k8s.event.source.component', source.component);
  put('k8s.event.source.host', source.host);
  put('k8s.event.reporting_controller', r.reportingController);
  put('k8s.event.reporting_instance', r.reportingInstance);
  const related = r.related as Record<string, string> | null;
  if (related) {
    for (const [f, k] of Object.entries({ kind: 'kind', name: 'name', namespace: 'namespace', uid: 'uid', apiVersion: 'api_version', fieldPath: 'fieldpath' }))
      put(`k8s.event.related.${k}`, related[f]);
  }
  const series = r.series as { count: number; lastObservedTime: string | null } | null;
  if (series) {
    out['k8s.event.series.count'] = BigInt(series.count);
    put('k8s.event.series.last_observed_time', series.lastObservedTime);
  }
  const e = r.enrichment;
  if (e.owners.length) out['k8stream.owners'] = e.owners.map((o) => `${o.kind}/${o.name}`);
  if (e.workload) out['k8stream.workload'] = `${e.workload.kind}/${e.workload.name}`;
  if (e.node?.addresses.length) out['k8stream.node.addresses'] = e.node.addresses.map((a) => `${a.type}=${a.address}`);
  if (e.pod) {
    put('k8stream.pod.ip', e.pod.ip);
    put('k8stream.pod.host_ip', e.pod.hostIP);
    put('k8stream.pod.phase', e.pod.phase);
    put('k8stream.pod.start_time', e.pod.startTime);
  }
  if (e.services.length) out['k8stream.services'] = e.services.map((s) => `${s.namespace}/${s.name}`);
  if (e.errors.length) out['k8stream.enrichment.errors'] = e.errors.map((x) => `${x.lookup}: ${x.message}`);
  return out;
}

function expectedTime(r: Rec): string {
  const series = r.series as { lastObservedTime: string | null } | null;
  for (const t of [series?.lastObservedTime, r.lastTimestamp, r.eventTime, r.firstTimestamp]) if (typeof t === 'string' && t !== '') return nanos(t);
  return '0';
}

interface Variant {
  encoding: 'protobuf' | 'json';
  compression: 'gzip' | 'none';
}

interface Outcome {
  receiver: OtlpReceiver;
  records: Rec[];
  startedNs: bigint;
  endedNs: bigint;
}

async function runVariant(v: Variant): Promise<Outcome> {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-otlp-'));
  const receiver = await startOtlpReceiver();
  try {
    const kubeconfig = await api.writeKubeconfig(join(dir, 'kube'));
    const startedNs = BigInt(Date.now()) * 1_000_000n;
    const batch = { maxEvents: 100, maxAgeMs: 50 };
    const k = startRun({
      cluster: CLUSTER,
      source: { kubeconfig },
      enrich: { objects: true, owners: true, nodes: true, services: true },
      sinks: [
        { name: 'otel', use: 'http', batch, config: { url: receiver.endpoint, body: 'otlp', otlp: { encoding: v.encoding }, compression: v.compression } },
        { name: 'copy', use: 'file', batch, config: { dir: join(dir, 'out'), fsync: false } },
      ],
      deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter') } },
      shutdown: { graceMs: 10_000 },
    });
    await receiver.waitForAccepted(EVENTS);
    const summary = await k.stop();
    const endedNs = BigInt(Date.now()) * 1_000_000n;
    expect(summary.sinks.map((s) => [s.name, s.stats.eventsSent, s.stats.deadLettered])).toEqual([
      ['otel', EVENTS, 0],
      ['copy', EVENTS, 0],
    ]);
    const records = (await readRecords((await listFiles(join(dir, 'out'))).filter((f) => f.endsWith('.ndjson.gz')))) as Rec[];
    return { receiver, records, startedNs, endedNs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

beforeAll(async () => {
  await buildHttpSink();
  version = (JSON.parse(await readFile(join(REPO, 'plugins/sink-http/package.json'), 'utf8')) as { version: string }).version;
  api = await startApiServer();
  seed(api);
}, 120_000);

afterAll(async () => {
  await api?.close();
});

const VARIANTS: Variant[] = [
  { encoding: 'protobuf', compression: 'gzip' },
  { encoding: 'protobuf', compression: 'none' },
  { encoding: 'json', compression: 'gzip' },
  { encoding: 'json', compression: 'none' },
];

describe.each(VARIANTS)('body: otlp, encoding $encoding, compression $compression', (v) => {
  let out: Outcome;
  beforeAll(async () => {
    out = await runVariant(v);
  }, 60_000);
  afterAll(async () => {
    await out?.receiver.close();
  });

  it('POSTs /v1/logs with the encoding’s Content-Type and Content-Encoding, one request per batch', () => {
    expect(out.receiver.requests.length).toBeGreaterThan(0);
    for (const req of out.receiver.requests) {
      expect(req.method).toBe('POST');
      expect(req.path).toBe('/v1/logs');
      expect(req.headers['content-type']).toBe(v.encoding === 'json' ? 'application/json' : 'application/x-protobuf');
      expect(req.headers['content-encoding']).toBe(v.compression === 'gzip' ? 'gzip' : undefined);
      if (v.compression === 'gzip') expect(req.raw.subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
      expect(req.status).toBe(200);
    }
  });

  it('delivers each record exactly once, as one LogRecord under scope k8stream with the sink version', () => {
    const got = out.receiver.accepted();
    expect(out.records).toHaveLength(EVENTS);
    const ids = got.map((g) => attrs(g.record.attributes)['k8stream.record.id']);
    expect([...ids].sort()).toEqual(out.records.map((r) => r.id).sort());
    for (const g of got) expect(g.scope).toMatchObject({ name: 'k8stream', version });
  });

  it('maps every field of every record as the README table says', () => {
    const byId = new Map(out.receiver.accepted().map((g) => [attrs(g.record.attributes)['k8stream.record.id'], g]));
    for (const r of out.records) {
      const g = byId.get(r.id)!;
      const rec: DecodedLogRecord = g.record;
      expect(attrs(g.resource), r.id).toEqual(expectedResource(r));
      expect(attrs(rec.attributes), r.id).toEqual(expectedAttributes(r));
      expect(rec.timeUnixNano ?? '0', r.id).toBe(expectedTime(r));
      const observed = BigInt(rec.observedTimeUnixNano ?? '0');
      expect(observed >= out.startedNs && observed <= out.endedNs, `${r.id} observed ${observed}`).toBe(true);
      const severity = r.type === 'Normal' ? 9 : r.type === 'Warning' ? 13 : undefined;
      expect(rec.severityNumber, r.id).toBe(severity);
      expect(rec.severityText, r.id).toBe(r.type);
      expect(rec.body, r.id).toEqual({ stringValue: r.message });
      expect(rec.eventName, r.id).toBe('k8s.event');
      expect(rec.droppedAttributesCount ?? 0).toBe(0);
    }
  });

  it('checks the known events literally: enrichment, non-ASCII, missing fields, other types', () => {
    const byReason = new Map(out.receiver.accepted().map((g) => [attrs(g.record.attributes)['k8s.event.reason'], g]));
    const pulled = byReason.get('Pulled')!;
    expect(attrs(pulled.resource)).toMatchObject({
      'k8s.cluster.name': CLUSTER,
      'k8s.namespace.name': 'shop',
      'k8s.pod.name': 'web-7d9f-x1',
      'k8s.replicaset.name': 'web-7d9f',
      'k8s.deployment.name': 'web',
      'k8s.node.name': 'worker-1',
      'k8s.pod.label.app': 'web',
      'k8s.pod.label.tier': 'front',
      'k8s.pod.annotation.note': 'größe ✓',
    });
    expect(attrs(pulled.record.attributes)).toMatchObject({
      'k8s.event.count': 3n,
      'k8s.object.fieldpath': 'spec.containers{app}',
      'k8s.event.source.component': 'kubelet',
      'k8s.event.source.host': 'worker-1',
      'k8stream.services': ['shop/web-svc'],
      'k8stream.owners': ['ReplicaSet/web-7d9f', 'Deployment/web'],
      'k8stream.workload': 'Deployment/web',
      'k8stream.node.addresses': ['InternalIP=10.0.0.11', 'Hostname=worker-1'],
      'k8stream.pod.ip': '10.1.0.5',
      'k8stream.pod.phase': 'Running',
    });
    expect(pulled.record).toMatchObject({ severityNumber: 9, severityText: 'Normal', timeUnixNano: nanos('2026-11-27T12:00:05Z') });

    const backoff = byReason.get('BackOff')!;
    expect(backoff.record).toMatchObject({ severityNumber: 13, severityText: 'Warning', body: { stringValue: NON_ASCII } });
    expect(attrs(backoff.record.attributes)).toMatchObject({ 'k8s.event.action': 'Restarting', 'k8s.event.count': 7n });

    const node = byReason.get('NodeNotReady')!;
    expect(attrs(node.resource)).toMatchObject({ 'k8s.node.name': 'worker-1', 'k8s.object.kind': 'Node', 'k8s.namespace.name': 'default' });
    expect(attrs(node.resource)['k8s.pod.name']).toBeUndefined();

    const custom = byReason.get('Custom')!;
    expect(custom.record.severityNumber).toBeUndefined(); // UNSPECIFIED (0) is the default, not sent
    expect(custom.record.severityText).toBe('Audit');
    // The record keeps eventTime to the millisecond (the core's ISO form): 12:03:00.123456 → .123.
    expect(custom.record.timeUnixNano).toBe(nanos('2026-11-27T12:03:00.123Z'));
    expect(custom.record.body).toEqual({ stringValue: '' });
    const customAttrs = attrs(custom.record.attributes);
    expect(customAttrs['k8s.event.source.component']).toBeUndefined();
    expect(customAttrs['k8s.event.source.host']).toBeUndefined();
    expect(customAttrs['k8s.event.event_time']).toBe('2026-11-27T12:03:00.123Z');
    expect(customAttrs['k8s.event.action']).toBe('Checked');
    expect(customAttrs['k8s.event.reporting_controller']).toBe('my-operator');
    expect(attrs(custom.resource)).toMatchObject({ 'k8s.pod.name': 'ghost', 'k8s.namespace.name': 'shop' });
    expect(attrs(custom.resource)['k8s.deployment.name']).toBeUndefined();

    const scaled = byReason.get('ScalingReplicaSet')!;
    expect(attrs(scaled.resource)).toMatchObject({ 'k8s.deployment.name': 'web', 'k8s.object.kind': 'Deployment' });
    expect(attrs(scaled.resource)['k8s.pod.name']).toBeUndefined();
  });

  it('groups records into one ResourceLogs per distinct resource', () => {
    for (const req of out.receiver.requests) {
      const keys = req.decoded.resourceLogs.map((rl) => JSON.stringify(sortKv(rl.resource?.attributes ?? [])));
      expect(new Set(keys).size).toBe(keys.length);
    }
    // The two pod events share their resource.
    const accepted = out.receiver.accepted();
    const podResources = accepted.filter((g) => attrs(g.resource)['k8s.pod.name'] === 'web-7d9f-x1').map((g) => JSON.stringify(sortKv(g.resource)));
    expect(podResources).toHaveLength(2);
    if (out.receiver.requests.length === 1) {
      expect(out.receiver.requests[0]!.decoded.resourceLogs).toHaveLength(EVENTS - 1);
    }
  });

  if (v.encoding === 'json') {
    it('follows the OTLP/JSON rules: camelCase keys, int64 as decimal strings, enums as integers', () => {
      for (const req of out.receiver.requests) {
        const json = JSON.parse(req.body.toString('utf8')) as { resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[] };
        const text = req.body.toString('utf8');
        expect(text).not.toMatch(/"[a-z]+_[a-z_]+"\s*:/); // no snake_case field names
        for (const rl of json.resourceLogs) {
          for (const lr of rl.scopeLogs[0]!.logRecords) {
            expect(lr.timeUnixNano).toMatch(/^\d+$/);
            expect(lr.observedTimeUnixNano).toMatch(/^\d+$/);
            if (lr.severityNumber !== undefined) expect(typeof lr.severityNumber).toBe('number');
            for (const a of lr.attributes as KeyValue[]) if (a.value.intValue !== undefined) expect(typeof a.value.intValue).toBe('string');
          }
        }
      }
    });
  }
});

function sortKv(list: readonly KeyValue[]): KeyValue[] {
  return [...list].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}
