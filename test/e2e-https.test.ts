// The binary end to end as it runs in a cluster: the Kubernetes source over HTTPS (a CA and a
// bearer token from the kubeconfig) with enrichment (services), two object-store sinks (S3 on
// fauxqs, GCS on the JSON-API test server), the heartbeat and the ops server. Every event ends up
// in both stores, read back with the real SDK clients; the heartbeat pings; /readyz turns
// not-ready during an API outage (events list and watch answer 503) and ready again once it heals.
import { EventEmitter, once } from 'node:events';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClusterSimulation, startApiServer } from '@k8stream/apiserver-double';
import type { ApiServerDouble } from '@k8stream/apiserver-double';
import type { FauxqsServer } from 'fauxqs';
import { TEST_CREDENTIALS, readAllRecords as readS3, startS3, testClient } from '../plugins/sink-s3/src/s3.fixture.js';
import { startGcsServer } from '../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../plugins/sink-gcs/src/gcs-server.fixture.js';
import { readAllRecords as readGcs, testStorage } from '../plugins/sink-gcs/src/read-back.fixture.js';
import { startCli } from './helpers/cli.fixture.js';
import type { CliRun } from './helpers/cli.fixture.js';
import { scrape, until } from './ops/scrape.js';

const TOKEN = 'e2e-bearer-token';
const BUCKET = 'k8stream-e2e';
const CLUSTER = 'e2e-https';

interface Rec {
  id: string;
  cluster: string;
  involvedObject: { kind: string; name: string; namespace: string };
  enrichment: { services: { name: string; namespace: string }[]; errors: unknown[] };
}
interface Ping {
  cluster: string;
  version: string;
  uptimeSeconds: number;
  leader: boolean | null;
}

let dir: string;
let api: ApiServerDouble;
let s3: { server: FauxqsServer; endpoint: string };
let gcs: GcsTestServer;
let s3Client: S3Client;
let storage: Storage;
let pings: { auth: string | undefined; body: Ping }[] = [];
/** Resolves at the next heartbeat ping; rejects when none arrives within 10 s. */
let nextPing: () => Promise<void>;
let heartbeat: Server;
let cli: CliRun | undefined;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-e2e-https-'));
  [api, s3, gcs] = await Promise.all([startApiServer({ https: true, token: TOKEN }), startS3([BUCKET]), startGcsServer({ buckets: [BUCKET] })]);
  s3Client = testClient(s3.endpoint);
  storage = testStorage(gcs.url);
  pings = [];
  const arrived = new EventEmitter();
  nextPing = () =>
    once(arrived, 'ping', { signal: AbortSignal.timeout(10_000) }).then(
      () => undefined,
      () => Promise.reject(new Error('no heartbeat ping within 10 s')),
    );
  heartbeat = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      pings.push({ auth: req.headers.authorization, body: JSON.parse(body) as Ping });
      res.writeHead(204).end();
      arrived.emit('ping');
    });
  });
  await new Promise<void>((resolve) => heartbeat.listen(0, '127.0.0.1', resolve));
});

afterAll(async () => {
  if (cli && cli.child.exitCode === null) {
    cli.child.kill('SIGKILL');
    await cli.exit;
  }
  s3Client?.destroy();
  await Promise.all([api?.close(), s3?.server.stop(), gcs?.close(), new Promise((r) => heartbeat?.close(r))]);
  if (dir) await rm(dir, { recursive: true, force: true });
});

const idOf = (o: { metadata?: { uid?: string; resourceVersion?: string } }) => `${o.metadata!.uid!}:${o.metadata!.resourceVersion!}`;

interface Obj {
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; labels?: Record<string, string> };
  spec?: { selector?: Record<string, string> };
}

/** The objects of `resource` in the double's store now (in `namespace`, if given). */
const objects = (resource: string, namespace?: string): Obj[] => api.store.list(resource, namespace === undefined ? {} : { namespace }).items as unknown as Obj[];

/** The services whose selector matches the pod `namespace/name` now, sorted by name. */
function servicesOf(namespace: string, name: string): string[] | null {
  const pod = objects('pods', namespace).find((p) => p.metadata.name === name);
  if (!pod) return null;
  const labels = pod.metadata.labels ?? {};
  return objects('services', namespace)
    .filter((s) => {
      const sel = Object.entries(s.spec?.selector ?? {});
      return sel.length > 0 && sel.every(([k, v]) => labels[k] === v);
    })
    .map((s) => s.metadata.name)
    .sort();
}

async function ready(base: string): Promise<{ status: number; body: { ready: boolean; reasons: string[] } }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; reasons: string[] } };
}

const sent = async (base: string) => {
  const m = await scrape(base);
  return [m.value('k8stream_sink_events_sent_total', { sink: 's3' }) ?? 0, m.value('k8stream_sink_events_sent_total', { sink: 'gcs' }) ?? 0];
};

/** `p`, unless the binary exits first: then a rejection with its exit status and last log lines. */
function whileRunning<T>(p: Promise<T>): Promise<T> {
  const run = cli!;
  const died = run.exit.then(({ code, signal }) => Promise.reject(new Error(`k8stream exited (${code ?? signal}):\n${run.stderr().trim().split('\n').slice(-5).join('\n')}`)));
  died.catch(() => undefined);
  return Promise.race([p, died]);
}

/** Waits until both sinks sent at least `n` events; resolves with what each sent. */
const delivered = (base: string, n: number) => until(`${n} events sent to both sinks`, async () => ((await sent(base)).every((x) => x >= n) ? sent(base) : undefined));

describe('the binary over HTTPS with a CA and a token, into S3 and GCS', () => {
  it('delivers every event, enriched with services, to both stores; pings the heartbeat; /readyz follows an API outage', async () => {
    const kubeconfig = await api.writeKubeconfig(join(dir, 'kube'));
    const kubeText = await readFile(kubeconfig, 'utf8');
    expect(api.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(kubeText).toContain('certificate-authority-data:');
    expect(kubeText).toContain(`token: "${TOKEN}"`);
    expect(kubeText).not.toContain('insecure-skip-tls-verify');

    // Phase 1: a cluster with deployments, pods and services, and events already there.
    const sim = createClusterSimulation(api.store, { seed: 5 });
    sim.emit(300);
    const expected = new Set(objects('events').map(idOf));
    // The initial list sees each event object once, at its latest version.
    expect(expected.size).toBeGreaterThan(100);

    const config = join(dir, 'k8stream.yaml');
    const hbUrl = `http://hb-user:hb-secret@127.0.0.1:${(heartbeat.address() as AddressInfo).port}/ping`;
    await writeFile(
      config,
      [
        `cluster: ${CLUSTER}`,
        `source: { kubeconfig: ${kubeconfig} }`,
        'enrich: { objects: true, owners: true, nodes: true, services: true }',
        'sinks:',
        '  - name: s3',
        '    use: s3',
        '    batch: { maxEvents: 100, maxAgeMs: 200 }',
        '    retry: { initialBackoffMs: 50, maxBackoffMs: 200 }',
        `    config: { bucket: ${BUCKET}, region: us-east-1, endpoint: "${s3.endpoint}", forcePathStyle: true, prefix: events }`,
        '  - name: gcs',
        '    use: gcs',
        '    batch: { maxEvents: 100, maxAgeMs: 200 }',
        '    retry: { initialBackoffMs: 50, maxBackoffMs: 200 }',
        `    config: { bucket: ${BUCKET}, apiEndpoint: "${gcs.url}", projectId: test-project, prefix: events }`,
        `deadLetter: { use: file, config: { dir: ${join(dir, 'deadletter')} } }`,
        'server: { host: 127.0.0.1, port: 0 }',
        'health: { watchFailingMs: 500, sinkFailingMs: 60s }',
        `heartbeat: { url: "${hbUrl}", intervalMs: 200, timeoutMs: 2s }`,
        'shutdown: { graceMs: 10s }',
        'log: { level: info, format: json }',
        '',
      ].join('\n'),
    );
    cli = startCli(['run', '--config', config], {
      cwd: dir,
      env: { AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey, AWS_EC2_METADATA_DISABLED: 'true' },
    });
    const line = (await cli.waitFor(/^.*serving \/metrics.*$/m))[0];
    const base = (JSON.parse(line) as { url: string }).url;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    await whileRunning(until('ready', async () => ((await ready(base)).status === 200 ? true : undefined)));
    expect(await whileRunning(delivered(base, expected.size))).toEqual([expected.size, expected.size]);

    // Phase 2: the API server's events list and watch answer 503; the open watch is cut.
    const outage = [
      api.faults.add({ verb: 'watch', resource: 'events', times: 100_000, fault: { type: 'http', status: 503 } }),
      api.faults.add({ verb: 'list', resource: 'events', times: 100_000, fault: { type: 'http', status: 503 } }),
    ];
    api.closeWatches();
    const down = await whileRunning(
      until('not ready during the outage', async () => {
        const r = await ready(base);
        return r.status === 503 ? r.body : undefined;
      }),
    );
    expect(down.ready).toBe(false);
    expect(down.reasons.join('; ')).toMatch(/watch failing for \d+ ms \(limit 500 ms\)/);
    // Events written during the outage (new objects, one write each) arrive after it.
    const pods = objects('pods').filter((p) => (servicesOf(p.metadata.namespace!, p.metadata.name) ?? []).length > 0);
    expect(pods.length).toBeGreaterThanOrEqual(10);
    for (let i = 0; i < 20; i++) {
      const p = pods[i % pods.length]!;
      const created = api.store.create('events', {
        metadata: { name: `outage-${i}`, namespace: p.metadata.namespace },
        involvedObject: { kind: 'Pod', name: p.metadata.name, namespace: p.metadata.namespace, apiVersion: 'v1', uid: p.metadata.uid },
        reason: 'Unhealthy',
        type: 'Warning',
        message: `probe failed ${i}`,
        count: 1,
        lastTimestamp: new Date().toISOString(),
      }) as unknown as Obj;
      expected.add(idOf(created));
    }
    // The heartbeat goes on while the API server is down.
    await nextPing();
    expect(outage[0]!.hits).toBeGreaterThan(0); // the watch was refused (a re-list too, when one was tried)

    // Heal: ready again once the watch is back, then everything is delivered.
    for (const f of outage) f.cancel();
    await whileRunning(until('ready after the outage', async () => ((await ready(base)).status === 200 ? true : undefined), 20_000));
    const before = sim.produced.length;
    sim.emit(100);
    for (const id of sim.produced.slice(before)) expected.add(id);
    expect(await whileRunning(delivered(base, expected.size))).toEqual([expected.size, expected.size]);

    // The heartbeat pinged through the run, with the credentials of its URL as Basic auth.
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(pings[0]!.body).toMatchObject({ cluster: CLUSTER, leader: null });
    expect(pings.every((p) => p.auth === `Basic ${Buffer.from('hb-user:hb-secret').toString('base64')}`)).toBe(true);
    expect(pings.at(-1)!.body.uptimeSeconds).toBeGreaterThan(0);

    cli.child.kill('SIGTERM');
    expect(await cli.exit).toEqual({ code: 0, signal: null });
    expect(cli.stderr()).toMatch(/run finished/);
    // The token was accepted on every request: nothing was refused.
    expect(api.stats.count({ code: 401 })).toBe(0);
    expect(api.stats.count({ verb: 'list', resource: 'services', code: 200 })).toBeGreaterThanOrEqual(1);

    // Read back with the SDK clients: exactly the expected events in each store, none twice.
    const [fromS3, fromGcs] = (await Promise.all([readS3(s3Client, BUCKET), readGcs(storage, BUCKET)])) as [Rec[], Rec[]];
    for (const records of [fromS3, fromGcs]) {
      expect(records).toHaveLength(expected.size);
      expect(new Set(records.map((r) => r.id))).toEqual(expected);
      expect(records.every((r) => r.cluster === CLUSTER)).toBe(true);
      // Enrichment: each pod's record lists exactly the services selecting that pod.
      const aboutPods = records.filter((r) => r.involvedObject.kind === 'Pod');
      let withServices = 0;
      for (const r of aboutPods) {
        const want = servicesOf(r.involvedObject.namespace, r.involvedObject.name);
        if (want === null) continue;
        expect(r.enrichment.services.map((s) => s.name).sort(), r.id).toEqual(want);
        if (want.length > 0) withServices++;
      }
      expect(withServices).toBeGreaterThanOrEqual(200);
    }
  }, 60_000);
});
