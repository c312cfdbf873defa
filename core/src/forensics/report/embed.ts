/**
 * The report's data in a compact form for embedding: times as milliseconds from the window's
 * start, lanes by index, and every type, reason and message once in a string table. 20,000 events
 * are then about 30 bytes each instead of about 300 for the records as they are.
 */
import type { Lane, TimelineData } from '../types.js';

/** `[time, firstTime, lane, type, reason, message, count]`: times relative to `t0`, the others indexes into `lanes` and `strings`. */
export type PackedEvent = [number, number, number, number, number, number, number];
/** `[lane, type, reason, message, count, records, first, last]`. */
export type PackedFolded = [number, number, number, number, number, number, number, number];

export interface PackedReport {
  /** The window's start, milliseconds since the epoch; every other time is relative to it. */
  t0: number;
  /** The window's end, relative to `t0`. */
  end: number;
  lanes: Lane[];
  strings: string[];
  events: PackedEvent[];
  folded: PackedFolded[];
  gaps: { from: number; to: number; message: string }[];
}

class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();

  id(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** Milliseconds of an ISO time relative to `t0`; an unparsable time falls back to `fallback`. */
function offset(iso: string, t0: number, fallback: number): number {
  const ms = Date.parse(iso);
  return Number.isFinite(ms) ? ms - t0 : fallback;
}

export function packReport(data: TimelineData): PackedReport {
  const t0Parsed = Date.parse(data.window.from);
  const t0 = Number.isFinite(t0Parsed) ? t0Parsed : 0;
  const end = Math.max(0, offset(data.window.to, t0, 0));
  const lanes = [...data.lanes];
  const laneIndex = new Map(lanes.map((l, i) => [l.key, i]));
  // A record on a lane the timeline did not list still gets drawn, on a lane of its own.
  const laneOf = (key: string): number => {
    let i = laneIndex.get(key);
    if (i === undefined) {
      i = lanes.length;
      lanes.push({ key, role: 'other', kind: '', namespace: '', name: key, group: 'other' });
      laneIndex.set(key, i);
    }
    return i;
  };
  const table = new StringTable();
  const events = data.events.map((e): PackedEvent => {
    const time = offset(e.time, t0, offset(e.firstTime, t0, 0));
    return [time, offset(e.firstTime, t0, time), laneOf(e.lane), table.id(e.type), table.id(e.reason), table.id(e.message), e.count];
  });
  const folded = data.folded.map((f): PackedFolded => {
    const first = offset(f.first, t0, 0);
    return [laneOf(f.lane), table.id(f.type), table.id(f.reason), table.id(f.message), f.count, f.records, first, offset(f.last, t0, first)];
  });
  const gaps = data.gaps.map((g) => {
    const from = offset(g.from, t0, 0);
    return { from, to: Math.max(from, offset(g.to, t0, end)), message: g.message };
  });
  return { t0, end, lanes, strings: table.strings, events, folded, gaps };
}
