/**
 * Soak: 20,000 simulated event writes (creations and recurrences) while at least 50 faults of
 * every kind are injected into the watch (clean close, reset, in-stream ERROR 410, HTTP 410,
 * 429 with Retry-After, 500, slow answer, empty 200, stall) and into the re-lists they cause.
 *
 * Every produced `uid:resourceVersion` must arrive exactly once. The only versions allowed to
 * be missing are those a 410 made unrecoverable — superseded by a later version of the same
 * event inside a reported gap window — and each such window has its marker record. At the
 * end the engine is still watching.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClusterSimulation, startApiServer, type ApiServerDouble, type Fault } from '../../../../test/apiserver/src/index.js';
import { createKubernetesSource } from './events-source.js';
import { clientFor, idOf, sourceConfig, SourceCollector } from './harness.fixture.js';

let server: ApiServerDouble | undefined;
const stop = new AbortController();
afterEach(async () => {
  stop.abort();
  await server?.close();
});

const TOTAL = 20_000;
const ROUNDS = 50;

/** Watch faults, one of each per round. */
const WATCH_FAULTS: ((round: number) => Fault)[] = [
  (r) => ({ type: 'closeStream', afterEvents: 1 + (r % 7) }),
  (r) => (r % 2 === 0 ? { type: 'reset', afterEvents: 1 + (r % 5) } : { type: 'reset' }),
  (r) => ({ type: 'error410', afterEvents: r % 4 }),
  () => ({ type: 'http', status: 410 }),
  () => ({ type: 'http', status: 429, retryAfterSeconds: 0.01 }),
  () => ({ type: 'http', status: 500 }),
  (r) => ({ type: 'delay', ms: 5 + (r % 4) * 5 }),
  () => ({ type: 'empty200' }),
  (r) => (r % 2 === 0 ? { type: 'stall', afterEvents: 2 } : { type: 'stall' }),
];

/** Faults for the re-list that a 410 triggers. */
const LIST_FAULTS: ((round: number) => Fault)[] = [
  () => ({ type: 'http', status: 500 }),
  () => ({ type: 'http', status: 429, retryAfterSeconds: 0.01 }),
  () => ({ type: 'reset' }),
  () => ({ type: 'closeStream' }),
  (r) => ({ type: 'delay', ms: 5 + (r % 3) * 5 }),
  () => ({ type: 'empty200' }),
  () => ({ type: 'stall' }),
];

describe('soak', () => {
  it(`delivers ${TOTAL} event writes exactly once through ${ROUNDS * WATCH_FAULTS.length} watch faults`, async () => {
    const s = (server = await startApiServer({ bookmarkIntervalMs: 15 }));
    const sim = createClusterSimulation(s.store, { seed: 11 });
    sim.emit(200); // existing events: the initial list
    const startRv = s.store.resourceVersion;
    const source = createKubernetesSource(sourceConfig({ pageSize: 1000, watchTimeoutSeconds: 5 }), {
      client: clientFor(s),
      clusterName: 'soak',
      // Empty answers are injected as often as the rest; the re-list after repeated empties has its own test.
      listWatch: { backoff: { initialMs: 1, maxMs: 10 }, idleTimeoutMs: 80, requestTimeoutMs: 200, relistAfterEmpty: 1000 },
    });
    const got = new SourceCollector(source, stop.signal);
    await got.until(() => source.state().synced && source.state().watching, 'initial sync');

    const applied: Record<string, number> = {};
    const count = (key: string): void => void (applied[key] = (applied[key] ?? 0) + 1);
    const perFault = Math.floor((TOTAL - 200) / (ROUNDS * WATCH_FAULTS.length));
    // Event TTL, as on a real cluster: events from older rounds are deleted (DELETED on the watch).
    const created: { round: number; namespace: string; name: string }[] = [];
    const emit = (n: number, round: number): void => {
      for (const t of sim.emit(n)) {
        if (t.type !== 'ADDED') continue;
        const meta = t.event.metadata as { namespace: string; name: string };
        created.push({ round, namespace: meta.namespace, name: meta.name });
      }
    };
    let listRound = 0;
    const started = performance.now();
    for (let round = 0; round < ROUNDS; round++) {
      for (const make of WATCH_FAULTS) {
        const fault = make(round);
        const key = `watch ${fault.type}${fault.type === 'http' ? ` ${fault.status}` : ''}`;
        const relist = fault.type === 'error410' || (fault.type === 'http' && fault.status === 410);
        if (relist) {
          // A 410 loses the versions superseded before the re-list, by definition (see the gap
          // test). Here the engine first catches up, and the writes come after the re-list.
          await got.until(() => Number(source.state().resourceVersion) >= s.store.resourceVersion, 'caught up');
        }
        const handle = s.faults.next({ verb: 'watch', resource: 'events' }, fault);
        const listHandle = relist ? s.faults.next({ verb: 'list', resource: 'events' }, LIST_FAULTS[listRound++ % LIST_FAULTS.length]!(round)) : null;
        s.closeWatches(); // end the current watch cleanly: its reconnect takes the fault
        await handle.applied();
        const watches = source.counters().watches;
        if (listHandle) {
          const before = fault.type === 'error410' ? (fault.afterEvents ?? 0) : 0;
          emit(before, round); // an in-stream 410 comes after `before` events
          await listHandle.applied();
          count('list fault');
          await got.until(() => source.counters().watches > watches, `watch after the re-list (${key})`);
          emit(perFault - before, round);
        } else {
          emit(perFault, round);
          // The engine dealt with the fault once it opens its next watch (a slow one: once it is answered).
          if (fault.type === 'delay') await got.until(() => source.state().watching, 'slow watch answered');
          else await got.until(() => source.counters().watches > watches, `recovery from ${key}`);
        }
        count(key);
      }
      while (created.length > 0 && created[0]!.round <= round - 5) {
        const old = created.shift()!;
        s.store.delete('events', { namespace: old.namespace, name: old.name });
      }
    }
    emit(TOTAL - sim.produced.length, ROUNDS);
    const faultsMs = performance.now() - started;
    const produced = sim.produced;

    // Versions superseded before the initial list were never observable; every other one must arrive.
    const versions = new Map<string, number[]>();
    for (const id of produced) {
      const [uid, rv] = id.split(':') as [string, string];
      versions.set(uid, [...(versions.get(uid) ?? []), Number(rv)]);
    }
    const expected = produced.filter((id) => {
      const [uid, rv] = id.split(':') as [string, string];
      return Number(rv) > startRv || (versions.get(uid) ?? []).every((other) => other <= Number(rv) || other > startRv);
    });
    const pending = new Set(expected);
    let cursor = 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      got.until(() => {
        for (; cursor < got.items.length; cursor++) pending.delete(idOf(got.items[cursor]!.object));
        return pending.size === 0;
      }, 'all delivered'),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 15_000))), // a deadline, so a failure shows the diff
    ]);
    clearTimeout(timer);

    const ids = got.ids().filter((id) => !id.startsWith('k8stream-gap-'));
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    const duplicates = [...counts].filter(([, n]) => n > 1).map(([id]) => id);
    const producedSet = new Set(produced);
    const unknown = ids.filter((id) => !producedSet.has(id));

    expect(produced.length).toBe(TOTAL);
    expect(duplicates).toEqual([]);
    expect(unknown).toEqual([]);
    expect(expected.filter((id) => !counts.has(id))).toEqual([]);
    expect(expected.length).toBeGreaterThan(TOTAL - 200);

    for (const make of WATCH_FAULTS) {
      const f = make(0);
      expect(applied[`watch ${f.type}${f.type === 'http' ? ` ${f.status}` : ''}`]).toBeGreaterThanOrEqual(ROUNDS);
    }
    expect(applied['list fault']).toBeGreaterThanOrEqual(ROUNDS);
    const c = source.counters();
    const markers = got.items.filter((i) => String((i.object['metadata'] as { uid?: unknown }).uid).startsWith('k8stream-gap-'));
    expect(c.gaps).toBe(markers.length);
    expect(c.gaps).toBeGreaterThanOrEqual(ROUNDS * 2);
    expect(c.gaps410).toBeGreaterThanOrEqual(ROUNDS * 2);
    expect(c.throttled).toBeGreaterThanOrEqual(ROUNDS);
    expect(c.stalls).toBeGreaterThanOrEqual(ROUNDS);
    expect(c.emptyResponses).toBeGreaterThanOrEqual(ROUNDS);
    expect(source.state().watching).toBe(true);
    expect(source.state().synced).toBe(true);
    expect(got.error).toBeUndefined();
    expect(c.deleted).toBeGreaterThan(1000);
    console.log(`soak: ${produced.length} writes, ${ids.length} delivered once each, ${c.gaps} gap markers, faults phase ${Math.round(faultsMs)}ms`, applied, c);
  }, 60_000);
});
