// `k8stream timeline` and `k8stream report` as a user runs them, over an archive the real file
// sink wrote (the runtime's `run` over a replay file: no enrichment, so pods are found through
// the kubelet's host): JSON and text output, the nothing-found message, the report file, and
// the argument errors.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TimelineData } from '../../core/src/forensics/types.js';
import { CLUSTER, runReplay } from '../cloud/helpers/pipeline.fixture.js';
import { k8stream, k8streamJson } from './helpers/cli.fixture.js';

const at = (hms: string) => `2026-12-08T${hms}Z`;
const WINDOW = ['--from', at('09:30:00'), '--to', at('11:00:00')];

interface Spec {
  uid: string;
  rv: number;
  at: string;
  first?: string;
  type?: 'Normal' | 'Warning';
  reason: string;
  message: string;
  count?: number;
  object: { kind: string; name: string; namespace?: string };
  host?: string;
}

/** A watch event of a core/v1 Event. */
function watch(s: Spec): string {
  const namespace = s.object.namespace ?? 'default';
  return JSON.stringify({
    type: s.rv === 1 ? 'ADDED' : 'MODIFIED',
    object: {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${s.object.name}.${s.uid}`, namespace, uid: s.uid, resourceVersion: String(s.rv), creationTimestamp: s.first ?? s.at },
      involvedObject: { kind: s.object.kind, name: s.object.name, ...(s.object.namespace ? { namespace: s.object.namespace } : {}), uid: `${s.object.name}-uid`, apiVersion: 'v1' },
      reason: s.reason,
      message: s.message,
      source: { component: s.host ? 'kubelet' : 'controller', ...(s.host ? { host: s.host } : {}) },
      firstTimestamp: s.first ?? s.at,
      lastTimestamp: s.at,
      count: s.count ?? 1,
      type: s.type ?? 'Normal',
    },
  });
}

const shop = (kind: string, name: string) => ({ kind, name, namespace: 'shop' });
const POD_B = 'web-7f9-bbbbb';
const backOff = (rv: number, hms: string) =>
  watch({
    uid: 'bo-b',
    rv,
    at: at(hms),
    first: at('10:01:10'),
    type: 'Warning',
    reason: 'BackOff',
    message: `Back-off restarting failed container web in pod ${POD_B}`,
    count: rv,
    object: shop('Pod', POD_B),
    host: 'node-2',
  });

const EVENTS = [
  watch({ uid: 'e1', rv: 1, at: at('10:00:00'), reason: 'ScalingReplicaSet', message: 'Scaled up replica set web-7f9 to 2', object: shop('Deployment', 'web') }),
  watch({ uid: 'a1', rv: 1, at: at('10:00:05'), reason: 'Pulled', message: 'Pulled image', object: shop('Pod', 'web-7f9-aaaaa'), host: 'node-1' }),
  watch({ uid: 'b1', rv: 1, at: at('10:01:00'), reason: 'Started', message: 'Started container web', object: shop('Pod', POD_B), host: 'node-2' }),
  backOff(1, '10:01:10'),
  backOff(2, '10:01:40'),
  backOff(3, '10:02:10'),
  watch({ uid: 'n2', rv: 1, at: at('10:03:00'), reason: 'NodeNotReady', message: 'Node node-2 status is now: NodeNotReady', object: { kind: 'Node', name: 'node-2' } }),
  watch({
    uid: 's1',
    rv: 1,
    at: at('10:04:00'),
    type: 'Warning',
    reason: 'FailedToUpdateEndpoint',
    message: 'Failed to update endpoint shop/web',
    object: shop('Endpoints', 'web'),
  }),
  watch({
    uid: 's2',
    rv: 1,
    at: at('10:04:03'),
    type: 'Warning',
    reason: 'FailedToUpdateEndpointSlices',
    message: 'Error updating Endpoint Slices for Service shop/web',
    object: shop('Service', 'web'),
  }),
  watch({
    uid: 'k8stream-gap-100-200',
    rv: 1,
    at: at('10:05:00'),
    type: 'Warning',
    reason: 'WatchGap',
    message: 'the watch could not resume from resourceVersion 100',
    object: { kind: 'K8stream', name: CLUSTER },
  }),
  watch({ uid: 'b2', rv: 1, at: at('10:05:30'), type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed', object: shop('Pod', POD_B), host: 'node-2' }),
  watch({ uid: 'c1', rv: 1, at: at('10:06:00'), type: 'Warning', reason: 'Unhealthy', message: 'Liveness probe failed', object: shop('Pod', 'cart-5b8-q2w3e'), host: 'node-3' }),
  watch({
    uid: 'c2',
    rv: 1,
    at: at('10:06:30'),
    type: 'Warning',
    reason: 'FailedToUpdateEndpoint',
    message: 'Failed to update endpoint shop/cart',
    object: shop('Endpoints', 'cart'),
  }),
];

let dir: string;
let archive: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-timeline-cli-'));
  archive = join(dir, 'out');
  const file = join(dir, 'events.ndjson');
  await writeFile(file, EVENTS.join('\n') + '\n');
  const summary = await runReplay(dir, file, { use: 'file', config: { dir: archive, fsync: false } });
  if (summary.sinks[0]?.stats.eventsSent !== EVENTS.length) throw new Error(`the file sink wrote ${summary.sinks[0]?.stats.eventsSent} of ${EVENTS.length} events`);
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const timeline = (...args: string[]) => k8stream(['timeline', '--archive', archive, ...WINDOW, ...args]);
const timelineJson = async (...args: string[]) => (await k8streamJson<TimelineData>(['timeline', '--archive', archive, ...WINDOW, '--format', 'json', ...args])).value;

describe('k8stream timeline', () => {
  it('--format json: the TimelineData of a service, with the window gap and the read counts', async () => {
    const data = await timelineJson('--service', 'shop/web');
    expect(data.title).toBe('service shop/web');
    expect(data.archive).toBe(archive);
    expect(data.clusters).toEqual([CLUSTER]);
    expect(data.lanes.map((l) => `${l.role} ${l.key} < ${l.group}`)).toEqual(['service Service/shop/web < service', 'other Endpoints/shop/web < service']);
    expect(data.events.map((e) => `${e.time} ${e.lane} ${e.reason}`)).toEqual([
      `${at('10:04:00.000')} Endpoints/shop/web FailedToUpdateEndpoint`,
      `${at('10:04:03.000')} Service/shop/web FailedToUpdateEndpointSlices`,
    ]);
    expect(data.gaps).toEqual([{ from: at('10:04:03.000'), to: at('10:05:00.000'), message: 'the watch could not resume from resourceVersion 100' }]);
    expect(data.warnings).toBe(2);
    expect(data.window).toEqual({ from: at('09:30:00.000'), to: at('11:00:00.000') });
    expect(data.stats).toMatchObject({ records: EVENTS.length, duplicates: 0, malformedLines: 0, skippedObjects: [] });
    expect(data.stats.partitions.length).toBeGreaterThan(0);
  });

  it('--node: the pods that ran on it (each its own group without owners) and the node, folded, as text', async () => {
    const r = await timeline('--node', 'node-2');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^read \d+ objects? in \d+ partitions?: 13 records\n$/);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('node node-2 · 2026-12-08 09:30:00 → 11:00:00 UTC');
    expect(lines[1]).toBe(`archive ${archive} (cluster ${CLUSTER}) · 13 records read from 1 object`);
    expect(lines[2]).toBe('6 events (4 warnings) on 2 lanes · 1 watch gap: events may be missing');
    expect(lines.slice(3)).toEqual([
      '',
      `Pod shop/${POD_B}`,
      `  10:01:00   Pod/shop/${POD_B}  Started       Started container web`,
      `  10:01:10 ⚠ Pod/shop/${POD_B}  BackOff       Back-off restarting failed container web in pod ${POD_B} ×3 (10:01:10–10:02:10)`,
      '  ── gap: 10:04:03–10:05:00, events may be missing: the watch could not resume from resourceVersion 100 ──',
      `  10:05:30 ⚠ Pod/shop/${POD_B}  Unhealthy     Readiness probe failed`,
      '',
      'Nodes',
      '  10:03:00   Node/node-2             NodeNotReady  Node node-2 status is now: NodeNotReady',
      '',
    ]);
    expect(r.stdout).not.toMatch(/cart|node-3|web-7f9-aaaaa/);
    // Not a terminal: no colour.
    expect(r.stdout).not.toContain('\u001b[');
  });

  it('nothing found: names the subject, window and partitions, suggests similar names, exits 0', async () => {
    const r = await timeline('--service', 'shop/webb');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^no events about service shop\/webb in 2026-12-08 09:30:00 → 11:00:00 UTC\n/);
    expect(r.stdout).toContain(`partitions looked at: ${CLUSTER}/2026/12/08/`);
    expect(r.stdout).toContain('similar names in the window: shop/web\n');
  });

  it('bad arguments exit 2 with ARGUMENT_INVALID naming the option', async () => {
    const noSlash = await timeline('--service', 'web');
    expect(noSlash.code).toBe(2);
    expect(noSlash.stderr).toContain('[ARGUMENT_INVALID] --service "web": expected NS/NAME');
    expect(noSlash.stdout).toBe('');
    const format = await timeline('--service', 'shop/web', '--format', 'yaml');
    expect(format.code).toBe(2);
    expect(format.stderr).toContain('[ARGUMENT_INVALID] --format "yaml": expected one of text, json');
    const none = await timeline();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('[ARGUMENT_INVALID] no subject');
    const kind = await timeline('--workload', 'pod/shop/web');
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain('unknown kind "pod"');
  });

  it('--help', async () => {
    const r = await k8stream(['timeline', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^Usage: k8stream timeline \(--service NS\/NAME \| --workload KIND\/NS\/NAME \| --node NAME\)/);
    expect(r.stdout).toContain('--archive LOC');
  });
});

describe('k8stream report', () => {
  it('writes the page atomically and says what it wrote', async () => {
    const out = join(dir, 'reports');
    await mkdir(out);
    const r = await k8stream(['report', '--archive', archive, ...WINDOW, '--node', 'node-2', '-o', 'reports/incident.html'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('wrote reports/incident.html (6 events, 2 lanes)\n');
    expect(await readdir(out)).toEqual(['incident.html']);
    const html = await readFile(join(out, 'incident.html'), 'utf8');
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain(POD_B);
    expect(html).not.toContain('cart-5b8');
  });

  it('nothing found: still writes the (empty) page, and says on stderr what was not found', async () => {
    const file = join(dir, 'empty.html');
    const r = await k8stream(['report', '--archive', archive, ...WINDOW, '--service', 'shop/none', '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`wrote ${file} (0 events, 0 lanes)\n`);
    expect(r.stderr).toContain('no events about service shop/none in 2026-12-08 09:30:00 → 11:00:00 UTC');
    expect(await readFile(file, 'utf8')).toMatch(/^<!doctype html>/i);
  });

  it('needs -o, refuses a directory, and checks the subject like timeline', async () => {
    const missing = await k8stream(['report', '--archive', archive, ...WINDOW, '--service', 'shop/web']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('[ARGUMENT_INVALID] k8stream report needs -o FILE');
    const directory = await k8stream(['report', '--archive', archive, ...WINDOW, '--service', 'shop/web', '-o', dir]);
    expect(directory.code).toBe(2);
    expect(directory.stderr).toContain(`[ARGUMENT_INVALID] -o ${dir}: is a directory`);
    const bad = await k8stream(['report', '--archive', archive, ...WINDOW, '--service', 'web', '-o', join(dir, 'x.html')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--service "web": expected NS/NAME');
  });
});
