import { describe, expect, it } from 'vitest';
import { freshenEvent, numericResourceVersion, shiftTimestamps } from './replay-follow.js';

describe('shiftTimestamps', () => {
  it('moves every timestamp field so the latest equals now, keeping the gaps', () => {
    const ev: Record<string, unknown> = {
      metadata: { creationTimestamp: '2026-11-02T09:00:00Z', managedFields: [{ time: '2026-11-02T09:00:00Z' }] },
      firstTimestamp: '2026-11-02T09:00:00Z',
      lastTimestamp: '2026-11-02T09:10:00Z',
      eventTime: null,
      deprecatedFirstTimestamp: '2026-11-02T09:01:00Z',
      deprecatedLastTimestamp: '2026-11-02T09:02:00Z',
      series: { count: 2, lastObservedTime: '2026-11-02T09:05:00.000001Z' },
    };
    shiftTimestamps(ev, Date.parse('2027-01-01T00:00:00Z'));
    expect(ev).toEqual({
      metadata: { creationTimestamp: '2026-12-31T23:50:00.000Z', managedFields: [{ time: '2026-11-02T09:00:00Z' }] },
      firstTimestamp: '2026-12-31T23:50:00.000Z',
      lastTimestamp: '2027-01-01T00:00:00.000Z',
      eventTime: null,
      deprecatedFirstTimestamp: '2026-12-31T23:51:00.000Z',
      deprecatedLastTimestamp: '2026-12-31T23:52:00.000Z',
      series: { count: 2, lastObservedTime: '2026-12-31T23:55:00.000Z' },
    });
  });

  it('reads a zone-less timestamp as UTC whatever the host time zone (the gap to a zoned one is kept)', () => {
    const tz = process.env['TZ'];
    process.env['TZ'] = 'Asia/Tokyo'; // Node applies a TZ assigned at run time
    try {
      const ev: Record<string, unknown> = { firstTimestamp: '2026-11-02T09:00:00', lastTimestamp: '2026-11-02T09:10:00Z' };
      shiftTimestamps(ev, Date.parse('2027-01-01T00:00:00Z'));
      expect(ev).toEqual({ firstTimestamp: '2026-12-31T23:50:00.000Z', lastTimestamp: '2027-01-01T00:00:00.000Z' });
    } finally {
      if (tz === undefined) delete process.env['TZ'];
      else process.env['TZ'] = tz;
    }
  });

  it('leaves events without timestamps (or with garbage) alone', () => {
    const ev = { metadata: { uid: 'x' }, lastTimestamp: 'soon' };
    shiftTimestamps(ev, 0);
    expect(ev).toEqual({ metadata: { uid: 'x' }, lastTimestamp: 'soon' });
  });
});

describe('freshenEvent', () => {
  it('suffixes the uid with the pass, sets the resourceVersion and shifts timestamps', () => {
    const ev: Record<string, unknown> = { metadata: { uid: 'abc', resourceVersion: '5' }, lastTimestamp: '2026-11-02T09:00:00Z' };
    freshenEvent(ev, { loop: 3, resourceVersion: '77', now: Date.parse('2026-11-03T00:00:00Z') });
    expect(ev).toEqual({ metadata: { uid: 'abc-r3', resourceVersion: '77' }, lastTimestamp: '2026-11-03T00:00:00.000Z' });
  });

  it('does not invent a uid (the record mapping dead-letters events without one)', () => {
    const ev: Record<string, unknown> = { metadata: {} };
    freshenEvent(ev, { loop: 1, resourceVersion: '2', now: 0 });
    expect(ev).toEqual({ metadata: { resourceVersion: '2' } });
  });
});

describe('numericResourceVersion', () => {
  it('reads etcd revisions and ignores opaque values', () => {
    expect(numericResourceVersion('9481337')).toBe(9481337n);
    expect(numericResourceVersion('12345678901234567890')).toBe(12345678901234567890n);
    expect(numericResourceVersion('abc')).toBeNull();
    expect(numericResourceVersion(12)).toBeNull();
    expect(numericResourceVersion(undefined)).toBeNull();
  });
});
