// Bench L (issue 18): the forensics commands over a day's archive. Generates once (cached under
// .bench/) 1,000,000 enriched `k8stream.event/v1` records over one day, in the file sink's layout
// ({cluster}/{yyyy}/{MM}/{dd}/{HH}/{batchId}.ndjson.gz, 24 hour partitions, batches of 1,000,
// gzip NDJSON written by the core's own encoder), then times the built CLI (core/bin/k8stream.js)
// as a child process: a service's timeline over the whole day, a GROUP BY over every record, and
// the timeline of one hour (partition pruning: about 1/24 of the objects read).
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeBatch } from '../../core/dist/dispatch/body-writer.js';
import { batchId } from '../../core/dist/dispatch/batch-id.js';
import { repo } from './harness.mjs';
import { Rng } from '@k8stream/apiserver-double';

export const DAY = '2026-12-08';
const DAY_MS = Date.parse(`${DAY}T00:00:00Z`);
export const CLUSTER = 'bench';
const BATCH = 1000;
const GENERATOR_VERSION = 1;

const NAMESPACES = ['shop', 'payments', 'search', 'auth', 'media', 'data', 'ml', 'infra', 'ops', 'web', 'mail', 'api', 'batch', 'cache', 'queue', 'edge'];
const SERVICES_PER_NS = 6;
const NODES = 40;
const REASONS = [
  ['Normal', 'Scheduled', 'Successfully assigned {ns}/{pod} to {node}', 'default-scheduler', 'Binding'],
  ['Normal', 'Pulling', 'Pulling image "registry.example.com/{ns}/{app}:1.{n}.3"', 'kubelet', ''],
  ['Normal', 'Pulled', 'Container image "registry.example.com/{ns}/{app}:1.{n}.3" already present on machine', 'kubelet', ''],
  ['Normal', 'Created', 'Created container {app}', 'kubelet', ''],
  ['Normal', 'Started', 'Started container {app}', 'kubelet', ''],
  ['Warning', 'BackOff', 'Back-off restarting failed container {app} in pod {pod}_{ns}', 'kubelet', ''],
  ['Warning', 'Unhealthy', 'Readiness probe failed: Get "http://10.1.{n}.7:8080/healthz": context deadline exceeded', 'kubelet', ''],
  ['Normal', 'Killing', 'Stopping container {app}', 'kubelet', ''],
];
const NODE_REASONS = [
  ['Normal', 'NodeReady', 'Node {node} status is now: NodeReady'],
  ['Warning', 'NodeNotReady', 'Node {node} status is now: NodeNotReady'],
  ['Warning', 'EvictionThresholdMet', 'Attempting to reclaim memory'],
];

const hex = (n, width) => n.toString(16).padStart(width, '0');
const uidOf = (kind, n) => `${hex(kind, 8)}-${hex((n >>> 16) & 0xffff, 4)}-4c1d-9e7a-${hex(n, 12)}`;

/** The services, their workloads and the pods behind them over the day (a rollout every 6 hours). */
function topology() {
  const services = [];
  let n = 0;
  for (const ns of NAMESPACES) {
    for (let s = 0; s < SERVICES_PER_NS; s++) {
      const name = `${ns}-svc-${s}`;
      const stateful = s === SERVICES_PER_NS - 1;
      const workload = stateful ? { kind: 'StatefulSet', name, uid: uidOf(2, n), apiVersion: 'apps/v1' } : { kind: 'Deployment', name, uid: uidOf(2, n), apiVersion: 'apps/v1' };
      const replicas = 2 + (n % 4);
      const generations = [];
      for (let g = 0; g < 4; g++) {
        const hash = hex((n * 7919 + g * 104729) & 0xfffffff, 7).replace(/^/, '') + 'b5';
        const rs = stateful ? null : { kind: 'ReplicaSet', name: `${name}-${hash}`, uid: uidOf(3, n * 4 + g), apiVersion: 'apps/v1' };
        const pods = [];
        for (let p = 0; p < replicas; p++) {
          const podName = stateful ? `${name}-${p}` : `${name}-${hash}-${hex((n * 31 + g * 7 + p) & 0xfffff, 5)}`;
          pods.push({ name: podName, uid: uidOf(4, n * 64 + g * 8 + p), node: `node-${(n * 3 + g + p) % NODES}`, ip: `10.${n % 200}.${g}.${p + 10}` });
        }
        generations.push({ rs, pods });
      }
      services.push({ ns, name, app: name, workload, generations });
      n++;
    }
  }
  return services;
}

function nodeInfo(name) {
  const i = Number(name.slice(5));
  return {
    name,
    addresses: [
      { type: 'InternalIP', address: `192.168.${i >> 8}.${i & 255}` },
      { type: 'Hostname', address: name },
    ],
  };
}

/** The i-th record (`rand` for the choices), at `ms`. */
function record(i, ms, rand, services) {
  const ts = new Date(ms).toISOString();
  const id = `${uidOf(1, i)}:${1_000_000 + i}`;
  if (rand() < 0.02) {
    const node = `node-${Math.floor(rand() * NODES)}`;
    const [type, reason, tpl] = NODE_REASONS[Math.floor(rand() * NODE_REASONS.length)];
    return {
      schema: 'k8stream.event/v1',
      id,
      cluster: CLUSTER,
      uid: uidOf(1, i),
      resourceVersion: String(1_000_000 + i),
      firstTimestamp: ts,
      lastTimestamp: ts,
      eventTime: null,
      count: 1,
      type,
      reason,
      message: tpl.replaceAll('{node}', node),
      action: 'ADDED',
      namespace: 'default',
      involvedObject: { kind: 'Node', name: node, namespace: '', uid: node, apiVersion: 'v1', fieldPath: '' },
      source: { component: 'kubelet', host: node },
      reportingController: 'kubelet',
      reportingInstance: node,
      apiVersion: 'v1',
      eventAction: '',
      related: null,
      series: null,
      enrichment: {
        labels: { 'kubernetes.io/hostname': node },
        annotations: {},
        owners: [],
        workload: null,
        node: nodeInfo(node),
        pod: null,
        services: [],
        errors: [],
      },
    };
  }
  // Skewed towards a few busy services, as real clusters are.
  const svc = services[Math.floor(services.length * rand() ** 1.5)];
  const gen = svc.generations[Math.min(3, Math.floor((ms - DAY_MS) / 21_600_000))];
  const pod = gen.pods[Math.floor(rand() * gen.pods.length)];
  const [type, reason, tpl, component, eventAction] = REASONS[Math.floor(rand() * REASONS.length)];
  const count = reason === 'BackOff' || reason === 'Unhealthy' ? 1 + Math.floor(rand() * 40) : 1;
  const first = count > 1 ? new Date(ms - count * 10_000).toISOString() : ts;
  const owners = gen.rs ? [gen.rs, svc.workload] : [svc.workload];
  return {
    schema: 'k8stream.event/v1',
    id,
    cluster: CLUSTER,
    uid: uidOf(1, i),
    resourceVersion: String(1_000_000 + i),
    firstTimestamp: first,
    lastTimestamp: ts,
    eventTime: null,
    count,
    type,
    reason,
    message: tpl
      .replaceAll('{ns}', svc.ns)
      .replaceAll('{pod}', pod.name)
      .replaceAll('{app}', svc.app)
      .replaceAll('{node}', pod.node)
      .replaceAll('{n}', String(i % 50)),
    action: count > 1 ? 'MODIFIED' : 'ADDED',
    namespace: svc.ns,
    involvedObject: { kind: 'Pod', name: pod.name, namespace: svc.ns, uid: pod.uid, apiVersion: 'v1', fieldPath: `spec.containers{${svc.app}}` },
    source: { component, host: component === 'kubelet' ? pod.node : '' },
    reportingController: component,
    reportingInstance: component === 'kubelet' ? pod.node : `${component}-cp-1`,
    apiVersion: 'v1',
    eventAction,
    related: null,
    series: null,
    enrichment: {
      labels: { app: svc.app, 'app.kubernetes.io/name': svc.app, 'pod-template-hash': gen.rs ? gen.rs.name.slice(-9) : '' },
      annotations: { 'kubectl.kubernetes.io/restartedAt': `${DAY}T00:00:00Z` },
      owners,
      workload: svc.workload,
      node: nodeInfo(pod.node),
      pod: { ip: pod.ip, hostIP: nodeInfo(pod.node).addresses[0].address, phase: 'Running', startTime: `${DAY}T00:00:00Z` },
      services: [{ name: svc.name, namespace: svc.ns }],
      errors: [],
    },
  };
}

/** The service whose timeline is timed: a busy one (about 5% of the day's records). */
export const TIMED_SERVICE = 'shop/shop-svc-0';

/**
 * Writes the archive under `dir` unless a complete one (same generator version and size) is
 * there already. Returns `{ dir, objects, records, bytes, generatedMs }`.
 */
export async function ensureArchive({ records = 1_000_000, root = join(repo, '.bench', 'forensics') } = {}) {
  const dir = join(root, `archive-${records}-v${GENERATOR_VERSION}`);
  const marker = join(dir, 'COMPLETE.json');
  try {
    return { ...JSON.parse(await readFile(marker, 'utf8')), dir, generatedMs: 0 };
  } catch {
    // not there yet: generate
  }
  const t0 = performance.now();
  const tmp = `${dir}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  const services = topology();
  const rng = new Rng(18);
  const rand = () => rng.next();
  const step = 86_400_000 / records;
  let objects = 0;
  let bytes = 0;
  const pending = [];
  for (let start = 0; start < records; start += BATCH) {
    const lines = [];
    let min = null;
    let firstId = null;
    let lastId = null;
    for (let i = start; i < Math.min(records, start + BATCH); i++) {
      const r = record(i, DAY_MS + Math.floor(i * step + rand() * step), rand, services);
      lines.push(JSON.stringify(r));
      firstId ??= r.id;
      lastId = r.id;
      const t = r.lastTimestamp;
      if (min === null || t < min) min = t;
    }
    const id = batchId({ sink: 'archive', count: lines.length, firstId, lastId, minTimestamp: min });
    const hour = min.slice(11, 13);
    const file = join(tmp, CLUSTER, DAY.slice(0, 4), DAY.slice(5, 7), DAY.slice(8, 10), hour, `${id}.ndjson.gz`);
    pending.push(
      (async () => {
        const body = await encodeBatch(lines, { format: 'ndjson', compression: 'gzip' });
        await mkdir(join(file, '..'), { recursive: true });
        await writeFile(file, body.body);
        bytes += body.body.byteLength;
        objects++;
      })(),
    );
    if (pending.length >= 8) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  const info = { records, objects, bytes, partitions: (await readdir(join(tmp, CLUSTER, DAY.slice(0, 4), DAY.slice(5, 7), DAY.slice(8, 10)))).length };
  await writeFile(join(tmp, 'COMPLETE.json'), JSON.stringify(info) + '\n');
  await rm(dir, { recursive: true, force: true });
  await rename(tmp, dir);
  return { ...info, dir, generatedMs: Math.round(performance.now() - t0) };
}

/** Runs the built CLI; resolves with wall time, exit code, stdout and stderr. */
async function timeCli(args) {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(repo, 'core', 'bin', 'k8stream.js'), ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
  const [code] = await once(child, 'exit');
  return { ms: Math.round(performance.now() - t0), code, stdout: out, stderr: err };
}

/** Objects read, from the summary line (`read 1,000 objects in 24 partitions: …`). */
function objectsRead(stderr) {
  const m = /read ([\d,]+) objects? in ([\d,]+) partitions?: ([\d,]+) records?/.exec(stderr);
  return m ? { objects: Number(m[1].replaceAll(',', '')), partitions: Number(m[2].replaceAll(',', '')), records: Number(m[3].replaceAll(',', '')) } : null;
}

/** Is `k8stream timeline` built yet? (Until it is, the timeline is timed as an equivalent query.) */
async function timelineBuilt() {
  try {
    const src = await readFile(join(repo, 'core', 'dist', 'cli', 'timeline-commands.js'), 'utf8');
    return !src.includes('is not built yet');
  } catch {
    return false;
  }
}

/** The SQL a service's timeline needs when the timeline command is not there: its records, in time order. */
function timelineSql(ns, name) {
  return `SELECT time, type, reason, involvedObject.kind, involvedObject.name, message, count FROM events WHERE list_contains(enrichment.services, {'name': '${name}', 'namespace': '${ns}'}) OR involvedObject.kind = 'Node' ORDER BY time, id`;
}

async function timeTimeline(archive, from, to) {
  const [ns, name] = TIMED_SERVICE.split('/');
  const window = ['--archive', archive, '--from', from, '--to', to];
  const built = await timelineBuilt();
  const args = built ? ['timeline', ...window, '--service', TIMED_SERVICE] : ['query', ...window, '--format', 'ndjson', timelineSql(ns, name)];
  const r = await timeCli(args);
  if (r.code !== 0) throw new Error(`k8stream ${args.join(' ')} exited ${r.code}:\n${r.stderr.slice(-2000)}`);
  return { ...r, command: built ? 'timeline' : 'query (timeline SQL)', read: objectsRead(r.stderr), outputLines: r.stdout.split('\n').length - 1 };
}

/** Scenario L. */
export async function timelineScenario({ records = 1_000_000 } = {}) {
  const archive = await ensureArchive({ records });
  const dayFrom = `${DAY}T00:00:00Z`;
  const dayTo = new Date(DAY_MS + 86_400_000).toISOString();
  const day = await timeTimeline(archive.dir, dayFrom, dayTo);
  const hour = await timeTimeline(archive.dir, `${DAY}T12:00:00Z`, `${DAY}T13:00:00Z`);
  const group = await timeCli([
    'query',
    '--archive',
    archive.dir,
    '--from',
    dayFrom,
    '--to',
    dayTo,
    '--format',
    'csv',
    'SELECT reason, count(*) AS n FROM events GROUP BY ALL ORDER BY n DESC',
  ]);
  if (group.code !== 0) throw new Error(`k8stream query exited ${group.code}:\n${group.stderr.slice(-2000)}`);
  // The summary lines must account for the archive: every object and record of the day; for the
  // hour, exactly the objects of its partition and of the look-back hour before it.
  const partition = (hh) => join(archive.dir, CLUSTER, DAY.slice(0, 4), DAY.slice(5, 7), DAY.slice(8, 10), hh);
  const hourObjects = (await readdir(partition('11'))).length + (await readdir(partition('12'))).length;
  const expect = (what, got, want) => {
    if (got !== want) throw new Error(`bench L: ${what}: the summary line says ${got}, expected ${want}`);
  };
  expect('objects read over the day', day.read?.objects, archive.objects);
  expect('records read over the day', group.code === 0 ? objectsRead(group.stderr)?.records : null, archive.records);
  expect('objects read for 12:00-13:00', hour.read?.objects, hourObjects);
  const size = archive.bytes;
  return {
    id: 'L',
    title: `forensics: ${archive.records.toLocaleString('en-US')} archived events, one day, ${archive.partitions} hour partitions, ${archive.objects.toLocaleString('en-US')} gzip NDJSON objects (${Math.round(size / 2 ** 20)} MiB)`,
    records: archive.records,
    objects: archive.objects,
    generatedMs: archive.generatedMs,
    timeline: { command: day.command, ms: day.ms, read: day.read, outputLines: day.outputLines },
    timelineHour: { command: hour.command, ms: hour.ms, read: hour.read, outputLines: hour.outputLines, partitionObjects: hourObjects },
    groupBy: { ms: group.ms, read: objectsRead(group.stderr), rows: group.stdout.split('\n').length - 2 },
  };
}

export function formatTimeline(r) {
  const read = (x) => (x ? `${x.objects.toLocaleString('en-US')} objects in ${x.partitions} partitions, ${x.records.toLocaleString('en-US')} records` : 'no summary line');
  return [
    `L: ${r.title}${r.generatedMs > 0 ? ` (generated in ${r.generatedMs.toLocaleString('en-US')} ms)` : ''}`,
    `   ${r.timeline.command} --service ${TIMED_SERVICE}, whole day: ${r.timeline.ms.toLocaleString('en-US')} ms wall (${read(r.timeline.read)}; ${r.timeline.outputLines.toLocaleString('en-US')} lines out)`,
    `   ${r.timelineHour.command}, one hour (12:00–13:00): ${r.timelineHour.ms.toLocaleString('en-US')} ms wall (${read(r.timelineHour.read)})`,
    `   query "SELECT reason, count(*) … GROUP BY ALL", whole day: ${r.groupBy.ms.toLocaleString('en-US')} ms wall (${read(r.groupBy.read)}; ${r.groupBy.rows} rows)`,
  ].join('\n');
}

// `node test/bench/timeline.mjs generate` writes the archive alone (for measuring the engine by hand).
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()) && process.argv[2] === 'generate') {
  const a = await ensureArchive({ records: Number(process.argv[3] ?? 1_000_000) });
  console.log(JSON.stringify(a));
}
