/**
 * The list+watch engine against the API-server double (real HTTP and HTTPS, client-node's
 * KubeConfig underneath): pagination, bookmarks, server timeouts, resume, 410 → gap + re-list,
 * backoff and Retry-After (recorded through an injected sleep), stalls, empty answers,
 * streaming lists, and the fail-fast startup errors.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble, type Fault, type RequestInfo } from '../../../test/apiserver/src/index.js';
import { K8streamError } from '../errors.js';
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

const event = (name: string, namespace = 'default', extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  metadata: { name, namespace },
  involvedObject: { kind: 'Pod', name: `pod-${name}`, namespace },
  reason: 'Started',
  type: 'Normal',
  count: 1,
  lastTimestamp: '2026-01-01T00:00:00Z',
  ...extra,
});

/** Every request's verb and query, through a fault rule that never matches. */
function requestLog(s: ApiServerDouble): { verb: string; path: string; query: Record<string, string> }[] {
  const log: { verb: string; path: string; query: Record<string, string> }[] = [];
  s.faults.add({
    when: (req: RequestInfo) => {
      log.push({ verb: req.verb, path: req.path, query: Object.fromEntries(req.query) });
      return false;
    },
    fault: { type: 'empty200' },
    times: Infinity,
  });
  return log;
}

/** A sleep that records what was asked and waits 1 ms at most. */
function recordingSleep(): { sleep: NonNullable<ListWatchOptions['sleep']>; asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    sleep: (ms, signal) => {
      asked.push(ms);
      return new Promise((resolve) => {
        const t = setTimeout(resolve, Math.min(ms, 1));
        signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
      });
    },
  };
}

function engine(s: ApiServerDouble, extra: Partial<ListWatchOptions> = {}) {
  const lw = createListWatch({ client: clientFor(s), path: '/api/v1/events', signal: stop.signal, ...FAST, ...extra });
  return { lw, got: new ListWatchCollector(lw) };
}

const ids = (objects: Record<string, unknown>[]): string[] => objects.map((o) => String((o['metadata'] as { name: string }).name));

for (const https of [false, true]) {
  describe(`list+watch over ${https ? 'HTTPS' : 'HTTP'}`, () => {
    it('lists in pages of pageSize, then watches from the list resourceVersion with bookmarks and a timeout', async () => {
      const s = (server = await startApiServer({ https }));
      for (let i = 0; i < 500; i++) s.store.create('events', event(`e${String(i).padStart(3, '0')}`));
      const log = requestLog(s);
      const { lw, got } = engine(s, { pageSize: 50, watchTimeoutSeconds: 120 });
      await got.until((items) => items.length === 1);
      const sync = got.of('sync')[0]!;
      expect(sync.reason).toBe('initial');
      expect(sync.resourceVersion).toBe('500');
      expect(sync.objects).toHaveLength(500);
      expect(new Set(ids(sync.objects)).size).toBe(500);
      expect(sync.objects[0]).toMatchObject({ kind: 'Event', apiVersion: 'v1' });
      expect(lw.counters()).toMatchObject({ lists: 1, pages: 10 });
      const lists = log.filter((r) => r.verb === 'list');
      expect(lists).toHaveLength(10);
      expect(lists.every((r) => r.query['limit'] === '50')).toBe(true);
      expect(lists[0]!.query['continue']).toBeUndefined();
      expect(lists.slice(1).every((r) => r.query['continue'] !== undefined)).toBe(true);
      await got.until(() => lw.state().watching);
      expect(log.find((r) => r.verb === 'watch')!.query).toEqual({ watch: 'true', allowWatchBookmarks: 'true', timeoutSeconds: '120', resourceVersion: '500' });

      s.store.create('events', event('live'));
      s.store.patch('events', 'default/live', { count: 2 });
      s.store.delete('events', 'default/e000');
      await got.until((items) => items.length === 4);
      expect(got.items.slice(1).map((i) => (i.kind === 'event' ? `${i.type} ${String((i.object['metadata'] as { name: string }).name)}` : i.kind))).toEqual([
        'ADDED live',
        'MODIFIED live',
        'DELETED e000',
      ]);
      expect(lw.state()).toMatchObject({ synced: true, watching: true, failingSince: null, resourceVersion: '503' });
    });

    it('moves the resourceVersion with bookmarks', async () => {
      const s = (server = await startApiServer({ https, bookmarkIntervalMs: 20 }));
      s.store.create('events', event('a'));
      const { lw, got } = engine(s);
      await got.until(() => lw.state().watching);
      s.store.create('pods', { metadata: { name: 'p', namespace: 'default' } }); // moves the global revision, no event
      await got.until(() => lw.state().resourceVersion === '2');
      expect(lw.counters().bookmarks).toBeGreaterThan(0);
      expect(got.of('event')).toEqual([]);
    });

    it('reconnects after the server timeout and resumes without re-delivering', async () => {
      const s = (server = await startApiServer({ https, bookmarkIntervalMs: 100 }));
      const log = requestLog(s);
      const { lw, got } = engine(s, { watchTimeoutSeconds: 1 });
      await got.until(() => lw.state().watching);
      s.store.create('events', event('before'));
      await got.until(() => lw.counters().restarts >= 1 && lw.state().watching);
      s.store.create('events', event('after'));
      await got.until((items) => items.filter((i) => i.kind === 'event').length === 2);
      const watches = log.filter((r) => r.verb === 'watch');
      expect(watches.length).toBeGreaterThanOrEqual(2);
      expect(watches[1]!.query['resourceVersion']).not.toBe('0');
      expect(got.of('event').map((e) => (e.object['metadata'] as { name: string }).name)).toEqual(['before', 'after']);
      expect(got.of('sync')).toHaveLength(1);
    });
  });
}

describe('list+watch recovery', () => {
  it('on an in-stream 410: a gap item, then a re-list', async () => {
    const s = (server = await startApiServer());
    s.store.create('events', event('a'));
    const { lw, got } = engine(s);
    await got.until(() => lw.state().watching);
    s.faults.next({ verb: 'watch' }, { type: 'error410', afterEvents: 1 });
    s.closeWatches();
    s.store.create('events', event('b')); // delivered, then the ERROR
    await got.until((items) => items.some((i) => i.kind === 'sync' && i.reason === 'relist'));
    const kinds = got.items.map((i) => i.kind);
    expect(kinds).toEqual(['sync', 'event', 'gap', 'sync']);
    expect(got.items[2]).toEqual({ kind: 'gap', fromResourceVersion: '2', toResourceVersion: '2', cause: 'expired' });
    expect(lw.counters()).toMatchObject({ gaps410: 1, relists: 1 });
  });

  it('on an HTTP 410 after a real compaction: the gap names both resourceVersions', async () => {
    const s = (server = await startApiServer({ compactionWindow: 5 }));
    s.store.create('events', event('a'));
    const { lw, got } = engine(s);
    await got.until(() => lw.state().watching);
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 410 });
    for (let i = 0; i < 10; i++) s.store.create('pods', { metadata: { name: `p${i}`, namespace: 'default' } });
    s.closeWatches();
    await got.until((items) => items.some((i) => i.kind === 'gap'));
    await got.until((items) => items.at(-1)?.kind === 'sync');
    expect(got.items.find((i) => i.kind === 'gap')).toEqual({ kind: 'gap', fromResourceVersion: '1', toResourceVersion: '11', cause: 'expired' });
  });

  /**
   * 20 events listed in pages of 10 and watched; then the watch expires, and the re-list's first
   * page goes out (with the gap up to its revision) while its continuation meets `fault` as the
   * cluster moves on, so the list that completes is at a later revision. Returns the gap items.
   */
  async function relistBrokenOnContinue(fault: Fault) {
    const s = (server = await startApiServer());
    for (let i = 0; i < 20; i++) s.store.create('events', event(`e${i}`));
    const { lw, got } = engine(s, { pageSize: 10, streamPages: true });
    await got.until(() => lw.state().watching);
    s.faults.next({ verb: 'watch' }, { type: 'error410' });
    const moveOn = (r: RequestInfo): boolean => r.query.has('continue') && s.store.create('events', event('late')) !== undefined;
    s.faults.next({ verb: 'list', when: moveOn }, fault);
    s.closeWatches();
    await got.until((items) => items.filter((i) => i.kind === 'gap').length === 2 && lw.state().watching);
    return { lw, gaps: got.of('gap').map((g) => [g.fromResourceVersion, g.toResourceVersion]) };
  }

  it('streaming pages: a re-list that breaks off after announcing its gap announces the stretch to the list that completes as a second gap', async () => {
    const { gaps } = await relistBrokenOnContinue({ type: 'http', status: 503 });
    expect(gaps).toEqual([
      ['20', '20'],
      ['20', '21'],
    ]);
  });

  it('streaming pages: a re-list that restarts (continue token expired) at a later revision announces the stretch as a second gap', async () => {
    const { lw, gaps } = await relistBrokenOnContinue({ type: 'http', status: 410, reason: 'Expired' });
    expect(gaps).toEqual([
      ['20', '20'],
      ['20', '21'],
    ]);
    expect(lw.counters().errors).toBe(0); // restarted within the list attempt, not a failure
  });

  it('streaming pages, requests the next page while the consumer still holds the current one', async () => {
    const s = (server = await startApiServer());
    for (let i = 0; i < 50; i++) s.store.create('events', event(`e${String(i).padStart(2, '0')}`));
    let lists = 0;
    let fourth: () => void = () => {};
    const fourthRequested = new Promise<void>((resolve) => (fourth = resolve));
    s.faults.add({ verb: 'list', times: Infinity, fault: { type: 'empty200' }, when: () => (++lists === 4 && fourth(), false) });
    // The queue holds one page. The consumer takes page 1 and stops: page 2 waits in the queue,
    // page 3 waits for room, and page 4 is already asked for.
    const lw = createListWatch({ client: clientFor(s), path: '/api/v1/events', signal: stop.signal, ...FAST, pageSize: 10, streamPages: true, bufferSize: 1 });
    const first = await lw.nextBatch(1);
    await fourthRequested;
    expect(lw.counters().pages).toBe(3);
    const got = new ListWatchCollector(lw);
    await got.until((items) => items.filter((i) => i.kind === 'page').length === 4);
    const pages = [...first!, ...got.items].filter((i) => i.kind === 'page');
    expect(pages.flatMap((p) => ids(p.objects))).toEqual(Array.from({ length: 50 }, (_, i) => `e${String(i).padStart(2, '0')}`));
    expect(lists).toBe(5);
  });

  it('restarts a list whose continue token expired, then lists without pages', async () => {
    const s = (server = await startApiServer());
    for (let i = 0; i < 30; i++) s.store.create('events', event(`e${i}`));
    const log = requestLog(s);
    // Two expired continue tokens in a row: the third attempt lists in one page.
    s.faults.add({ verb: 'list', when: (r) => r.query.has('continue'), times: 2, fault: { type: 'http', status: 410, reason: 'Expired' } });
    const { lw, got } = engine(s, { pageSize: 10 });
    await got.until((items) => items.length === 1);
    expect(got.of('sync')[0]!.objects).toHaveLength(30);
    expect(lw.counters()).toMatchObject({ lists: 3, errors: 0 });
    const lists = log.filter((r) => r.verb === 'list');
    expect(lists.at(-1)!.query['limit']).toBeUndefined();
  });

  it('honours Retry-After on 429 and backs off exponentially (with jitter) on errors, resetting after a healthy stream', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    const { sleep, asked } = recordingSleep();
    s.faults.next({ verb: 'list' }, { type: 'http', status: 429, retryAfterSeconds: 7 });
    const { lw, got } = engine(s, { sleep, backoff: { initialMs: 100, maxMs: 1000 }, random: () => 1 });
    await got.until(() => lw.counters().bookmarks > 0);
    expect(asked).toEqual([7000]);
    s.faults.add({ verb: 'watch', times: 4, fault: { type: 'http', status: 500 } });
    s.closeWatches(); // a clean end after data: resumed at once
    await got.until(() => lw.counters().errors === 4 && lw.state().watching);
    expect(asked).toEqual([7000, 100, 200, 400, 800]);
    const bookmarks = lw.counters().bookmarks;
    await got.until(() => lw.counters().bookmarks > bookmarks && lw.state().failingSince === null);
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 503 });
    s.closeWatches();
    await got.until(() => lw.counters().errors === 5 && lw.state().watching);
    expect(asked.at(-1)).toBe(100);
    expect(lw.counters().throttled).toBe(1);
    expect(lw.state().lastError).toBe('cannot watch events (core/v1) at the cluster scope: 503 Service Unavailable — the server is currently unable to handle the request');
  });

  it('reports failures in state() while it keeps retrying, and recovers', async () => {
    const s = (server = await startApiServer());
    const { lw, got } = engine(s);
    await got.until(() => lw.state().watching);
    const lift = s.rbac.deny({ verb: 'watch', resource: 'events' });
    s.closeWatches();
    await got.until(() => lw.counters().errors >= 3);
    const failing = lw.state();
    expect(failing.watching).toBe(false);
    expect(failing.failingSince).not.toBeNull();
    expect(failing.lastError).toContain('cannot watch events (core/v1) at the cluster scope: 403 Forbidden');
    lift();
    s.store.create('events', event('back'));
    await got.until((items) => items.some((i) => i.kind === 'event'));
    expect(lw.state()).toMatchObject({ watching: true, failingSince: null });
  });

  it('backs off on empty 200 answers, then re-lists after three in a row', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    s.store.create('events', event('a'));
    const { sleep, asked } = recordingSleep();
    const { lw, got } = engine(s, { sleep, backoff: { initialMs: 50, maxMs: 1000 }, random: () => 1 });
    await got.until(() => lw.counters().bookmarks > 0);
    s.faults.add({ verb: 'watch', times: 3, fault: { type: 'empty200' } });
    s.closeWatches();
    await got.until((items) => items.some((i) => i.kind === 'gap'));
    expect(asked).toEqual([50, 100]); // no busy loop: each empty answer waits
    expect(lw.counters()).toMatchObject({ emptyResponses: 3, gapsEmpty: 1, relists: 1 });
    expect(got.items.find((i) => i.kind === 'gap')).toMatchObject({ cause: 'empty' });
  });

  it('drops a stalled watch after its idle timeout and resumes', async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 20 }));
    const { lw, got } = engine(s, { idleTimeoutMs: 200 });
    await got.until(() => lw.state().watching);
    s.faults.next({ verb: 'watch' }, { type: 'stall', afterEvents: 1 });
    s.closeWatches();
    s.store.create('events', event('x'));
    await got.until(() => lw.counters().stalls === 1 && lw.state().watching);
    s.store.create('events', event('y'));
    await got.until((items) => items.filter((i) => i.kind === 'event').length === 2);
    expect(got.of('event').map((e) => (e.object['metadata'] as { name: string }).name)).toEqual(['x', 'y']);
  });

  it('keeps reading bounded while the consumer does not pull', async () => {
    const s = (server = await startApiServer());
    const lw = createListWatch({ client: clientFor(s), path: '/api/v1/events', signal: stop.signal, ...FAST, bufferSize: 10, idleTimeoutMs: 60_000 });
    expect(await lw.nextBatch(10)).toHaveLength(1); // the initial sync
    for (let i = 0; i < 3000; i++) s.store.create('events', event(`e${i}`));
    await s.stats.waitFor((st) => st.watchEvents >= 3000);
    for (let i = 0; i < 200; i++) await new Promise((resolve) => setImmediate(resolve)); // let IO run
    expect(lw.counters().events).toBeLessThanOrEqual(11);
    let total = 0;
    while (total < 3000) total += (await lw.nextBatch(500))!.length;
    expect(total).toBe(3000);
  });
});

describe('list+watch startup', () => {
  it.each([
    [401, (s: ApiServerDouble) => clientFor(s, { token: 'bad' }), 'cannot list events (core/v1) at the cluster scope: 401 Unauthorized'],
    [
      403,
      (s: ApiServerDouble) => (s.rbac.deny({ verb: 'list', resource: 'events' }), clientFor(s)),
      'cannot list events (core/v1) at the cluster scope: 403 Forbidden — events is forbidden: User "system:serviceaccount:k8stream:k8stream" cannot list resource "events" in API group "" at the cluster scope',
    ],
  ])('fails fast with SOURCE_FAILED on %i', async (_code, client, message) => {
    const s = (server = await startApiServer({ token: 'good' }));
    const lw = createListWatch({ client: client(s), path: '/api/v1/events', signal: stop.signal, ...FAST });
    const err = await lw.nextBatch(1).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(K8streamError);
    expect((err as K8streamError).code).toBe('SOURCE_FAILED');
    expect((err as K8streamError).message).toBe(message);
    expect((err as K8streamError).message).not.toContain('\n');
  });

  it('fails fast when the API is not served (404)', async () => {
    const s = (server = await startApiServer());
    const lw = createListWatch({ client: clientFor(s), path: '/apis/events.k8s.io/v2/events', signal: stop.signal, ...FAST });
    await expect(lw.nextBatch(1)).rejects.toMatchObject({
      code: 'SOURCE_FAILED',
      message: expect.stringMatching(/^cannot list events \(events\.k8s\.io\/v2\) at the cluster scope: 404 Not Found/),
    });
  });

  it('fails fast when the server is unreachable, naming its URL', async () => {
    const s = await startApiServer();
    const client = clientFor(s);
    await s.close();
    const lw = createListWatch({ client, path: '/api/v1/events', signal: stop.signal, ...FAST });
    await expect(lw.nextBatch(1)).rejects.toMatchObject({
      code: 'SOURCE_FAILED',
      message: `cannot list events (core/v1) at the cluster scope: cannot connect to ${s.url} — connection refused (ECONNREFUSED)`,
    });
  });

  it('retries the first list on transient errors (500, reset, 429)', async () => {
    const s = (server = await startApiServer());
    s.store.create('events', event('a'));
    s.faults.next({ verb: 'list' }, { type: 'http', status: 500 });
    s.faults.next({ verb: 'list' }, { type: 'reset' });
    s.faults.next({ verb: 'list' }, { type: 'http', status: 429, retryAfterSeconds: 0.01 });
    const { lw, got } = engine(s);
    await got.until((items) => items.length === 1);
    expect(lw.counters()).toMatchObject({ errors: 2, throttled: 1 });
  });

  it('ends when the signal aborts', async () => {
    const s = (server = await startApiServer());
    const { lw, got } = engine(s);
    await got.until(() => lw.state().watching);
    stop.abort();
    await got.finished;
    expect(got.error).toBeUndefined();
    expect(lw.state().watching).toBe(false);
    await s.stats.waitFor((st) => st.activeWatches === 0); // the watch request was dropped, not left to time out
  });
});

describe('streaming list (sendInitialEvents)', () => {
  it('syncs from the initial events and their end bookmark, then goes live on the same stream', async () => {
    const s = (server = await startApiServer());
    for (let i = 0; i < 5; i++) s.store.create('events', event(`e${i}`));
    const log = requestLog(s);
    const { lw, got } = engine(s, { sendInitialEvents: true });
    await got.until((items) => items.length === 1);
    expect(got.items[0]).toMatchObject({ kind: 'sync', reason: 'initial', resourceVersion: '5' });
    expect(lw.state()).toMatchObject({ established: true, failingSince: null }); // live once the initial events ended
    expect(ids(got.of('sync')[0]!.objects)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    s.store.create('events', event('live'));
    await got.until((items) => items.length === 2);
    expect(log.filter((r) => r.verb === 'list')).toEqual([]);
    expect(log[0]!.query).toMatchObject({ watch: 'true', sendInitialEvents: 'true', resourceVersionMatch: 'NotOlderThan', allowWatchBookmarks: 'true' });
    expect(log[0]!.query['resourceVersion']).toBeUndefined();
    expect(lw.counters().watches).toBe(1);
  });

  it('falls back to paginated lists when the server refuses it', async () => {
    const s = (server = await startApiServer());
    s.store.create('events', event('a'));
    s.faults.next({ verb: 'watch' }, { type: 'http', status: 422, message: 'sendInitialEvents is not supported' });
    const { lw, got } = engine(s, { sendInitialEvents: true });
    await got.until((items) => items.length === 1);
    expect(got.items[0]).toMatchObject({ kind: 'sync', reason: 'initial' });
    expect(lw.counters()).toMatchObject({ lists: 1, errors: 0 });
  });
});
