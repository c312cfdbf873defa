import { describe, expect, it } from 'vitest';
import { TrackedEvents } from './tracked-events.js';
import { occurrenceKey } from './tracker.js';

const v = (rv: number | string, count = 1, last = 0) => ({ rv, count, last });

describe('TrackedEvents', () => {
  it('keeps a version per uid, text resourceVersions included, past its initial capacity', () => {
    const t = new TrackedEvents(false);
    for (let i = 0; i < 5000; i++) t.set(`u${i}`, v(i, i % 7, i * 10), {});
    t.set('opaque', v('rv-abc', 2, 5), {});
    expect(t.size).toBe(5001);
    expect(t.get('u4321')).toEqual(v(4321, 4321 % 7, 43210));
    expect(t.get('opaque')).toEqual(v('rv-abc', 2, 5));
    t.set('opaque', v(9, 3, 6), {});
    expect(t.get('opaque')).toEqual(v(9, 3, 6));
    expect(t.get('missing')).toBeUndefined();
  });

  it('reuses the slots of deleted uids without mixing their versions', () => {
    const t = new TrackedEvents(true);
    const a = { name: 'a' };
    t.set('a', v('text-a'), a);
    t.delete('a');
    expect(t.has('a')).toBe(false);
    t.set('b', v(2), { name: 'b' });
    expect(t.get('b')).toEqual(v(2));
    expect(t.size).toBe(1);
  });

  it('forgets what the current list did not see, with the objects it kept', () => {
    const t = new TrackedEvents(true);
    for (const uid of ['a', 'b', 'c', 'd']) t.set(uid, v(1), { uid });
    t.beginList();
    t.markSeen('a');
    t.set('c', v(2), { uid: 'c2' });
    t.set('e', v(3), { uid: 'e' });
    const forgotten: unknown[] = [];
    t.forgetUnseen((uid, object) => forgotten.push([uid, object]));
    expect(forgotten).toEqual([
      ['b', { uid: 'b' }],
      ['d', { uid: 'd' }],
    ]);
    expect(['a', 'c', 'e'].every((u) => t.has(u))).toBe(true);
    expect(t.size).toBe(3);
  });

  it('past maxEntries evicts the entry changed least recently, and counts it', () => {
    const t = new TrackedEvents(true, 3);
    for (const uid of ['a', 'b', 'c']) t.set(uid, v(1), { uid });
    t.set('a', v(2), { uid: 'a2' }); // a is now the most recent
    t.set('d', v(3), { uid: 'd' }); // evicts b
    t.delete('c');
    t.set('e', v(4), { uid: 'e' }); // room again: nothing evicted
    t.set('f', v(5), { uid: 'f' }); // evicts a
    expect(['b', 'c', 'a'].map((u) => t.has(u))).toEqual([false, false, false]);
    expect(['d', 'e', 'f'].every((u) => t.has(u))).toBe(true);
    expect(t.evicted).toBe(2);
    expect(t.size).toBe(3);
    t.beginList();
    const forgotten: unknown[] = [];
    t.forgetUnseen((uid, object) => forgotten.push([uid, object]));
    expect(forgotten).toEqual([
      ['d', { uid: 'd' }],
      ['e', { uid: 'e' }],
      ['f', { uid: 'f' }],
    ]);
    t.set('g', v(6), {});
    expect(t.get('g')).toEqual(v(6));
  });

  it('keeps no objects unless asked to', () => {
    const t = new TrackedEvents(false);
    t.set('a', v(1), { uid: 'a' });
    t.beginList();
    const forgotten: unknown[] = [];
    t.forgetUnseen((uid, object) => forgotten.push([uid, object]));
    expect(forgotten).toEqual([['a', undefined]]);
  });
});

describe('occurrenceKey', () => {
  it('is the time of the one timestamp set, and changes with any of several', () => {
    expect(occurrenceKey({ lastTimestamp: '2026-03-01T12:00:00Z' })).toBe(Date.parse('2026-03-01T12:00:00Z'));
    expect(occurrenceKey({ series: { lastObservedTime: '2026-03-01T12:00:00.123456Z' } })).toBe(Date.parse('2026-03-01T12:00:00.123Z'));
    expect(occurrenceKey({})).toBe(0);
    const both = { lastTimestamp: '2026-03-01T12:00:00Z', series: { lastObservedTime: '2026-03-01T12:00:00.100000Z' } };
    const moved = { lastTimestamp: '2026-03-01T12:00:00Z', series: { lastObservedTime: '2026-03-01T12:00:00.200000Z' } };
    expect(occurrenceKey(both)).toBeLessThan(0);
    expect(occurrenceKey(moved)).not.toBe(occurrenceKey(both));
    expect(occurrenceKey({ lastTimestamp: 'not a time' })).toBeLessThan(0);
    expect(occurrenceKey({ lastTimestamp: 'not a time' })).not.toBe(occurrenceKey({ lastTimestamp: 'not a tima' }));
  });
});
