/**
 * Folding: on each lane, consecutive records with the same type, reason and message become one
 * entry, with how many times it happened and from when to when. Plus the reason counts.
 */
import type { FoldedEntry, TimelineEvent } from '../types.js';

/**
 * How many times a run of records says it happened. A record carries its Event's running
 * `count`, and an Event that recurs is archived once per update (same uid, new
 * resourceVersion, count 1, 2, 3…): per Event the highest count, summed over the Events —
 * the sum of the records' counts when every record is its own Event.
 */
function occurrences(records: readonly TimelineEvent[]): number {
  const perEvent = new Map<string, number>();
  for (const r of records) {
    const event = eventUid(r.id);
    perEvent.set(event, Math.max(perEvent.get(event) ?? 0, r.count));
  }
  let total = 0;
  for (const n of perEvent.values()) total += n;
  return total;
}

/** The Event's uid: a record id is `${uid}:${resourceVersion}`. */
function eventUid(id: string): string {
  const colon = id.lastIndexOf(':');
  return colon > 0 ? id.slice(0, colon) : id;
}

/** `events` (time order) folded per lane; entries in time order of `first` (ties: lane order, then last). */
export function fold(events: readonly TimelineEvent[], laneOrder: readonly string[]): FoldedEntry[] {
  const runs: TimelineEvent[][] = [];
  const open = new Map<string, TimelineEvent[]>();
  for (const e of events) {
    const run = open.get(e.lane);
    const last = run?.[run.length - 1];
    if (run && last && last.type === e.type && last.reason === e.reason && last.message === e.message) {
      run.push(e);
    } else {
      const next = [e];
      runs.push(next);
      open.set(e.lane, next);
    }
  }
  const rank = new Map(laneOrder.map((key, i) => [key, i]));
  return runs
    .map((run): FoldedEntry => {
      const head = run[0]!;
      let first = head.firstTime < head.time ? head.firstTime : head.time;
      let last = head.time;
      for (const r of run) {
        if (r.firstTime < first) first = r.firstTime;
        if (r.time > last) last = r.time;
      }
      return { lane: head.lane, type: head.type, reason: head.reason, message: head.message, count: occurrences(run), records: run.length, first, last };
    })
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : (rank.get(a.lane) ?? 0) - (rank.get(b.lane) ?? 0) || (a.last < b.last ? -1 : a.last > b.last ? 1 : 0)));
}

/** Reasons by number of records, highest first (ties by reason, then type), at most `limit`. */
export function topReasons(events: readonly TimelineEvent[], limit = 10): { reason: string; type: string; records: number }[] {
  const counts = new Map<string, { reason: string; type: string; records: number }>();
  for (const e of events) {
    const key = `${e.type}\u0000${e.reason}`;
    const entry = counts.get(key);
    if (entry) entry.records++;
    else counts.set(key, { reason: e.reason, type: e.type, records: 1 });
  }
  return [...counts.values()]
    .sort((a, b) => b.records - a.records || (a.reason < b.reason ? -1 : a.reason > b.reason ? 1 : a.type < b.type ? -1 : a.type > b.type ? 1 : 0))
    .slice(0, limit);
}
