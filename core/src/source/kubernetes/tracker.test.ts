import { describe, expect, it } from 'vitest';
import { EventTracker, lastOccurrence, occurrenceCount, occurrenceTimes } from './tracker.js';
import type { Emission } from './tracker.js';
import type { KubeObject, ListWatchItem } from '../../kube/listwatch.js';

function ev(uid: string, rv: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { uid, resourceVersion: rv, name: uid, namespace: 'default' },
    reason: 'BackOff',
    count: 1,
    lastTimestamp: '2026-01-01T00:00:00Z',
    ...extra,
  };
}

function run(t: EventTracker, ...items: ListWatchItem[]): string[] {
  const out: Emission[] = [];
  for (const item of items) t.apply(item, out);
  return out.map((e) => `${e.type} ${String((e.object['metadata'] as { uid: string }).uid)}:${String((e.object['metadata'] as { resourceVersion: string }).resourceVersion)}`);
}

const sync = (reason: 'initial' | 'relist', ...objects: KubeObject[]): ListWatchItem => ({ kind: 'sync', objects, resourceVersion: '100', reason });
const watch = (type: 'ADDED' | 'MODIFIED' | 'DELETED', object: KubeObject): ListWatchItem => ({ kind: 'event', type, object });

describe('EventTracker', () => {
  it('emits the initial list as SYNC and ADDED events', () => {
    const t = new EventTracker();
    expect(run(t, sync('initial', ev('a', '1'), ev('b', '2')), watch('ADDED', ev('c', '3')))).toEqual(['SYNC a:1', 'SYNC b:2', 'ADDED c:3']);
    expect(t.size).toBe(3);
  });

  it('emits a MODIFIED only when the event recurred', () => {
    const t = new EventTracker();
    const out = run(
      t,
      watch('ADDED', ev('a', '1')),
      watch('MODIFIED', ev('a', '2', { count: 2, lastTimestamp: '2026-01-01T00:01:00Z' })), // recurrence
      watch('MODIFIED', ev('a', '3', { count: 2, lastTimestamp: '2026-01-01T00:01:00Z', metadata: { uid: 'a', resourceVersion: '3', annotations: { x: 'y' } } })), // metadata only
      watch('MODIFIED', ev('a', '4', { count: 2, lastTimestamp: '2026-01-01T00:02:00Z' })), // lastTimestamp moved
      watch('MODIFIED', ev('a', '5', { count: 3, lastTimestamp: '2026-01-01T00:02:00Z' })), // count grew
    );
    expect(out).toEqual(['ADDED a:1', 'MODIFIED a:2', 'MODIFIED a:4', 'MODIFIED a:5']);
    expect(t.counters).toMatchObject({ recurrences: 3, unchanged: 1 });
  });

  it('treats events.k8s.io series growth as a recurrence', () => {
    const t = new EventTracker();
    const base = { metadata: { uid: 'n', resourceVersion: '1' }, note: 'x', eventTime: '2026-01-01T00:00:00.000000Z' };
    const out = run(
      t,
      watch('ADDED', base),
      watch('MODIFIED', { ...base, metadata: { uid: 'n', resourceVersion: '2' }, series: { count: 2, lastObservedTime: '2026-01-01T00:00:30.000000Z' } }),
      watch('MODIFIED', { ...base, metadata: { uid: 'n', resourceVersion: '3' }, series: { count: 2, lastObservedTime: '2026-01-01T00:00:30.000000Z' }, note: 'edited' }),
      watch('MODIFIED', { ...base, metadata: { uid: 'n', resourceVersion: '4' }, series: { count: 3, lastObservedTime: '2026-01-01T00:01:00.000000Z' } }),
    );
    expect(out).toEqual(['ADDED n:1', 'MODIFIED n:2', 'MODIFIED n:4']);
  });

  it('past maxEntries evicts the least recently changed; a re-list does not emit an evicted version again, a recurrence of one is emitted', () => {
    const t = new EventTracker({ maxEntries: 3 });
    const first = [ev('a', '1'), ev('b', '2'), ev('c', '3'), ev('d', '4'), ev('e', '5')];
    expect(run(t, sync('initial', ...first))).toHaveLength(5);
    expect(t.size).toBe(3);
    expect(t.counters.evicted).toBe(2); // a and b
    // c changes (metadata only): it becomes the most recent, so f evicts d, not c.
    expect(run(t, watch('MODIFIED', ev('c', '101', { metadata: { uid: 'c', resourceVersion: '101', annotations: { x: 'y' } } })), watch('ADDED', ev('f', '102')))).toEqual([
      'ADDED f:102',
    ]);
    expect(t.counters.evicted).toBe(3);
    // A re-list of the same versions, plus a new event: only the new one is emitted.
    const relist: ListWatchItem = {
      kind: 'sync',
      objects: [...first.slice(0, 2), ev('c', '101'), first[3]!, first[4]!, ev('f', '102'), ev('g', '103')],
      resourceVersion: '103',
      reason: 'relist',
    };
    expect(run(t, relist)).toEqual(['ADDED g:103']);
    // An evicted event that recurs is emitted (it cannot tell a recurrence from a metadata change).
    expect(run(t, watch('MODIFIED', ev('a', '104', { count: 2 })))).toEqual(['MODIFIED a:104']);
    expect(t.size).toBe(3);
  });

  it('never emits the same version twice', () => {
    const t = new EventTracker();
    expect(run(t, watch('ADDED', ev('a', '1')), watch('ADDED', ev('a', '1')), watch('MODIFIED', ev('a', '1', { count: 9 })))).toEqual(['ADDED a:1']);
  });

  it('forgets DELETED events and emits them only with emitDeleted', () => {
    const quiet = new EventTracker();
    expect(run(quiet, watch('ADDED', ev('a', '1')), watch('DELETED', ev('a', '2')))).toEqual(['ADDED a:1']);
    expect(quiet.size).toBe(0);
    expect(quiet.counters.deleted).toBe(1);
    const loud = new EventTracker({ emitDeleted: true });
    expect(run(loud, watch('ADDED', ev('a', '1')), watch('DELETED', ev('a', '2')))).toEqual(['ADDED a:1', 'DELETED a:2']);
  });

  it('diffs a re-list: new uids and recurrences only; vanished uids are forgotten', () => {
    const t = new EventTracker();
    run(t, sync('initial', ev('a', '1'), ev('b', '2'), ev('c', '3')));
    const out = run(
      t,
      sync(
        'relist',
        ev('a', '1'), // unchanged
        ev('b', '7', { metadata: { uid: 'b', resourceVersion: '7', labels: { touched: 'yes' } } }), // metadata only
        ev('d', '8'), // new
        ev('c', '9', { count: 4 }), // recurred
      ),
    );
    expect(out).toEqual(['ADDED d:8', 'MODIFIED c:9']);
    expect(t.size).toBe(4); // a, b, c, d
    expect(run(t, sync('relist', ev('d', '8')))).toEqual([]);
    expect(t.size).toBe(1);
    expect(t.counters.vanished).toBe(3);
  });

  it('reports events that vanished in a re-list as DELETED with emitDeleted', () => {
    const t = new EventTracker({ emitDeleted: true });
    run(t, sync('initial', ev('a', '1'), ev('b', '2')));
    expect(run(t, sync('relist', ev('a', '1')))).toEqual(['DELETED b:2']);
  });

  it('applies maxEventAge to the initial list only, still tracking the old events', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const t = new EventTracker({ maxEventAgeMs: 3_600_000, now: () => now });
    const old = ev('old', '1', { lastTimestamp: '2026-01-01T10:00:00Z' });
    const fresh = ev('fresh', '2', { lastTimestamp: '2026-01-01T11:30:00Z' });
    expect(run(t, sync('initial', old, fresh))).toEqual(['SYNC fresh:2']);
    expect(t.counters.tooOld).toBe(1);
    // Later: an old-looking event that arrives live is delivered; a metadata touch of the skipped one is not.
    const lateOld = ev('late', '3', { lastTimestamp: '2025-12-31T00:00:00Z' });
    expect(run(t, watch('ADDED', lateOld), watch('MODIFIED', ev('old', '4', { lastTimestamp: '2026-01-01T10:00:00Z' })))).toEqual(['ADDED late:3']);
    // A real recurrence of the skipped one is.
    expect(run(t, watch('MODIFIED', ev('old', '5', { count: 2, lastTimestamp: '2026-01-01T11:59:00Z' })))).toEqual(['MODIFIED old:5']);
  });

  it('reads counts and times from both APIs', () => {
    expect(occurrenceCount({ count: 3, series: { count: 5 } })).toBe(5);
    expect(occurrenceCount({ deprecatedCount: 2 })).toBe(2);
    expect(occurrenceCount({})).toBe(0);
    expect(lastOccurrence({ lastTimestamp: '2026-01-01T00:00:00Z', series: { lastObservedTime: '2026-01-01T00:05:00.000000Z' } })).toBe(Date.parse('2026-01-01T00:05:00Z'));
    expect(lastOccurrence({ metadata: { creationTimestamp: '2026-01-01T00:00:00Z' } })).toBe(Date.parse('2026-01-01T00:00:00Z'));
    // An occurrence time wins over a later creation time (an event object re-created from an old one).
    expect(lastOccurrence({ lastTimestamp: '2026-01-01T00:00:00Z', metadata: { creationTimestamp: '2026-06-01T00:00:00Z' } })).toBe(Date.parse('2026-01-01T00:00:00Z'));
    expect(lastOccurrence({ lastTimestamp: 'garbage' })).toBeNull();
  });

  it('reads a zone-less occurrence time as UTC whatever the host time zone (the max-age cut-off)', () => {
    const tz = process.env['TZ'];
    process.env['TZ'] = 'Asia/Tokyo'; // Node applies a TZ assigned at run time
    try {
      expect(lastOccurrence({ lastTimestamp: '2026-01-01T00:00:00' })).toBe(Date.UTC(2026, 0, 1));
      expect(lastOccurrence({ eventTime: '2026-01-01T00:00:00.123456' })).toBe(Date.UTC(2026, 0, 1, 0, 0, 0, 123));
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
  });
});

describe('occurrenceTimes', () => {
  it('is the one timestamp an event usually carries, and tells every combination apart', () => {
    const at = '2026-01-01T00:00:00Z';
    const later = '2026-01-01T00:00:05Z';
    expect(occurrenceTimes({ lastTimestamp: at })).toBe(at);
    const forms = [
      {},
      { lastTimestamp: at },
      { lastTimestamp: later },
      { deprecatedLastTimestamp: at },
      { series: { lastObservedTime: at } },
      { lastTimestamp: at, series: { lastObservedTime: later } },
      { deprecatedLastTimestamp: at, series: { lastObservedTime: later } },
      { lastTimestamp: at, deprecatedLastTimestamp: later },
    ].map((o) => occurrenceTimes(o as KubeObject));
    expect(new Set(forms).size).toBe(forms.length);
  });
});
