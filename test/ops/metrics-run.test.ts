/**
 * Issue 7 end to end, in process: the real runtime streams from the API-server double to the
 * file sink while tests scrape /metrics (exact counts) and watch /readyz flip when the
 * events watch keeps failing past `health.watchFailingMs`, then recover.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer } from '@k8stream/apiserver-double';
import type { ApiServerDouble } from '@k8stream/apiserver-double';
import { validateConfig } from '../../core/src/config/validate.js';
import { run } from '../../core/src/runtime.js';
import type { RunSummary } from '../../core/src/runtime.js';
import { createLogger } from '../../core/src/util/logger.js';
import { listFiles, readRecords } from '../helpers/archive.fixture.js';
import { scrape, until } from './scrape.js';

let server: ApiServerDouble;
let dir: string;
const logs: string[] = [];

beforeEach(async () => {
  server = await startApiServer();
  dir = await mkdtemp(join(tmpdir(), 'k8stream-ops-'));
  await server.writeKubeconfig(join(dir, 'kube'));
  logs.length = 0;
});
afterEach(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

let seq = 0;
function produce(n: number, namespace: string): void {
  for (let i = 0; i < n; i++) {
    const name = `ev-${seq++}`;
    server.store.create('events', {
      metadata: { name, namespace },
      involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace, apiVersion: 'v1' },
      reason: 'BackOff',
      type: 'Warning',
      message: name,
      count: 1,
      lastTimestamp: new Date().toISOString(),
    });
  }
}

/** Starts the runtime; resolves with the ops server URL and a stop function. */
async function start(health = { watchFailingMs: 400, sinkFailingMs: 60_000 }, extra: Record<string, unknown> = {}, out = 'out') {
  const config = validateConfig({
    cluster: 'ops',
    source: { kubeconfig: './kube/kubeconfig' },
    enrich: { objects: false, owners: false, nodes: false, services: false },
    sinks: [{ name: 'archive', use: 'file', config: { dir: join(dir, out), fsync: false }, match: { namespaces: ['shop'] }, batch: { maxEvents: 10, maxAgeMs: 20 } }],
    deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter') } },
    server: { host: '127.0.0.1', port: 0 },
    health,
    shutdown: { graceMs: 5000 },
    ...extra,
  });
  const stop = new AbortController();
  const logger = createLogger({ level: 'debug', format: 'json', write: (l) => logs.push(l) });
  let resolveUrl!: (url: string) => void;
  const url = new Promise<string>((r) => (resolveUrl = r));
  const running: Promise<RunSummary> = run({ config, filepath: join(dir, '.k8streamrc'), dir }, { logger, signal: stop.signal, onServer: resolveUrl });
  running.catch(() => undefined);
  const base = await Promise.race([url, running.then(() => Promise.reject(new Error('run ended before the server listened')))]);
  return { base, running, stop: () => (stop.abort(), running) };
}

const ready = async (base: string) => {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; reasons: string[]; leader: boolean | null; phase: string } };
};

describe('/metrics during a run', () => {
  it('counts exactly what the run did, read while it runs', async () => {
    produce(25, 'shop');
    produce(5, 'other'); // no sink matches: unrouted
    const k = await start();
    // Wait until the run is quiescent: every shop event acked by the sink.
    const m = await until('30 received, 25 acked', async () => {
      const s = await scrape(k.base);
      return s.value('k8stream_events_received_total', { source: 'kubernetes' }) === 30 && s.value('k8stream_sink_events_sent_total', { sink: 'archive' }) === 25 ? s : undefined;
    });
    expect(m.value('k8stream_events_emitted_total', { source: 'kubernetes' })).toBe(30);
    expect(m.value('k8stream_events_unrouted_total', { source: 'kubernetes' })).toBe(5);
    expect(m.value('k8stream_events_filtered_total', { source: 'kubernetes' })).toBe(0);
    expect(m.value('k8stream_events_invalid_total', { source: 'kubernetes' })).toBe(0);
    expect(m.value('k8stream_sink_queue_events', { sink: 'archive', buffer: 'memory' })).toBe(0);
    expect(m.value('k8stream_sink_queue_bytes', { sink: 'archive', buffer: 'memory' })).toBe(0);
    const batches = m.value('k8stream_sink_batches_sent_total', { sink: 'archive' })!;
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(m.value('k8stream_sink_send_duration_seconds_count', { sink: 'archive' })).toBe(batches);
    expect(m.value('k8stream_sink_lag_seconds_count', { sink: 'archive' })).toBe(25);
    expect(m.value('k8stream_sink_retries_total', { sink: 'archive' })).toBe(0);
    expect(m.value('k8stream_sink_events_sent_total', { sink: 'deadletter' })).toBe(0);
    expect(m.value('k8stream_watch_up')).toBe(1);
    expect(m.value('k8stream_watch_errors_total', { reason: 'server_error' })).toBe(0);
    expect(m.value('k8stream_ready')).toBe(1);
    expect(m.value('k8stream_kube_requests_total', { verb: 'list', resource: 'events', code: '200' })).toBe(server.stats.count({ verb: 'list', resource: 'events', code: 200 }));
    // The double records a request when it ends; open watch streams are in watchConnections.
    expect(m.value('k8stream_kube_requests_total', { verb: 'watch', resource: 'events', code: '200' })).toBe(server.stats.watchConnections);
    expect(server.stats.watchConnections).toBeGreaterThanOrEqual(1);

    // More events while running: the next scrape follows.
    produce(7, 'shop');
    const m2 = await until('37 received', async () => {
      const s = await scrape(k.base);
      return s.value('k8stream_sink_events_sent_total', { sink: 'archive' }) === 32 ? s : undefined;
    });
    expect(m2.value('k8stream_events_received_total', { source: 'kubernetes' })).toBe(37);
    expect(m2.value('k8stream_sink_lag_seconds_count', { sink: 'archive' })).toBe(32);

    const summary = await k.stop();
    const records = await readRecords((await listFiles(join(dir, 'out'))).filter((f) => f.endsWith('.ndjson.gz')));
    expect(records).toHaveLength(32);
    expect(summary.sinks[0]!.stats.eventsSent).toBe(32);
    expect(summary.counters.received).toBe(37);
    // Stopped last: the server is gone once run() resolved.
    await expect(fetch(`${k.base}/healthz`)).rejects.toThrow();
  });
});

describe('/readyz', () => {
  it('turns false when the watch fails past health.watchFailingMs, and true again after recovery', async () => {
    produce(3, 'shop');
    const k = await start();
    await until('ready', async () => ((await ready(k.base)).status === 200 ? true : undefined));
    expect((await ready(k.base)).body).toMatchObject({ ready: true, leader: null, reasons: [] });

    // Every list and watch of events fails from now on; the open watch is cut.
    const faults = [
      server.faults.add({ verb: 'watch', resource: 'events', times: 10_000, fault: { type: 'http', status: 500 } }),
      server.faults.add({ verb: 'list', resource: 'events', times: 10_000, fault: { type: 'http', status: 500 } }),
    ];
    server.closeWatches();
    const down = await until('not ready', async () => {
      const r = await ready(k.base);
      return r.status === 503 ? r.body : undefined;
    });
    expect(down.ready).toBe(false);
    expect(down.reasons.join()).toMatch(/^watch failing for \d+ ms \(limit 400 ms\)$/);
    const failing = await scrape(k.base);
    expect(failing.value('k8stream_ready')).toBe(0);
    expect(failing.value('k8stream_watch_up')).toBe(0);

    for (const f of faults) f.cancel();
    await until('ready again', async () => ((await ready(k.base)).status === 200 ? true : undefined));
    produce(2, 'shop');
    const after = await until('5 acked', async () => {
      const s = await scrape(k.base);
      return s.value('k8stream_sink_events_sent_total', { sink: 'archive' }) === 5 ? s : undefined;
    });
    expect(after.value('k8stream_ready')).toBe(1);
    expect(after.value('k8stream_watch_up')).toBe(1);
    // Each failed request the double answered with 500 was counted once by k8stream.
    expect(after.value('k8stream_kube_requests_total', { verb: 'watch', resource: 'events', code: '500' }) ?? 0).toBe(
      server.stats.count({ verb: 'watch', resource: 'events', code: 500 }),
    );
    expect(after.value('k8stream_kube_requests_total', { verb: 'list', resource: 'events', code: '500' }) ?? 0).toBe(
      server.stats.count({ verb: 'list', resource: 'events', code: 500 }),
    );
    expect(after.value('k8stream_watch_errors_total', { reason: 'server_error' })).toBe(
      server.stats.count({ verb: 'watch', resource: 'events', code: 500 }) + server.stats.count({ verb: 'list', resource: 'events', code: 500 }),
    );
    await k.stop();
    expect(logs.some((l) => l.includes('list+watch recovered'))).toBe(true);
  });
});

describe('leader election', () => {
  const election = (identity: string) => ({
    leaderElection: { enabled: true, namespace: 'ops', identity, leaseDurationMs: 9000, renewDeadlineMs: 6000, retryPeriodMs: 100 },
  });

  it('a standby serves /readyz (ready, leader: false) and /metrics (k8stream_leader 0); the leader reports 1', async () => {
    produce(4, 'shop');
    const a = await start(undefined, election('pod-a'), 'out-a');
    await until('a leads and acked 4', async () => {
      const m = await scrape(a.base);
      return m.value('k8stream_leader') === 1 && m.value('k8stream_sink_events_sent_total', { sink: 'archive' }) === 4 ? true : undefined;
    });
    const b = await start(undefined, election('pod-b'), 'out-b');
    const standby = await until('b on standby', async () => {
      const r = await ready(b.base);
      return r.body.phase === 'standby' ? r : undefined;
    });
    expect(standby.status).toBe(200);
    expect(standby.body).toMatchObject({ ready: true, leader: false, phase: 'standby' });
    const mb = await scrape(b.base);
    expect(mb.value('k8stream_leader')).toBe(0);
    expect(mb.value('k8stream_ready')).toBe(1);
    expect(mb.value('k8stream_sink_events_sent_total', { sink: 'archive' })).toBeUndefined(); // a standby opens no sink
    expect(mb.value('k8stream_kube_requests_total', { verb: 'get', resource: 'leases', code: '200' })).toBeGreaterThanOrEqual(1);
    const ra = await ready(a.base);
    expect(ra.body).toMatchObject({ ready: true, leader: true, phase: 'running' });
    expect((await b.stop()).led).toBe(false);
    expect((await a.stop()).led).toBe(true);
  });
});
