/**
 * Recovery from fault storms, against the API-server double with an injected clock: the sleep
 * records each wait and moves the clock by it, so waits are measured without waiting. A backoff
 * per failure class, reset after a healthy list+watch cycle; retries logged at WARN/INFO
 * (rate-limited); failing until the watch opens again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble, type Fault } from '../../../test/apiserver/src/index.js';
import { createLogger } from '../util/logger.js';
import { clientFor, FAST, ListWatchCollector } from '../source/kubernetes/harness.fixture.js';
import { createListWatch } from './listwatch.js';
import type { ListWatchOptions } from './listwatch.js';

let server: ApiServerDouble | undefined;
let stop = new AbortController();
afterEach(async () => {
  stop.abort();
  stop = new AbortController();
  await server?.close();
  server = undefined;
});

const event = (name: string): Record<string, unknown> => ({
  metadata: { name, namespace: 'default' },
  involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace: 'default' },
  reason: 'Started',
  type: 'Normal',
  count: 1,
});

/** A clock that only sleeps move: each wait is recorded and added to it, and resolves on the next turn. */
function fakeTime() {
  let t = Date.parse('2026-12-07T20:00:00.000Z');
  const asked: number[] = [];
  return {
    asked,
    now: () => t,
    advance: (ms: number) => void (t += ms),
    sleep: (ms: number): Promise<void> => {
      asked.push(ms);
      t += ms;
      return new Promise((resolve) => setImmediate(resolve));
    },
  };
}

function engine(s: ApiServerDouble, extra: Partial<ListWatchOptions> = {}) {
  const lw = createListWatch({ client: clientFor(s), path: '/api/v1/events', signal: stop.signal, ...FAST, ...extra });
  return { lw, got: new ListWatchCollector(lw) };
}

const SMALL = { backoff: { initialMs: 100, maxMs: 1000 }, random: () => 1 };

describe('retry waits per failure class', () => {
  it('a storm of 500s, then a 410: the re-list is immediate', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    s.store.create('events', event('a'));
    const ft = fakeTime();
    const { lw, got } = engine(s, { ...SMALL, sleep: ft.sleep, now: ft.now });
    await got.until(() => lw.counters().bookmarks > 0);
    s.faults.add({ verb: 'watch', times: 6, fault: { type: 'http', status: 500 } });
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 410 });
    s.closeWatches();
    await got.until((items) => items.some((i) => i.kind === 'sync' && i.reason === 'relist'));
    expect(ft.asked).toEqual([100, 200, 400, 800, 1000, 1000]); // nothing more before the re-list
    expect(lw.counters()).toMatchObject({ serverErrors: 6, errors: 6, expired: 1, gaps410: 1, relists: 1 });
  });

  it('a 429 waits its Retry-After (7 s), however many failures came before; without one, throttling starts its own backoff', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    const ft = fakeTime();
    const { lw, got } = engine(s, { ...SMALL, sleep: ft.sleep, now: ft.now });
    await got.until(() => lw.counters().bookmarks > 0);
    s.faults.add({ verb: 'watch', times: 5, fault: { type: 'http', status: 503 } });
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 429, retryAfterSeconds: 7 });
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 429, retryAfterSeconds: 0 });
    s.closeWatches();
    await got.until(() => lw.counters().throttled === 2 && lw.state().watching);
    expect(ft.asked).toEqual([100, 200, 400, 800, 1000, 7000, 100]);
    expect(lw.state().consecutiveFailures).toBe(7);
  });

  it('after a storm of mixed faults, the wait pending when the server is healthy again is at most 4 s (then it watches)', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    s.store.create('events', event('a'));
    const ft = fakeTime();
    const { lw, got } = engine(s, { sleep: ft.sleep, now: ft.now, random: () => 1 }); // the default backoff
    await got.until(() => lw.counters().bookmarks > 0);
    const storm: Fault[] = [
      { type: 'http', status: 500 },
      { type: 'reset' },
      { type: 'empty200' },
      { type: 'http', status: 503 },
      { type: 'http', status: 429, retryAfterSeconds: 0 },
      { type: 'error410' },
    ];
    let healthyAt = 0;
    const rules = Array.from({ length: 24 }, (_, i) => s.faults.next({ verb: 'watch' }, storm[i % storm.length]!));
    s.faults.add({ verb: 'list', times: 3, fault: { type: 'http', status: 500 } });
    void rules
      .at(-1)!
      .applied()
      .then(() => (healthyAt = ft.now()));
    s.closeWatches();
    // The last fault is an in-stream 410 (the stream opens first): done once the re-list's watch is open.
    await got.until(() => lw.counters().expired === 4 && lw.state().watching && lw.state().failingSince === null && healthyAt > 0);
    expect(rules.every((r) => r.remaining === 0)).toBe(true);
    expect(Math.max(...ft.asked)).toBeLessThanOrEqual(4000);
    expect(ft.now() - healthyAt).toBeLessThanOrEqual(4000); // watching again within 5 s of the server's recovery
    const c = lw.counters();
    expect(c).toMatchObject({ resets: 4, expired: 4, throttled: 4 });
    expect(c.serverErrors).toBe(8 + 3); // watch 500/503, list 500
    expect(c.emptyResponses).toBeGreaterThanOrEqual(4);
  });

  it('starts over after a healthy cycle: a watch open for healthyWatchMs without data counts', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 3_600_000 }));
    const ft = fakeTime();
    const { lw, got } = engine(s, { ...SMALL, sleep: ft.sleep, now: ft.now, healthyWatchMs: 10_000 });
    await got.until(() => lw.state().watching);
    ft.advance(10_000);
    s.faults.add({ verb: 'watch', times: 3, fault: { type: 'http', status: 500 } });
    s.closeWatches(); // open 10 s without data: a normal end, not an empty answer
    await got.until(() => lw.counters().serverErrors === 3 && lw.state().watching);
    expect(lw.counters()).toMatchObject({ emptyResponses: 0, restarts: 1 });
    expect(ft.asked).toEqual([100, 200, 400]);
    expect(lw.state().consecutiveFailures).toBe(3);
    ft.advance(9_999);
    expect(lw.state().consecutiveFailures).toBe(3);
    ft.advance(1);
    expect(lw.state().consecutiveFailures).toBe(0);
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 500 });
    s.closeWatches();
    await got.until(() => lw.counters().serverErrors === 4 && lw.state().watching);
    expect(ft.asked).toEqual([100, 200, 400, 100]);
  });

  it('shows the next attempt while it waits', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    const ft = fakeTime();
    let release: () => void = () => {};
    const sleep = (ms: number): Promise<void> => (ft.asked.push(ms), new Promise<void>((resolve) => (release = resolve)));
    const { lw, got } = engine(s, { ...SMALL, sleep, now: ft.now });
    await got.until(() => lw.counters().bookmarks > 0);
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 429, retryAfterSeconds: 7 });
    s.closeWatches();
    await got.until(() => lw.state().nextRetryAt !== null);
    expect(lw.state()).toMatchObject({ nextRetryAt: ft.now() + 7000, consecutiveFailures: 1, watching: false });
    release();
    await got.until(() => lw.state().watching);
    expect(lw.state().nextRetryAt).toBeNull();
  });
});

describe('readiness of the engine', () => {
  it('established only once the watch opened after the initial list', async () => {
    const s = (server = await startApiServer());
    let watchAsked: () => void = () => {};
    const asked = new Promise<void>((resolve) => (watchAsked = resolve));
    s.faults.next({ verb: 'watch', when: () => (watchAsked(), true) }, { type: 'delay', ms: 300 });
    const { lw, got } = engine(s);
    await asked;
    expect(lw.state()).toMatchObject({ synced: true, established: false, watching: false });
    await got.until(() => lw.state().watching);
    expect(lw.state().established).toBe(true);
  });

  it('still failing after a successful re-list, until the watch opens', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    const { lw, got } = engine(s);
    await got.until(() => lw.counters().bookmarks > 0);
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 500 });
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 410 });
    let watchAsked: () => void = () => {};
    const asked = new Promise<void>((resolve) => (watchAsked = resolve));
    s.faults.next({ verb: 'watch', when: () => (watchAsked(), true) }, { type: 'delay', ms: 300 });
    s.closeWatches();
    await asked; // the re-list completed; the watch is not answered yet
    expect(lw.counters().relists).toBe(1);
    expect(lw.state().failingSince).not.toBeNull();
    await got.until(() => lw.state().watching);
    expect(lw.state().failingSince).toBeNull();
  });
});

describe('streaming list readiness', () => {
  it('keeps failing while a streaming list sends its initial events, until they end', async () => {
    const s = (server = await startApiServer());
    for (let i = 0; i < 5; i++) s.store.create('events', event(`e${i}`));
    const ft = fakeTime();
    const recovered: unknown[] = [];
    const logger = createLogger({ level: 'info', format: 'json', write: (l) => void (l.includes('list+watch recovered') && recovered.push(JSON.parse(l))) });
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 500 });
    s.faults.next({ verb: 'watch' }, { type: 'reset', afterEvents: 2 }); // opens, sends 2 initial events, breaks
    const { lw, got } = engine(s, { ...SMALL, sleep: ft.sleep, now: ft.now, sendInitialEvents: true, logger });
    await got.until((items) => items.length === 1);
    expect(ft.asked).toEqual([100, 200]);
    expect(lw.counters()).toMatchObject({ serverErrors: 1, resets: 1 });
    expect(lw.state()).toMatchObject({ established: true, failingSince: null });
    // One run of failures, from the first one (t0) to the end of the initial events (t0 + 300):
    // the stream that opened and broke before its end bookmark did not end it.
    expect(recovered).toEqual([expect.objectContaining({ failingForMs: 300, failures: 2 })]);
  });
});

describe('retry log lines', () => {
  it('a long outage logs a WARN line at least every 30 s + one wait, each naming the next attempt', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    const ft = fakeTime();
    const lines: { level: string; msg: string; waitMs?: number; nextAttemptAt?: string; reason?: string }[] = [];
    const logger = createLogger({ level: 'debug', format: 'json', write: (l) => lines.push(JSON.parse(l) as (typeof lines)[number]) });
    const { lw, got } = engine(s, { sleep: ft.sleep, now: ft.now, random: () => 1, logger });
    await got.until(() => lw.counters().bookmarks > 0);
    s.faults.add({ verb: 'watch', times: 40, fault: { type: 'http', status: 500 } });
    s.closeWatches();
    await got.until(() => lw.counters().serverErrors === 40 && lw.state().watching);
    const retries = lines.filter((l) => l.msg === 'watch failed; retrying');
    expect(retries).toHaveLength(40);
    const warned = retries.filter((l) => l.level === 'warn');
    const at = warned.map((l) => Date.parse(l.nextAttemptAt!) - l.waitMs!);
    expect(at[0]).toBe(Date.parse('2026-12-07T20:00:00.000Z'));
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(30_000);
    for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(34_000);
    expect(ft.now() - at.at(-1)!).toBeLessThanOrEqual(34_000);
    expect(warned.every((l) => l.reason === 'server_error')).toBe(true);
    expect(lines.some((l) => l.level === 'info' && l.msg === 'list+watch recovered: watching again')).toBe(true);
  });
});
