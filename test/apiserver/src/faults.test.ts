import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApiServer, type ApiServerDouble } from './server.js';
import { eventBody, openWatch, raw } from './test-utils.fixture.js';

let s: ApiServerDouble;
beforeEach(async () => {
  s = await startApiServer();
  for (let i = 0; i < 5; i++) s.store.create('events', eventBody(`e${i}`));
});
afterEach(async () => {
  await s.close();
});

const WATCH = '/api/v1/events?watch=true&resourceVersion=0';

describe('fault injection', () => {
  it('closeStream: ends a watch cleanly after N events', async () => {
    const f = s.faults.next({ verb: 'watch', resource: 'events' }, { type: 'closeStream', afterEvents: 2 });
    const w = await openWatch(s.url, WATCH);
    expect((await w.take(2)).map((l) => l.type)).toEqual(['ADDED', 'ADDED']);
    expect(await w.ended).toEqual({ kind: 'end' });
    expect(w.buffered).toBe(0);
    expect(f.hits).toBe(1);
    expect(f.remaining).toBe(0);
    expect(s.faults.pending).toBe(0);
    // The next watch is healthy again.
    const ok = await openWatch(s.url, WATCH);
    expect(await ok.take(5)).toHaveLength(5);
    ok.close();
    // On other verbs the connection is closed without an answer.
    s.faults.next({ verb: 'get' }, { type: 'closeStream' });
    await expect(raw(s.url, '/api/v1/namespaces/default/events/e0')).rejects.toMatchObject({ message: 'socket hang up' });
  });

  it('reset: destroys the socket abruptly mid-stream', async () => {
    s.faults.add({ verb: 'watch', fault: { type: 'reset', afterEvents: 3 } });
    const w = await openWatch(s.url, WATCH);
    expect(await w.take(3)).toHaveLength(3);
    const end = await w.ended;
    expect(end.kind).toBe('error');
    expect(w.buffered).toBe(0);
  });

  it('reset without afterEvents: the request gets no response at all', async () => {
    s.faults.next({ verb: 'list', resource: 'events' }, { type: 'reset' });
    await expect(raw(s.url, '/api/v1/events')).rejects.toMatchObject({ code: 'ECONNRESET' });
    await s.stats.waitFor((st) => st.count({ verb: 'list', code: 0 }) === 1);
    expect((await raw(s.url, '/api/v1/events')).status).toBe(200);
  });

  it('error410: an in-stream ERROR with a 410 Expired Status after N events', async () => {
    s.faults.next({ verb: 'watch' }, { type: 'error410', afterEvents: 1 });
    const w = await openWatch(s.url, WATCH);
    const [first, err] = await w.take(2);
    expect(first!.type).toBe('ADDED');
    expect(err).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', status: 'Failure' } });
    expect(await w.ended).toEqual({ kind: 'end' });
    // On a list it is an HTTP 410.
    s.faults.next({ verb: 'list' }, { type: 'error410' });
    const r = await raw(s.url, '/api/v1/events?resourceVersion=3');
    expect(r.status).toBe(410);
    expect(r.json()).toMatchObject({ reason: 'Expired', message: 'too old resource version: 3 (5)' });
  });

  it('http: 410, 429 with Retry-After, 500, 401 and 403 Status answers', async () => {
    s.faults.next({ verb: 'list' }, { type: 'http', status: 410 });
    s.faults.next({ verb: 'list' }, { type: 'http', status: 429, retryAfterSeconds: 3 });
    s.faults.next({ verb: 'list' }, { type: 'http', status: 500 });
    s.faults.next({ verb: 'list' }, { type: 'http', status: 401 });
    s.faults.next({ verb: 'list' }, { type: 'http', status: 403 });
    const gone = await raw(s.url, '/api/v1/events');
    expect([gone.status, gone.json()['reason']]).toEqual([410, 'Expired']);
    const tmr = await raw(s.url, '/api/v1/events');
    expect(tmr.status).toBe(429);
    expect(tmr.headers['retry-after']).toBe('3');
    expect(tmr.json()).toMatchObject({ reason: 'TooManyRequests', message: 'Too many requests, please try again later.', details: { retryAfterSeconds: 3 } });
    const ise = await raw(s.url, '/api/v1/events');
    expect(ise.json()).toMatchObject({ code: 500, reason: 'InternalError', message: 'Internal error occurred: injected fault' });
    expect((await raw(s.url, '/api/v1/events')).json()).toMatchObject({ code: 401, reason: 'Unauthorized', message: 'Unauthorized' });
    expect((await raw(s.url, '/api/v1/events')).json()).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message: 'events is forbidden: User "system:anonymous" cannot list resource "events" in API group "" at the cluster scope',
    });
    expect((await raw(s.url, '/api/v1/events')).status).toBe(200);
    expect(s.stats.count({ verb: 'list', resource: 'events' })).toBe(6);
    expect(s.stats.count({ verb: 'list', code: 429 })).toBe(1);
  });

  it('delay: answers normally after the delay; combines with a following fault', async () => {
    s.faults.next({ verb: 'get' }, { type: 'delay', ms: 120 });
    const t0 = Date.now();
    const r = await raw(s.url, '/api/v1/namespaces/default/events/e1');
    expect(r.status).toBe(200);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(115);
    s.faults.next({ verb: 'get' }, { type: 'delay', ms: 50 });
    s.faults.next({ verb: 'get' }, { type: 'http', status: 500 });
    expect((await raw(s.url, '/api/v1/namespaces/default/events/e1')).status).toBe(500);
  });

  it('empty200: a watch answered 200 with an empty body', async () => {
    s.faults.next({ verb: 'watch' }, { type: 'empty200' });
    const w = await openWatch(s.url, WATCH);
    expect(w.status).toBe(200);
    expect(w.headers['content-length']).toBe('0');
    expect(await w.ended).toEqual({ kind: 'end' });
    expect(w.bytes).toBe(0);
  });

  it('stall: accepts and sends nothing until the client gives up; or goes silent after N events', async () => {
    const f = s.faults.next({ verb: 'list' }, { type: 'stall' });
    let settled = false;
    const pending = raw(s.url, '/api/v1/events').finally(() => {
      settled = true;
    });
    await f.applied();
    // The server stays responsive while that request hangs.
    expect((await raw(s.url, '/api/v1/pods')).status).toBe(200);
    expect(settled).toBe(false);
    await s.close();
    await expect(pending).rejects.toMatchObject({ code: 'ECONNRESET' });
    await s.stats.waitFor((st) => st.count({ verb: 'list', code: 0 }) === 1);

    s = await startApiServer();
    s.store.create('events', eventBody('a'));
    s.store.create('events', eventBody('b'));
    s.faults.next({ verb: 'watch' }, { type: 'stall', afterEvents: 1 });
    const w = await openWatch(s.url, WATCH);
    expect((await w.next()).object.metadata?.['name']).toBe('a');
    s.store.create('events', eventBody('c'));
    // Prove silence without sleeping: a marker watch opened after the stall sees c, the stalled one never does.
    const marker = await openWatch(s.url, '/api/v1/events?watch=true&resourceVersion=2');
    expect((await marker.next()).object.metadata?.['name']).toBe('c');
    expect(w.buffered).toBe(0);
    expect(s.stats.activeWatches).toBe(2);
    marker.close();
    w.close();
  });

  it('matches on namespace, name and times, and is awaitable', async () => {
    const f = s.faults.add({ verb: 'get', resource: 'events', namespace: 'default', name: 'e2', times: 2, fault: { type: 'http', status: 500 } });
    expect((await raw(s.url, '/api/v1/namespaces/default/events/e1')).status).toBe(200);
    expect((await raw(s.url, '/api/v1/namespaces/default/events/e2')).status).toBe(500);
    const applied = f.applied(2);
    expect((await raw(s.url, '/api/v1/namespaces/default/events/e2')).status).toBe(500);
    await applied;
    expect((await raw(s.url, '/api/v1/namespaces/default/events/e2')).status).toBe(200);
    const forever = s.faults.add({ verb: 'list', resource: 'pods', times: Infinity, fault: { type: 'http', status: 503 } });
    for (let i = 0; i < 3; i++) expect((await raw(s.url, '/api/v1/pods')).status).toBe(503);
    forever.cancel();
    expect((await raw(s.url, '/api/v1/pods')).status).toBe(200);
  });
});
