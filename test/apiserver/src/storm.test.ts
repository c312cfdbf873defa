import { afterEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from './server.js';
import { eventBody, openWatch, raw, type WatchReader } from './test-utils.fixture.js';

let s: ApiServerDouble;
afterEach(async () => {
  await s.close();
});

async function start(events = 5, bookmarkIntervalMs = 1000): Promise<ApiServerDouble> {
  s = await startApiServer({ bookmarkIntervalMs });
  for (let i = 0; i < events; i++) s.store.create('events', eventBody(`e${i}`));
  return s;
}

const WATCH = '/api/v1/events?watch=true&allowWatchBookmarks=true&resourceVersion=';
const watchFrom = (rv: number): Promise<WatchReader> => openWatch(s.url, `${WATCH}${rv}`);
const name = (l: { object: { metadata?: Record<string, unknown> } }): string => String(l.object.metadata?.['name']);

describe('fault storms', () => {
  it('faults arrive on a timer with no request in flight, stay pending together, and apply in order to whichever request comes next', async () => {
    await start(5);
    const storm = s.faults.schedule([
      { atMs: 0, resource: 'events', fault: { type: 'http', status: 500 } },
      { atMs: 0, resource: 'events', verb: 'list', page: 'continue', fault: { type: 'http', status: 503 } },
      { atMs: 5, resource: 'events', fault: { type: 'http', status: 429, retryAfterSeconds: 2 } },
    ]);
    await storm.until((st) => st.arrived === 3);
    expect(storm.pending).toBe(3);
    expect(s.stats.count()).toBe(0);

    expect((await raw(s.url, '/api/v1/events?limit=2')).status).toBe(500); // the first pending one, on a list
    const throttled = await raw(s.url, '/api/v1/events?watch=true&resourceVersion=5'); // the next: a watch
    expect([throttled.status, throttled.headers['retry-after']]).toEqual([429, '2']);
    const first = await raw(s.url, '/api/v1/events?limit=2'); // a first page passes the continue-only fault
    expect(first.status).toBe(200);
    const cont = first.json<{ metadata: { continue: string } }>().metadata.continue;
    expect((await raw(s.url, `/api/v1/events?limit=2&continue=${cont}`)).status).toBe(503);
    expect((await raw(s.url, `/api/v1/events?limit=2&continue=${cont}`)).status).toBe(200);
    expect(storm.pending).toBe(0);
    expect(storm.applied.map((a) => [a.fault.type === 'http' ? a.fault.status : a.fault.type, a.on, a.continuePage])).toEqual([
      [500, 'list', false],
      [429, 'watch', false],
      [503, 'list', true],
    ]);
    storm.end();
  });

  it('a live fault acts on the open watch at once; with no watch open it waits for the next one', async () => {
    await start(2);
    const w = await watchFrom(2);
    const storm = s.faults.schedule([{ atMs: 0, verb: 'watch', live: true, fault: { type: 'error410' } }]);
    expect(await w.next()).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired' } });
    expect(await w.ended).toEqual({ kind: 'end' });
    expect(storm.applied).toMatchObject([{ on: 'open watch' }]);
    await s.stats.waitFor((st) => st.activeWatches === 0);

    const later = s.faults.schedule([{ atMs: 0, verb: 'watch', live: true, fault: { type: 'reset', afterEvents: 1 } }]);
    await later.until((st) => st.arrived === 1);
    expect(later.pending).toBe(1);
    s.store.create('events', eventBody('x'));
    const next = await watchFrom(2);
    expect(name(await next.next())).toBe('x');
    expect((await next.ended).kind).toBe('error');
    expect(later.applied).toMatchObject([{ on: 'watch' }]);
  });

  it('a silent stream sends neither events nor bookmarks until the storm ends, then catches up and streams again', async () => {
    await start(1, 10);
    const w = await watchFrom(1);
    expect((await w.next()).type).toBe('BOOKMARK');
    const storm = s.faults.schedule([{ atMs: 0, verb: 'watch', live: true, fault: { type: 'silent' } }]);
    await storm.until((st) => st.applied.length === 1);
    const bytes = w.bytes;
    s.store.create('events', eventBody('held')); // rv 2
    // Without sleeping: a watch opened after the silence sees the event and two bookmark intervals pass.
    const marker = await watchFrom(1);
    expect(name(await marker.next())).toBe('held');
    expect((await marker.take(2)).map((l) => l.type)).toEqual(['BOOKMARK', 'BOOKMARK']);
    expect(w.bytes).toBe(bytes);
    expect(s.stats.activeWatches).toBe(2);
    storm.end();
    await storm.healthy;
    const resumed = await w.next();
    expect([resumed.type, name(resumed)]).toEqual(['ADDED', 'held']);
    s.store.create('events', eventBody('live'));
    let line = await w.next();
    while (line.type === 'BOOKMARK') line = await w.next();
    expect(name(line)).toBe('live');
    marker.close();
    w.close();
  });

  it('a silence with a duration ends by itself; a silent watch request is answered 200 and then says nothing', async () => {
    await start(3, 10);
    const storm = s.faults.schedule([{ atMs: 0, verb: 'watch', fault: { type: 'silent', afterEvents: 1, ms: 150 } }]);
    await storm.until((st) => st.arrived === 1);
    const w = await watchFrom(1);
    expect(w.status).toBe(200);
    const t0 = performance.now();
    expect(name(await w.next())).toBe('e1');
    const after = await w.next(); // nothing (not even a bookmark) until the silence ends
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect([after.type, name(after)]).toEqual(['ADDED', 'e2']);
    w.close();
    storm.end();
  });

  it('a silence that outlived its history ends with an in-stream 410; one in the middle of the initial state sends the rest', async () => {
    await start(4);
    const storm = s.faults.schedule([
      { atMs: 0, verb: 'watch', fault: { type: 'silent', afterEvents: 1 } },
      { atMs: 0, verb: 'watch', fault: { type: 'silent', afterEvents: 2 } },
    ]);
    await storm.until((st) => st.arrived === 2);
    const compacted = await watchFrom(1);
    expect(name(await compacted.next())).toBe('e1');
    const initial = await openWatch(s.url, '/api/v1/events?watch=true'); // synthetic ADDED for e0…e3
    expect((await initial.take(2)).map(name)).toEqual(['e0', 'e1']);
    s.compact(); // history up to rv 4: the first silent watch stopped at 2, the second (state at 4) has all it needs
    s.store.create('events', eventBody('e4'));
    storm.end();
    expect(await compacted.next()).toMatchObject({ type: 'ERROR', object: { code: 410, reason: 'Expired', message: 'too old resource version: 2 (4)' } });
    expect(await compacted.ended).toEqual({ kind: 'end' });
    expect((await initial.take(3)).map(name)).toEqual(['e2', 'e3', 'e4']);
    initial.close();
  });

  it('a silent list gets no answer until the storm ends, then the normal one', async () => {
    await start(2);
    const storm = s.faults.schedule([{ atMs: 0, verb: 'list', fault: { type: 'silent' } }]);
    await storm.until((st) => st.arrived === 1);
    let answered = false;
    const pending = raw(s.url, '/api/v1/events').then((r) => {
      answered = true;
      return r;
    });
    await storm.until((st) => st.applied.length === 1);
    expect((await raw(s.url, '/api/v1/pods')).status).toBe(200);
    expect(answered).toBe(false);
    storm.end();
    expect((await pending).status).toBe(200);
  });

  it('at healthyAtMs pending faults are dropped and faults waiting on open streams cancelled', async () => {
    await start(1);
    const storm = s.faults.schedule(
      [
        { atMs: 0, verb: 'list', fault: { type: 'http', status: 500 } },
        { atMs: 0, verb: 'watch', fault: { type: 'reset', afterEvents: 2 } },
      ],
      { healthyAtMs: 30 },
    );
    await storm.until((st) => st.arrived === 2);
    const open = await watchFrom(1); // takes the reset-after-2 fault
    expect(storm.pending).toBe(1);
    const healthyAt = await storm.healthy;
    expect(healthyAt - storm.startedAt).toBeGreaterThanOrEqual(29);
    expect(storm.ended).toBe(true);
    expect(storm.pending).toBe(0);
    expect((await raw(s.url, '/api/v1/events')).status).toBe(200);
    for (let i = 0; i < 3; i++) s.store.create('events', eventBody(`after${i}`));
    expect((await open.take(3)).map(name)).toEqual(['after0', 'after1', 'after2']); // no reset after 2
    expect(s.stats.activeWatches).toBe(1);
    open.close();
  });

  it('ends with the server or faults.clear(), leaving no timer behind', async () => {
    await start(0);
    const cleared = s.faults.schedule([{ atMs: 60_000, fault: { type: 'http', status: 500 } }]);
    s.faults.clear();
    expect(cleared.ended).toBe(true);
    const storm = s.faults.schedule([{ atMs: 60_000, fault: { type: 'http', status: 500 } }], { healthyAtMs: 120_000 });
    await s.close();
    expect(storm.ended).toBe(true);
    expect(storm.arrived).toBe(0);
  });

  it('logs when each watch stream opened and closed', async () => {
    await start(1);
    const before = performance.now();
    const w = await watchFrom(1);
    expect(s.stats.watchLog).toHaveLength(1);
    expect(s.stats.watchLog[0]!.openedAt).toBeGreaterThanOrEqual(before);
    expect(s.stats.watchLog[0]!.closedAt).toBeNull();
    w.close();
    await s.stats.waitFor((st) => st.watchLog[0]!.closedAt !== null);
    expect(s.stats.watchLog[0]!.closedAt).toBeGreaterThanOrEqual(s.stats.watchLog[0]!.openedAt);
  });
});

describe('faults that stay', () => {
  it('a stall after N events sends no bookmarks either', async () => {
    await start(2, 10);
    s.faults.next({ verb: 'watch' }, { type: 'stall', afterEvents: 1 });
    const w = await watchFrom(2);
    s.store.create('events', eventBody('live')); // after bookmarks started
    let line = await w.next();
    while (line.type === 'BOOKMARK') line = await w.next();
    expect(name(line)).toBe('live');
    const bytes = w.bytes;
    const marker = await watchFrom(3);
    expect((await marker.take(2)).map((l) => l.type)).toEqual(['BOOKMARK', 'BOOKMARK']);
    expect(w.bytes).toBe(bytes);
    marker.close();
    w.close();
  });

  it('every 429 carries Retry-After, 1 s unless given', async () => {
    await start(0);
    s.faults.next({ verb: 'list' }, { type: 'http', status: 429 });
    const r = await raw(s.url, '/api/v1/events');
    expect([r.status, r.headers['retry-after']]).toEqual([429, '1']);
    expect(r.json()).toMatchObject({ details: { retryAfterSeconds: 1 } });
  });
});
