import { describe, expect, it } from 'vitest';
import { packReport } from './embed.js';
import { storyTimeline } from './story.fixture.js';

describe('packReport', () => {
  it('keeps every record: times from the window start, lanes by index, strings once', () => {
    const data = storyTimeline();
    const p = packReport(data);
    expect(p.t0).toBe(Date.parse(data.window.from));
    expect(p.end).toBe(2 * 3600_000);
    expect(p.events).toHaveLength(data.events.length);
    expect(new Set(p.strings).size).toBe(p.strings.length);
    data.events.forEach((e, i) => {
      const [time, first, lane, type, reason, message, count] = p.events[i]!;
      expect(p.t0 + time).toBe(Date.parse(e.time));
      expect(p.t0 + first).toBe(Date.parse(e.firstTime));
      expect(p.lanes[lane]?.key).toBe(e.lane);
      expect([p.strings[type], p.strings[reason], p.strings[message], count]).toEqual([e.type, e.reason, e.message, e.count]);
    });
    data.folded.forEach((f, i) => {
      const [lane, type, reason, message, count, records, first, last] = p.folded[i]!;
      expect([p.lanes[lane]?.key, p.strings[type], p.strings[reason], p.strings[message], count, records]).toEqual([f.lane, f.type, f.reason, f.message, f.count, f.records]);
      expect([p.t0 + first, p.t0 + last]).toEqual([Date.parse(f.first), Date.parse(f.last)]);
    });
    expect(p.gaps).toEqual([{ from: 65 * 60_000, to: 72 * 60_000, message: data.gaps[0]?.message }]);
  });

  it('gives a record on a lane the timeline did not list a lane of its own, rather than dropping it', () => {
    const data = storyTimeline();
    data.events[0]!.lane = 'ConfigMap/shop/web-config';
    const p = packReport(data);
    expect(p.lanes).toHaveLength(data.lanes.length + 1);
    expect(p.lanes.at(-1)).toEqual({ key: 'ConfigMap/shop/web-config', role: 'other', kind: '', namespace: '', name: 'ConfigMap/shop/web-config', group: 'other' });
    expect(p.events[0]?.[2]).toBe(data.lanes.length);
  });

  it('places a record whose time does not parse at its first time, and a gap without an end at the window end', () => {
    const data = storyTimeline();
    data.events[0]!.time = 'not a time';
    data.gaps[0]!.to = '';
    const p = packReport(data);
    expect(p.t0 + p.events[0]![0]).toBe(Date.parse(data.events[0]!.firstTime));
    expect(p.gaps[0]?.to).toBe(p.end);
  });
});
