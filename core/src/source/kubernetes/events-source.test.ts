/**
 * The live source end to end against the API-server double: event semantics (recurrence,
 * metadata-only changes, DELETED), re-list diffs and compaction gaps with their marker record,
 * maxEventAge at startup only, events.k8s.io/v1, server-side selectors, namespaces, the
 * involved-object label selector, recovery from every fault kind over HTTPS, and the
 * `createSource` wiring.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble, type Fault, type RequestInfo } from '../../../../test/apiserver/src/index.js';
import { toRecord } from '../../record/map.js';
import { createSource } from '../index.js';
import type { SourceConfig } from '../../config/types.js';
import { createKubernetesSource } from './events-source.js';
import type { KubernetesSourceOptions } from './events-source.js';
import { clientFor, FAST, idOf, sourceConfig, SourceCollector } from './harness.fixture.js';

let server: ApiServerDouble | undefined;
let stop = new AbortController();
afterEach(async () => {
  stop.abort();
  stop = new AbortController();
  await server?.close();
  server = undefined;
});

const NOW = Date.parse('2026-03-01T12:00:00Z');
const at = (minutesAgo: number): string => new Date(NOW - minutesAgo * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

function event(name: string, extra: Record<string, unknown> = {}, namespace = 'default'): Record<string, unknown> {
  return {
    metadata: { name, namespace },
    involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace, apiVersion: 'v1' },
    reason: 'BackOff',
    message: `Back-off restarting ${name}`,
    type: 'Warning',
    count: 1,
    firstTimestamp: at(1),
    lastTimestamp: at(1),
    source: { component: 'kubelet' },
    ...extra,
  };
}

/** Creates an event; returns its id (`uid:resourceVersion`). */
function create(s: ApiServerDouble, name: string, extra: Record<string, unknown> = {}, namespace = 'default'): string {
  return idOf(s.store.create('events', event(name, extra, namespace)));
}

function patch(s: ApiServerDouble, name: string, body: Record<string, unknown>, namespace = 'default'): string {
  return idOf(s.store.patch('events', `${namespace}/${name}`, body));
}

function start(s: ApiServerDouble, config: Partial<SourceConfig> = {}, options: KubernetesSourceOptions = {}) {
  const source = createKubernetesSource(sourceConfig(config), { client: clientFor(s), now: () => NOW, clusterName: 'test', listWatch: FAST, ...options });
  const got = new SourceCollector(source, stop.signal);
  return { source, got };
}

function requestLog(s: ApiServerDouble): { verb: string; path: string; query: Record<string, string> }[] {
  const log: { verb: string; path: string; query: Record<string, string> }[] = [];
  s.faults.add({
    when: (req: RequestInfo) => (log.push({ verb: req.verb, path: req.path, query: Object.fromEntries(req.query) }), false),
    fault: { type: 'empty200' },
    times: Infinity,
  });
  return log;
}

const summary = (got: SourceCollector): string[] => got.items.map((i) => `${i.type} ${String((i.object['metadata'] as { name: string }).name)}`);

describe('event semantics', () => {
  it('emits the initial list as SYNC, ADDED, and a recurrence with its new id; not metadata-only changes nor DELETED', async () => {
    const s = (server = await startApiServer());
    create(s, 'old');
    const { source, got } = start(s);
    await got.until(() => source.state().synced && source.state().watching);
    const added = create(s, 'a');
    patch(s, 'a', { metadata: { annotations: { touched: 'yes' } } }); // metadata only
    const recurred = patch(s, 'a', { count: 2, lastTimestamp: at(0) });
    s.store.delete('events', 'default/old');
    const last = create(s, 'b');
    await got.until((items) => items.some((i) => idOf(i.object) === last));
    expect(summary(got)).toEqual(['SYNC old', 'ADDED a', 'MODIFIED a', 'ADDED b']);
    expect(got.ids().slice(1)).toEqual([added, recurred, last]);
    expect(recurred).not.toBe(added);
    const record = toRecord(got.items[2]!.object, { cluster: 'test', action: got.items[2]!.type });
    expect(record).toMatchObject({ id: recurred, action: 'MODIFIED', count: 2 });
    expect(toRecord(got.items[0]!.object, { cluster: 'test', action: got.items[0]!.type }).action).toBe('SYNC');
    expect(source.counters()).toMatchObject({ recurrences: 1, unchanged: 1, deleted: 1, tracked: 2 });
  });

  it('emits DELETED with emitDeleted', async () => {
    const s = (server = await startApiServer());
    create(s, 'x');
    const { source, got } = start(s, { emitDeleted: true });
    await got.until(() => source.state().watching);
    s.store.delete('events', 'default/x');
    await got.until((items) => items.length === 2);
    expect(summary(got)).toEqual(['SYNC x', 'DELETED x']);
  });

  it('applies maxEventAge to the initial list only', async () => {
    const s = (server = await startApiServer());
    create(s, 'stale', { lastTimestamp: at(120) });
    create(s, 'recent', { lastTimestamp: at(10) });
    const { source, got } = start(s, { maxEventAge: 3_600_000 });
    await got.until(() => source.state().watching);
    create(s, 'late-but-old', { lastTimestamp: at(600) }); // arrives live: always delivered
    patch(s, 'stale', { count: 5, lastTimestamp: at(0) }); // the skipped one recurs: delivered
    await got.until((items) => items.length === 3);
    expect(summary(got)).toEqual(['SYNC recent', 'ADDED late-but-old', 'MODIFIED stale']);
    expect(source.counters().tooOld).toBe(1);
  });
});

describe('gaps', () => {
  it('recovers from a compaction gap without a restart: existing events delivered, the gap counted and marked', async () => {
    const s = (server = await startApiServer({ compactionWindow: 1000 }));
    create(s, 'steady');
    create(s, 'flappy');
    const { source, got } = start(s);
    await got.until(() => source.state().watching);
    // Hold the next watch back while the cluster moves on and its history is compacted away.
    const held = s.faults.next({ verb: 'watch' }, { type: 'delay', ms: 150 });
    s.closeWatches();
    await held.applied();
    const from = source.state().resourceVersion!;
    const fresh = create(s, 'fresh');
    create(s, 'short-lived');
    s.store.delete('events', 'default/short-lived'); // created and deleted inside the gap: lost
    patch(s, 'flappy', { count: 2, lastTimestamp: at(0) }); // intermediate recurrence: lost
    const flappy = patch(s, 'flappy', { count: 3, lastTimestamp: at(0), message: 'again' });
    patch(s, 'steady', { metadata: { labels: { touched: 'yes' } } }); // metadata only: not emitted
    s.compact();
    const to = String(s.store.resourceVersion);
    await got.until((items) => items.some((i) => idOf(i.object) === flappy));
    const after = got.items.slice(2);
    // The marker first, then the re-list diff in version order (a small list is held and sorted).
    expect(after.map((i) => `${i.type} ${idOf(i.object)}`)).toEqual([`ADDED k8stream-gap-${from}-${to}:${to}`, `ADDED ${fresh}`, `MODIFIED ${flappy}`]);
    const marker = toRecord(after[0]!.object, { cluster: 'test', action: 'ADDED' });
    expect(marker).toMatchObject({ reason: 'WatchGap', type: 'Warning', involvedObject: { kind: 'K8stream', name: 'test' }, source: { component: 'k8stream' } });
    expect(marker.message).toContain(`resourceVersion ${from}`);
    expect(source.counters()).toMatchObject({ gaps: 1, gaps410: 1, relists: 1, vanished: 0 });
    await got.until(() => source.state().watching, 'watching again'); // and it goes on watching
    const next = create(s, 'next');
    await got.until((items) => items.some((i) => idOf(i.object) === next));
  });

  it('diffs a re-list: only new and recurred events, vanished ones forgotten', async () => {
    const s = (server = await startApiServer());
    for (const n of ['a', 'b', 'c']) create(s, n);
    const { source, got } = start(s);
    await got.until(() => source.state().watching);
    const held = s.faults.next({ verb: 'watch' }, { type: 'delay', ms: 100 });
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 410 });
    s.closeWatches();
    await held.applied();
    const d = create(s, 'd');
    const b = patch(s, 'b', { count: 2, lastTimestamp: at(0) });
    patch(s, 'c', { metadata: { annotations: { x: 'y' } } });
    s.store.delete('events', 'default/a');
    await got.until((items) => items.some((i) => idOf(i.object) === b));
    expect(summary(got).slice(3)).toEqual([expect.stringMatching(/^ADDED k8stream-gap\.\d+-\d+$/), 'ADDED d', 'MODIFIED b']);
    expect(got.ids().slice(4)).toEqual([d, b]);
    expect(source.counters()).toMatchObject({ vanished: 1, tracked: 3 });
    expect(got.synced).toEqual([3]); // only the initial list completes a sync, not the re-list
  });
});

describe('APIs, selectors and scopes', () => {
  it('watches events.k8s.io/v1, with the same semantics', async () => {
    const s = (server = await startApiServer());
    create(s, 'one');
    const { source, got } = start(s, { api: 'events.k8s.io/v1' });
    await got.until(() => source.state().watching);
    patch(s, 'one', { metadata: { annotations: { a: 'b' } } });
    const recurred = patch(s, 'one', { count: 2, lastTimestamp: at(0) });
    await got.until((items) => items.some((i) => idOf(i.object) === recurred));
    expect(summary(got)).toEqual(['SYNC one', 'MODIFIED one']);
    expect(got.items[1]!.object).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      regarding: { kind: 'Pod', name: 'pod-one' },
      note: 'Back-off restarting one',
      deprecatedCount: 2,
    });
    expect(toRecord(got.items[1]!.object, { cluster: 't', action: 'MODIFIED' })).toMatchObject({ apiVersion: 'events.k8s.io/v1', count: 2, message: 'Back-off restarting one' });
    expect(source.targets[0]!.path).toBe('/apis/events.k8s.io/v1/events');
  });

  it('pushes single types, reasons, kinds and excluded namespaces down as field selectors', async () => {
    const s = (server = await startApiServer());
    const log = requestLog(s);
    create(s, 'warn');
    create(s, 'normal', { type: 'Normal' });
    create(s, 'other-reason', { reason: 'Pulled' });
    create(s, 'system', {}, 'kube-system');
    const { source, got } = start(s, { types: ['Warning'], reasons: ['BackOff'], kinds: ['Pod'], excludeNamespaces: ['kube-system'] });
    await got.until(() => source.state().watching);
    const selector = 'type=Warning,reason=BackOff,involvedObject.kind=Pod,metadata.namespace!=kube-system';
    expect(log.filter((r) => r.verb === 'list' || r.verb === 'watch').map((r) => [r.verb, r.query['fieldSelector']])).toEqual([
      ['list', selector],
      ['watch', selector],
    ]);
    expect(summary(got)).toEqual(['SYNC warn']);
  });

  it('runs one namespaced list+watch per included namespace', async () => {
    const s = (server = await startApiServer());
    const log = requestLog(s);
    create(s, 's1', {}, 'shop');
    create(s, 'p1', {}, 'payments');
    create(s, 'x1', {}, 'search');
    const { source, got } = start(s, { namespaces: ['shop', 'payments'] });
    await got.until(() => source.state().synced && source.state().watching);
    const last = create(s, 'p2', {}, 'payments');
    create(s, 'x2', {}, 'search');
    await got.until((items) => items.some((i) => idOf(i.object) === last));
    expect(summary(got).sort()).toEqual(['ADDED p2', 'SYNC p1', 'SYNC s1']);
    expect(new Set(log.filter((r) => r.verb === 'watch').map((r) => r.path))).toEqual(new Set(['/api/v1/namespaces/shop/events', '/api/v1/namespaces/payments/events']));
    expect(source.state().watches.map((w) => w.path)).toEqual(['/api/v1/namespaces/shop/events', '/api/v1/namespaces/payments/events']);
  });

  it('selects by the involved object labels, keeping events whose object is unknown', async () => {
    const s = (server = await startApiServer());
    s.store.create('pods', { metadata: { name: 'pod-web', namespace: 'default', labels: { app: 'web' } } });
    s.store.create('pods', { metadata: { name: 'pod-db', namespace: 'default', labels: { app: 'db' } } });
    create(s, 'web');
    create(s, 'db');
    create(s, 'gone'); // pod-gone does not exist
    const { source, got } = start(s, { labelSelector: 'app=web' });
    await got.until(() => source.state().watching);
    create(s, 'web', { metadata: { name: 'web-2', namespace: 'default' } });
    const last = create(s, 'db', { metadata: { name: 'db-2', namespace: 'default' } });
    patch(s, 'web', { count: 2, lastTimestamp: at(0) });
    await got.until(() => source.counters().labelFiltered === 2 && got.items.length === 4);
    expect(summary(got).sort()).toEqual(['ADDED web-2', 'MODIFIED web', 'SYNC gone', 'SYNC web']);
    expect(got.ids()).not.toContain(last);
    expect(source.counters()).toMatchObject({ labelFiltered: 2, labelUnknown: 1 });
    expect(s.stats.count({ verb: 'get', resource: 'pods' })).toBeLessThanOrEqual(4); // cached by object
  });
});

/** Faults of every kind, each followed by writes that must all arrive exactly once (HTTPS). */
const FAULTS: [string, Fault][] = [
  ['clean close', { type: 'closeStream', afterEvents: 2 }],
  ['reset mid-stream', { type: 'reset', afterEvents: 2 }],
  ['reset before the answer', { type: 'reset' }],
  ['in-stream ERROR 410', { type: 'error410', afterEvents: 2 }],
  ['HTTP 410', { type: 'http', status: 410 }],
  ['429 with Retry-After', { type: 'http', status: 429, retryAfterSeconds: 0.05 }],
  ['500', { type: 'http', status: 500 }],
  ['slow answer', { type: 'delay', ms: 200 }],
  ['empty 200', { type: 'empty200' }],
  ['stall', { type: 'stall', afterEvents: 2 }],
];

describe('recovery over HTTPS', () => {
  it.each(FAULTS)('%s: no loss, no duplicate', async (_name, fault) => {
    const s = (server = await startApiServer({ https: true, token: 'tls', bookmarkIntervalMs: 50 }));
    const expected: string[] = [create(s, 'before')];
    const { source, got } = start(s, {}, { listWatch: { ...FAST, idleTimeoutMs: 300 } });
    await got.until(() => source.state().watching && source.counters().bookmarks > 0);
    const handle = s.faults.next({ verb: 'watch', resource: 'events' }, fault);
    s.closeWatches();
    await handle.applied();
    for (let i = 0; i < 4; i++) expected.push(create(s, `e${i}`));
    await got.until(() => source.state().watching && Number(source.state().resourceVersion) >= s.store.resourceVersion);
    expected.push(patch(s, 'e0', { count: 2, lastTimestamp: at(0) }), create(s, 'after'));
    await got.until((items) => items.some((i) => idOf(i.object) === expected.at(-1)));
    const ids = got.ids().filter((id) => !id.startsWith('k8stream-gap-'));
    expect(ids).toEqual(expected);
    expect(source.state()).toMatchObject({ synced: true, watching: true });
  });
});

describe('startup', () => {
  it('fails the stream with one line naming verb and resource on 403', async () => {
    const s = (server = await startApiServer({ token: 't' }));
    s.rbac.deny({ verb: 'list', resource: 'events', namespace: 'shop' });
    const { got } = start(s, { namespaces: ['shop'] });
    await got.finished;
    expect(got.error).toMatchObject({
      code: 'SOURCE_FAILED',
      message: `cannot list events (core/v1) in namespace "shop": 403 Forbidden — events is forbidden: User "${s.user}" cannot list resource "events" in API group "" in the namespace "shop"`,
    });
  });

  it('is what createSource builds for type kubernetes (kubeconfig relative to the config directory)', async () => {
    const s = (server = await startApiServer({ https: true, token: 'from-file' }));
    create(s, 'hello');
    const dir = await mkdtemp(path.join(tmpdir(), 'k8stream-source-'));
    try {
      await s.writeKubeconfig(path.join(dir, 'conf'));
      const source = createSource(sourceConfig({ kubeconfig: 'conf/kubeconfig' }), { dir, cluster: 'wired' });
      expect(source.kind).toBe('kubernetes');
      const got = new SourceCollector(source, stop.signal);
      await got.until((items) => items.length === 1);
      expect(summary(got)).toEqual(['SYNC hello']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
