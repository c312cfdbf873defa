/**
 * Request counters, so tests can assert traffic ("at most 100 pod GETs", "three watch
 * reconnects") and await it without sleeping (`waitFor`).
 */
import type { Verb } from './faults.js';

/** One counter row: requests of a verb on a resource that ended with a status code. */
export interface RequestCount {
  verb: Verb;
  /** Resource id (`pods`, `events.events.k8s.io`), or `''` for discovery/unknown paths. */
  resource: string;
  /** HTTP status; 0 when the connection ended without a response (reset, stall). */
  code: number;
  count: number;
}

/** One watch answered with a stream: when it opened and closed, in `performance.now()` ms. */
export interface WatchRecord {
  resource: string;
  openedAt: number;
  /** Null while open. */
  closedAt: number | null;
}

/** A filter for {@link Stats.count}; omitted fields match anything. */
export interface RequestFilter {
  verb?: Verb;
  resource?: string;
  code?: number;
}

/** Counters of one server. */
export class Stats {
  private readonly rows = new Map<string, RequestCount>();
  private waiters: { pred: (s: Stats) => boolean; resolve: () => void }[] = [];
  /** Watch requests answered with a stream (200). */
  watchConnections = 0;
  /** Watch streams open right now. */
  activeWatches = 0;
  /** Data events (ADDED/MODIFIED/DELETED) written to watch streams. */
  watchEvents = 0;
  /** Every watch stream since the last reset, in the order they opened. */
  readonly watchLog: WatchRecord[] = [];

  /** Records a watch stream opening (the server calls this as it answers 200). */
  watchOpened(resource: string): WatchRecord {
    const r: WatchRecord = { resource, openedAt: performance.now(), closedAt: null };
    this.watchLog.push(r);
    return r;
  }

  /** Records a watch stream's end. */
  watchClosed(r: WatchRecord): void {
    r.closedAt = performance.now();
    this.changed();
  }

  /** Records a finished request. */
  record(verb: Verb, resource: string, code: number): void {
    const key = `${verb} ${resource} ${code}`;
    const row = this.rows.get(key);
    if (row) row.count++;
    else this.rows.set(key, { verb, resource, code, count: 1 });
    this.changed();
  }

  /** Every counter row. */
  get requests(): RequestCount[] {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }

  /** Sum of the rows matching `filter`. */
  count(filter: RequestFilter = {}): number {
    let n = 0;
    for (const r of this.rows.values()) {
      if (filter.verb !== undefined && r.verb !== filter.verb) continue;
      if (filter.resource !== undefined && r.resource !== filter.resource) continue;
      if (filter.code !== undefined && r.code !== filter.code) continue;
      n += r.count;
    }
    return n;
  }

  /** Zeroes every counter (active watches stay as they are). */
  reset(): void {
    this.rows.clear();
    this.watchConnections = 0;
    this.watchEvents = 0;
    this.watchLog.length = 0;
  }

  /** Resolves as soon as `pred(stats)` holds (checked now and after every change). */
  waitFor(pred: (s: Stats) => boolean): Promise<void> {
    if (pred(this)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }

  /** Re-checks waiters; called by the server after it changes a counter. */
  changed(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.pred(this)) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
