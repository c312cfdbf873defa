import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../util/logger.js';
import { emptyDispatchStats } from '../dispatch/dispatcher.js';
import type { DispatchStats } from '../dispatch/types.js';
import { createOps } from './ops.js';
import type { Ops, OpsConfig } from './ops.js';

const logs: string[] = [];
const logger = createLogger({ level: 'debug', format: 'json', write: (l) => logs.push(l) });
const opened: Ops[] = [];

function config(over: Partial<OpsConfig> = {}): OpsConfig {
  return {
    cluster: 'c1',
    source: { type: 'replay' },
    server: { enabled: true, host: '127.0.0.1', port: 0 },
    health: { watchFailingMs: 1000, sinkFailingMs: 1000 },
    heartbeat: { url: null, intervalMs: 60_000, timeoutMs: 1000 },
    ...over,
  };
}

async function start(c: OpsConfig, extra: Partial<Parameters<typeof createOps>[1]> = {}): Promise<Ops> {
  const ops = createOps(c, { logger, version: '9.9.9', ...extra });
  opened.push(ops);
  await ops.start();
  return ops;
}

async function get(url: string): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

/** `name{labels}` (labels sorted) → value, from the text format. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    out.set(normalize(line.slice(0, i)), Number(line.slice(i + 1)));
  }
  return { get: (k: string) => out.get(normalize(k)), has: (k: string) => out.has(normalize(k)) } as Map<string, number>;
}
function normalize(key: string): string {
  const b = key.indexOf('{');
  if (b < 0) return key;
  const labels = key.slice(b + 1, -1).match(/[a-z_]+="[^"]*"/g) ?? [];
  return `${key.slice(0, b)}{${labels.sort().join(',')}}`;
}

const stats = (over: Partial<DispatchStats> = {}): DispatchStats => ({ ...emptyDispatchStats(), ...over });

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  logs.length = 0;
});

describe('the ops server', () => {
  it('serves /metrics read from the current stats at scrape time', async () => {
    const ops = await start(config());
    const counters = { received: 14, invalid: 1, filtered: 2, deletedSkipped: 0, bookmarks: 3, watchErrorEntries: 1, records: 7, transformed: 7, unrouted: 1, routed: 6 };
    let sink = stats({ queuedEvents: 3, queuedBytes: 300, batchesSent: 2, eventsSent: 6, bytesSent: 123, retries: 1 });
    ops.addSink('archive', 'memory', () => sink);
    ops.setPipeline(counters);
    ops.setTransforms(() => ({
      redact: { calls: 8, drops: 1, fanouts: 0, errors: 0, timeouts: 0, micros: 80, shortCircuited: 0, trips: 0, breakerOpen: 0 },
      loop: { calls: 5, drops: 0, fanouts: 0, errors: 0, timeouts: 12, micros: 250_000, shortCircuited: 7, trips: 2, breakerOpen: 1 },
    }));
    ops.onTransformError({ transform: 'redact', recordId: 'x', code: 'TRANSFORM_TRAP', message: 'boom', policy: 'deadletter' });
    ops.onKubeResponse({ method: 'GET', path: '/api/v1/events', query: { watch: true }, status: 200 });
    const hooks = ops.dispatcherHooks('archive');
    hooks.onSent!({ items: [{ id: 'a', timestamp: new Date(Date.now() - 2000).toISOString() }], durationMs: 30, attempts: 1, bytes: 10 });

    const res = await get(`${ops.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.type).toMatch(/^text\/plain/);
    const m = samples(res.body);
    expect(m.get('k8stream_build_info{version="9.9.9",node="' + process.versions.node + '"}')).toBe(1);
    expect(m.get('k8stream_events_received_total{source="replay"}')).toBe(14);
    expect(m.get('k8stream_events_records_total{source="replay"}')).toBe(7);
    expect(m.get('k8stream_events_bookmarks_total{source="replay"}')).toBe(3);
    expect(m.get('k8stream_events_watch_error_entries_total{source="replay"}')).toBe(1);
    expect(m.get('k8stream_events_invalid_total{source="replay"}')).toBe(1);
    expect(m.get('k8stream_events_filtered_total{source="replay"}')).toBe(2);
    expect(m.get('k8stream_events_emitted_total{source="replay"}')).toBe(7);
    expect(m.get('k8stream_events_unrouted_total{source="replay"}')).toBe(1);
    expect(m.get('k8stream_sink_queue_events{sink="archive",buffer="memory"}')).toBe(3);
    expect(m.get('k8stream_sink_queue_bytes{sink="archive",buffer="memory"}')).toBe(300);
    expect(m.get('k8stream_sink_events_sent_total{sink="archive"}')).toBe(6);
    expect(m.get('k8stream_sink_batches_sent_total{sink="archive"}')).toBe(2);
    expect(m.get('k8stream_sink_retries_total{sink="archive"}')).toBe(1);
    expect(m.get('k8stream_sink_send_duration_seconds_count{sink="archive"}')).toBe(1);
    expect(m.get('k8stream_sink_lag_seconds_bucket{le="1",sink="archive"}')).toBe(0);
    expect(m.get('k8stream_sink_lag_seconds_bucket{le="5",sink="archive"}')).toBe(1);
    expect(m.get('k8stream_transform_calls_total{transform="redact"}')).toBe(8);
    expect(m.get('k8stream_transform_dropped_total{transform="redact"}')).toBe(1);
    expect(m.get('k8stream_transform_errors_total{transform="redact",kind="trap"}')).toBe(1);
    expect(m.get('k8stream_transform_breaker_open{transform="redact"}')).toBe(0);
    expect(m.get('k8stream_transform_breaker_open{transform="loop"}')).toBe(1);
    expect(m.get('k8stream_transform_breaker_trips_total{transform="redact"}')).toBe(0);
    expect(m.get('k8stream_transform_breaker_trips_total{transform="loop"}')).toBe(2);
    expect(m.get('k8stream_transform_short_circuited_total{transform="loop"}')).toBe(7);
    expect(m.get('k8stream_kube_requests_total{verb="watch",resource="events",code="200"}')).toBe(1);
    expect(m.get('k8stream_ready')).toBe(0); // still "starting"
    expect(m.has('k8stream_leader')).toBe(false); // no leader election
    expect(m.has('k8stream_process_cpu_seconds_total')).toBe(true);

    // Read again: the values follow the stats (no double counting).
    sink = stats({ eventsSent: 9, batchesSent: 3 });
    counters.received = 12;
    const again = samples((await get(`${ops.url}/metrics`)).body);
    expect(again.get('k8stream_sink_events_sent_total{sink="archive"}')).toBe(9);
    expect(again.get('k8stream_events_received_total{source="replay"}')).toBe(12);
  });

  it('/healthz answers while the loop is responsive; /readyz follows the phase and sink health', async () => {
    let t = 1_000_000;
    const ops = await start(config(), { now: () => t });
    const health = await get(`${ops.url}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });

    expect((await get(`${ops.url}/readyz`)).status).toBe(503);
    ops.addSink('archive', 'memory', () => stats());
    ops.setSource(null); // replay
    ops.setPhase('running');
    expect((await get(`${ops.url}/readyz`)).status).toBe(200);

    const hooks = ops.dispatcherHooks('archive');
    hooks.onSendFailed!({ count: 1, attempt: 1, code: 'SINK_TIMEOUT', permanent: false, durationMs: 5 });
    t += 1000;
    expect((await get(`${ops.url}/readyz`)).status).toBe(200); // within the budget
    t += 1;
    const down = await get(`${ops.url}/readyz`);
    expect(down.status).toBe(503);
    expect(JSON.parse(down.body)).toMatchObject({ ready: false, reasons: ['sink archive failing for 1001 ms (limit 1000 ms)'] });
    expect(samples((await get(`${ops.url}/metrics`)).body).get('k8stream_ready')).toBe(0);
    hooks.onSent!({ items: [], durationMs: 1, attempts: 2, bytes: 1 });
    expect((await get(`${ops.url}/readyz`)).status).toBe(200);
    expect((await get(`${ops.url}/nope`)).status).toBe(404);
  });

  it('reports the leader gauge only with leader election', async () => {
    let leading = false;
    const ops = await start(config(), { leader: () => leading });
    ops.setPhase('standby');
    const r = await get(`${ops.url}/readyz`);
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toMatchObject({ ready: true, leader: false, phase: 'standby' });
    expect(samples((await get(`${ops.url}/metrics`)).body).get('k8stream_leader')).toBe(0);
    leading = true;
    expect(samples((await get(`${ops.url}/metrics`)).body).get('k8stream_leader')).toBe(1);
  });

  it('a port in use is an error log, not a failure', async () => {
    const first = await start(config());
    const port = Number(new URL(first.url!).port);
    const second = await start(config({ server: { enabled: true, host: '127.0.0.1', port } }));
    expect(second.url).toBeNull();
    const line = logs.map((l) => JSON.parse(l) as { level: string; msg: string; code?: string }).find((l) => l.level === 'error');
    expect(line).toMatchObject({ msg: 'metrics and health server could not listen; continuing without it', code: 'EADDRINUSE' });
  });

  it('server.enabled: false serves nothing', async () => {
    const ops = await start(config({ server: { enabled: false, host: '127.0.0.1', port: 0 } }));
    expect(ops.url).toBeNull();
  });
});

describe('the heartbeat', () => {
  it('POSTs cluster, version, uptime and leader; failures are counted and logged, never fatal', async () => {
    const bodies: unknown[] = [];
    let fail = true;
    const waiters: (() => void)[] = [];
    const receiver = http.createServer((req, res) => {
      let body = '';
      req
        .setEncoding('utf8')
        .on('data', (d: string) => (body += d))
        .on('end', () => {
          bodies.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body) });
          res.statusCode = fail ? 500 : 204;
          res.end();
          for (const w of waiters.splice(0)) w();
        });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const url = `http://user:secret@127.0.0.1:${(receiver.address() as AddressInfo).port}/ping?token=abc`;
    const received = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => (bodies.length >= n ? resolve() : waiters.push(check));
        check();
      });
    try {
      const ops = await start(config({ heartbeat: { url, intervalMs: 50, timeoutMs: 1000 } }), { leader: () => true });
      await received(2);
      fail = false;
      // Poll the counter (bounded by the test timeout) until a ping succeeded.
      while ((samples(await ops.metrics.scrape()).get('k8stream_heartbeats_total{result="ok"}') ?? 0) < 1) await received(bodies.length + 1);
      await ops.close();
      expect(bodies[0]).toMatchObject({ method: 'POST', type: 'application/json', body: { cluster: 'c1', version: '9.9.9', leader: true } });
      expect(typeof (bodies[0] as { body: { uptimeSeconds: unknown } }).body.uptimeSeconds).toBe('number');
      const m = samples(await ops.metrics.scrape());
      const errors = m.get('k8stream_heartbeats_total{result="error"}')!;
      const ok = m.get('k8stream_heartbeats_total{result="ok"}')!;
      expect(errors).toBeGreaterThanOrEqual(2);
      expect(ok).toBeGreaterThanOrEqual(1);
      // A ping aborted by close() is neither (it may have reached the receiver).
      expect(errors + ok).toBeLessThanOrEqual(bodies.length);
      expect(errors + ok).toBeGreaterThanOrEqual(bodies.length - 1);
      const warnings = logs.filter((l) => l.includes('heartbeat failed'));
      expect(warnings).toHaveLength(errors);
      expect(logs.join('\n')).not.toContain('secret');
      expect(logs.join('\n')).not.toContain('token=abc');
      expect(warnings[0]).toContain('http://127.0.0.1:');
    } finally {
      await new Promise((r) => receiver.close(r));
    }
  });
});
