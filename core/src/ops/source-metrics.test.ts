/**
 * The Kubernetes source's staleness and retry metrics, through a real scrape of /metrics: a
 * live source against the API-server double, one watch per namespace, an injected clock, and a
 * sleep that holds each retry until the test releases it (so the scrape sees the wait).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from '../../../test/apiserver/src/index.js';
import { silentLogger } from '../util/logger.js';
import { createKubernetesSource } from '../source/kubernetes/events-source.js';
import { clientFor, FAST, SourceCollector, sourceConfig } from '../source/kubernetes/harness.fixture.js';
import { createOps } from './ops.js';
import type { Ops } from './ops.js';

let server: ApiServerDouble | undefined;
let ops: Ops | undefined;
const stop = new AbortController();
afterEach(async () => {
  stop.abort();
  await ops?.close();
  await server?.close();
});

async function scrape(url: string): Promise<(name: string, labels?: Record<string, string>) => number | undefined> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    values.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return (name, labels = {}) => {
    const l = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
    return values.get(l.length === 0 ? name : `${name}{${l.join(',')}}`);
  };
}

describe('source metrics', () => {
  it('per watch: the age of the last event or bookmark, failures since the last healthy cycle, the next retry; errors by reason', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 3_600_000 }));
    let t = Date.parse('2026-12-07T20:00:00.000Z');
    const now = () => t;
    const held: (() => void)[] = [];
    const sleep = (): Promise<void> => new Promise<void>((resolve) => held.push(resolve));
    const source = createKubernetesSource(sourceConfig({ namespaces: ['shop', 'web'] }), {
      client: clientFor(s),
      now,
      logger: silentLogger,
      listWatch: { ...FAST, sleep, random: () => 1, healthyWatchMs: 10_000 },
    });
    ops = createOps(
      {
        cluster: 'c',
        source: { type: 'kubernetes' },
        server: { enabled: true, host: '127.0.0.1', port: 0 },
        health: { watchFailingMs: 60_000, sinkFailingMs: 60_000 },
        heartbeat: { url: null, intervalMs: 60_000, timeoutMs: 1000 },
      },
      { logger: silentLogger, version: '0', now },
    );
    await ops.start();
    ops.setSource(source);
    const got = new SourceCollector(source, stop.signal);
    const web = () => source.state().watches.find((w) => w.watch === 'web')!;
    await got.until(() => source.state().established);

    t += 10_000;
    s.store.create('events', { metadata: { name: 'a', namespace: 'shop' }, involvedObject: { kind: 'Pod', name: 'p', namespace: 'shop' }, reason: 'X', count: 1 });
    await got.until((items) => items.length === 1);
    t += 5_500;
    let m = await scrape(ops.url!);
    expect(m('k8stream_source_last_event_age_seconds', { watch: 'shop' })).toBe(5.5);
    expect(m('k8stream_source_last_event_age_seconds', { watch: 'web' })).toBe(15.5); // nothing yet: since it started
    expect(m('k8stream_source_consecutive_failures', { watch: 'web' })).toBe(0);
    expect(m('k8stream_source_next_retry_timestamp_seconds', { watch: 'web' })).toBe(0);
    expect(m('k8stream_watch_errors_total', { reason: 'server_error' })).toBe(0);
    expect(m('k8stream_source_throttled_total')).toBe(0);

    s.faults.next({ verb: 'watch', namespace: 'web' }, { type: 'http', status: 500 });
    s.faults.next({ verb: 'watch', namespace: 'web' }, { type: 'http', status: 429, retryAfterSeconds: 7 });
    s.closeWatches();
    await got.until(() => web().nextRetryAt !== null);
    m = await scrape(ops.url!);
    expect(m('k8stream_source_consecutive_failures', { watch: 'web' })).toBe(1);
    expect(m('k8stream_source_next_retry_timestamp_seconds', { watch: 'web' })).toBe((t + 2) / 1000);
    expect(m('k8stream_watch_errors_total', { reason: 'server_error' })).toBe(1);

    held.shift()!();
    await got.until(() => web().nextRetryAt !== null && web().consecutiveFailures === 2);
    m = await scrape(ops.url!);
    expect(m('k8stream_source_next_retry_timestamp_seconds', { watch: 'web' })).toBe((t + 7000) / 1000);
    expect(m('k8stream_source_throttled_total')).toBe(1);
    expect(m('k8stream_watch_errors_total', { reason: 'throttled' })).toBe(1);
    expect(m('k8stream_source_consecutive_failures', { watch: 'shop' })).toBe(0);

    held.shift()!();
    await got.until(() => web().watching);
    t += 10_000; // open 10 s: a healthy cycle
    m = await scrape(ops.url!);
    expect(m('k8stream_source_next_retry_timestamp_seconds', { watch: 'web' })).toBe(0);
    expect(m('k8stream_source_consecutive_failures', { watch: 'web' })).toBe(0);
    for (const reason of ['expired', 'client_error', 'reset', 'stall', 'empty', 'invalid', 'other']) expect(m('k8stream_watch_errors_total', { reason }), reason).toBe(0);
  });
});
