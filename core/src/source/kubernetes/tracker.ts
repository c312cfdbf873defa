/**
 * Event semantics on top of the list+watch engine. A compact map uid → {resourceVersion,
 * occurrence} (`tracked-events.ts`) decides what is worth emitting:
 *
 * - initial list: every event (`SYNC`), except those whose last occurrence is older than
 *   `maxEventAge` (they are tracked, not emitted: the age cut applies at startup only);
 * - ADDED: emitted; MODIFIED: emitted only when the event recurred — `count`/`series.count`
 *   grew or `lastTimestamp`/`series.lastObservedTime` moved — so a change of metadata alone
 *   (managedFields, annotations) is not; a version already seen is never emitted twice;
 * - DELETED: forgotten, emitted only with `emitDeleted`;
 * - re-list: diffed against the map: new uids are emitted as ADDED, recurrences as MODIFIED,
 *   unchanged events not at all; uids the list no longer has are forgotten (DELETED with
 *   `emitDeleted`). The map therefore holds exactly the events the server still has —
 * - up to `maxEntries`: past it, the events changed least recently are evicted. What that costs:
 *   a re-list does not emit an evicted event again as long as its version is one already
 *   observed (at or below the furthest resourceVersion seen: every such version reached the
 *   tracker), but a metadata-only change of an evicted event is emitted as if it recurred, and
 *   an evicted event that vanishes is not reported with `emitDeleted`. Nothing is lost.
 */
import { rvNumber } from '../../checkpoint/position.js';
import type { KubeObject, ListWatchItem } from '../../kube/listwatch.js';
import { TrackedEvents } from './tracked-events.js';
import type { Version } from './tracked-events.js';
import { parseTimestampMs } from '../../record/timestamp.js';

export type EmitType = 'SYNC' | 'ADDED' | 'MODIFIED' | 'DELETED';

/** One event to hand to the pipeline. */
export interface Emission {
  type: EmitType;
  object: KubeObject;
}

export interface TrackerOptions {
  /** Emit DELETED notifications (and events that vanished in a re-list). @default false */
  emitDeleted?: boolean;
  /** Skip events older than this on the initial list only; null = no limit. @default null */
  maxEventAgeMs?: number | null;
  /** @default Date.now */
  now?: () => number;
  /** Most events tracked; the least recently changed are evicted past it. @default unbounded */
  maxEntries?: number;
}

export interface TrackerCounters {
  /** Events handed on (all types). */
  emitted: number;
  /** MODIFIED (or re-listed) events emitted because they recurred. */
  recurrences: number;
  /** Modifications that were not recurrences (metadata only), and versions already seen. */
  unchanged: number;
  /** DELETED notifications received. */
  deleted: number;
  /** Tracked events missing from a re-list. */
  vanished: number;
  /** Events of the initial list skipped by `maxEventAge`. */
  tooOld: number;
  /** Events of the initial list skipped because the saved resume point says they were delivered. */
  resumed: number;
  /** Tracked events evicted to stay within `maxEntries`. */
  evicted: number;
}

export class EventTracker {
  /** Every event the API server still has (an hour of them by default), kept compact. */
  private readonly map: TrackedEvents;
  private readonly emitDeleted: boolean;
  private readonly maxAgeMs: number | null;
  private readonly now: () => number;
  private readonly counts = { emitted: 0, recurrences: 0, unchanged: 0, deleted: 0, vanished: 0, tooOld: 0, resumed: 0 };
  /** The furthest integer resourceVersion observed (a completed list's, a watch event's): every version up to it reached the tracker. */
  private observedUpTo: bigint | null = null;

  constructor(options: TrackerOptions = {}) {
    this.emitDeleted = options.emitDeleted ?? false;
    this.map = new TrackedEvents(this.emitDeleted, options.maxEntries);
    this.maxAgeMs = options.maxEventAgeMs ?? null;
    this.now = options.now ?? Date.now;
  }

  get counters(): TrackerCounters {
    return { ...this.counts, evicted: this.map.evicted };
  }

  /** Events currently tracked. */
  get size(): number {
    return this.map.size;
  }

  /**
   * Applies one engine item, appending what to emit to `out`. Gaps are the caller's business.
   * Lists are emitted in resourceVersion order (see `sortByResourceVersion`). `resumeAfter`: on
   * the initial list, events at or below this resourceVersion were delivered before a restart
   * and are only tracked.
   */
  apply(item: ListWatchItem, out: Emission[], resumeAfter: bigint | null = null): void {
    switch (item.kind) {
      case 'page':
        this.page(item.objects, item.reason, item.restart, out, resumeAfter);
        return;
      case 'sync': {
        if (this.listing) {
          // The end of a list that came page by page.
          if (item.objects.length > 0) this.page(item.objects, item.reason, false, out, resumeAfter);
          this.forgetUnseen(out);
          this.listing = false;
          this.observed(item.resourceVersion);
          return;
        }
        const objects = sortByResourceVersion(item.objects);
        if (item.reason === 'initial') this.initial(objects, out, resumeAfter);
        else this.relist(objects, out);
        this.observed(item.resourceVersion);
        return;
      }
      case 'event':
        this.event(item.type, item.object, out);
        this.observed(resourceVersionOf(item.object));
        return;
      case 'gap':
        return;
    }
  }

  private observed(rv: string | null): void {
    const n = rvNumber(rv);
    if (n !== null && (this.observedUpTo === null || n > this.observedUpTo)) this.observedUpTo = n;
  }

  /** An untracked version that is not new: its uid was evicted, and the version was observed before. */
  private evictedAndSeen(obj: KubeObject): boolean {
    if (this.map.evicted === 0 || this.observedUpTo === null) return false;
    const rv = rvNumber(resourceVersionOf(obj));
    return rv !== null && rv <= this.observedUpTo;
  }

  private emit(out: Emission[], type: EmitType, object: KubeObject): void {
    this.counts.emitted++;
    out.push({ type, object });
  }

  private initial(objects: readonly KubeObject[], out: Emission[], resumeAfter: bigint | null): void {
    const cutoff = this.maxAgeMs === null ? null : this.now() - this.maxAgeMs;
    for (const obj of objects) {
      const uid = uidOf(obj);
      if (uid !== null) this.map.set(uid, versionOf(obj), obj);
      if (resumeAfter !== null) {
        const rv = rvNumber(resourceVersionOf(obj));
        if (rv !== null && rv <= resumeAfter) {
          this.counts.resumed++;
          continue;
        }
      }
      if (cutoff !== null) {
        const at = lastOccurrence(obj);
        if (at !== null && at < cutoff) {
          this.counts.tooOld++;
          continue;
        }
      }
      this.emit(out, 'SYNC', obj);
    }
  }

  /** True while a list is delivered page by page (the map marks what it sees, to forget the others at its end). */
  private listing = false;

  /**
   * One page of a list (in the server's order). Like `initial`/`relist`, except that a version
   * already tracked is not emitted again, so pages repeated by a restarted list are harmless.
   */
  private page(objects: readonly KubeObject[], reason: 'initial' | 'relist', restart: boolean, out: Emission[], resumeAfter: bigint | null): void {
    if (restart || !this.listing) {
      this.listing = true;
      this.map.beginList();
    }
    const cutoff = reason === 'initial' && this.maxAgeMs !== null ? this.now() - this.maxAgeMs : null;
    for (const obj of objects) {
      const uid = uidOf(obj);
      if (uid === null) {
        this.emit(out, reason === 'initial' ? 'SYNC' : 'ADDED', obj);
        continue;
      }
      this.map.markSeen(uid);
      if (reason === 'initial' && !this.map.has(uid)) {
        if (resumeAfter !== null) {
          const rv = rvNumber(resourceVersionOf(obj));
          if (rv !== null && rv <= resumeAfter) {
            this.map.set(uid, versionOf(obj), obj);
            this.counts.resumed++;
            continue;
          }
        }
        if (cutoff !== null) {
          const at = lastOccurrence(obj);
          if (at !== null && at < cutoff) {
            this.map.set(uid, versionOf(obj), obj);
            this.counts.tooOld++;
            continue;
          }
        }
      }
      this.change(uid, obj, reason === 'initial' ? 'SYNC' : 'ADDED', out);
    }
  }

  /** Forgets tracked events the complete list just delivered no longer has (DELETED with `emitDeleted`). */
  private forgetUnseen(out: Emission[]): void {
    this.map.forgetUnseen((_uid, object) => {
      this.counts.vanished++;
      if (this.emitDeleted && object !== undefined) this.emit(out, 'DELETED', object);
    });
  }

  private relist(objects: readonly KubeObject[], out: Emission[]): void {
    this.map.beginList();
    for (const obj of objects) {
      const uid = uidOf(obj);
      if (uid === null) {
        this.emit(out, 'ADDED', obj);
        continue;
      }
      this.map.markSeen(uid);
      this.change(uid, obj, 'ADDED', out);
    }
    this.forgetUnseen(out);
  }

  private event(type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: KubeObject, out: Emission[]): void {
    const uid = uidOf(obj);
    if (type === 'DELETED') {
      this.counts.deleted++;
      if (uid !== null) this.map.delete(uid);
      if (this.emitDeleted) this.emit(out, 'DELETED', obj);
      return;
    }
    if (uid === null) {
      this.emit(out, type, obj); // the pipeline dead-letters it (no uid, no id)
      return;
    }
    this.change(uid, obj, type, out);
  }

  /** A new or changed version of `uid`: emit when new or recurred; track it either way. */
  private change(uid: string, obj: KubeObject, typeIfNew: EmitType, out: Emission[]): void {
    const prev = this.map.get(uid);
    if (prev === undefined && this.evictedAndSeen(obj)) {
      this.counts.unchanged++;
      return;
    }
    const next = versionOf(obj);
    this.map.set(uid, next, obj);
    if (prev === undefined) {
      this.emit(out, typeIfNew, obj);
      return;
    }
    if (prev.rv === next.rv || !(next.count > prev.count || next.last !== prev.last)) {
      this.counts.unchanged++;
      return;
    }
    this.counts.recurrences++;
    this.emit(out, 'MODIFIED', obj);
  }
}

/** What the tracker keeps of an event version. */
function versionOf(obj: KubeObject): Version {
  const meta = obj['metadata'] as { resourceVersion?: unknown } | undefined;
  const rv = typeof meta?.resourceVersion === 'string' ? compactRv(meta.resourceVersion) : '';
  return { rv, count: occurrenceCount(obj), last: occurrenceKey(obj) };
}

const SMALL_INTEGER = /^\d{1,15}$/;

/** A resourceVersion as a number when it is a small integer (exact below 2^53), else as is. */
function compactRv(rv: string): number | string {
  return SMALL_INTEGER.test(rv) ? Number(rv) : rv;
}

/** `metadata.resourceVersion`, or null. */
export function resourceVersionOf(obj: KubeObject): string | null {
  const rv = (obj['metadata'] as { resourceVersion?: unknown } | undefined)?.resourceVersion;
  return typeof rv === 'string' && rv !== '' ? rv : null;
}

/**
 * The list in increasing resourceVersion order (a new array; objects whose version is not an
 * integer keep their relative order, after the others). An API server lists in key order;
 * emitting a list in version order means "everything up to version X was emitted" holds after
 * each emitted event, so the resume point can advance inside a large list.
 */
export function sortByResourceVersion(objects: readonly KubeObject[]): KubeObject[] {
  return sortByVersion(objects, resourceVersionOf);
}

/** `items` in increasing order of the integer resourceVersion `rvOf` gives (a new array; stable; others last). */
export function sortByVersion<T>(items: readonly T[], rvOf: (item: T) => string | null): T[] {
  const keyed = items.map((item, i) => ({ item, i, rv: rvNumber(rvOf(item)) }));
  keyed.sort((a, b) => {
    if (a.rv === null || b.rv === null) return a.rv === b.rv ? a.i - b.i : a.rv === null ? 1 : -1;
    return a.rv < b.rv ? -1 : a.rv > b.rv ? 1 : a.i - b.i;
  });
  return keyed.map((k) => k.item);
}

function uidOf(obj: KubeObject): string | null {
  const uid = (obj['metadata'] as { uid?: unknown } | undefined)?.uid;
  return typeof uid === 'string' && uid !== '' ? uid : null;
}

function series(obj: KubeObject): { count?: unknown; lastObservedTime?: unknown } | undefined {
  const s = obj['series'];
  return s !== null && typeof s === 'object' ? s : undefined;
}

/** The highest of `count`, `deprecatedCount` and `series.count` (core/v1 and events.k8s.io/v1). */
export function occurrenceCount(obj: KubeObject): number {
  let n = higherCount(0, obj['count']);
  n = higherCount(n, obj['deprecatedCount']);
  const s = series(obj);
  return s === undefined ? n : higherCount(n, s.count);
}

function higherCount(n: number, v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > n ? v : n;
}

/**
 * The occurrence timestamps as one number that changes whenever any of them does (the event
 * happened again): the single timestamp the event usually carries, in ms since the epoch;
 * otherwise (several set, or one that does not parse) a 32-bit hash of them all, as a negative
 * number so it never equals a time.
 */
export function occurrenceKey(obj: KubeObject): number {
  const [last, deprecated, observed] = occurrenceTexts(obj);
  // The one timestamp set, '' when none is, null when several are.
  const only = deprecated === '' && observed === '' ? last : last === '' && observed === '' ? deprecated : last === '' && deprecated === '' ? observed : null;
  if (only === '') return 0;
  if (only !== null) {
    const ms = Date.parse(only);
    if (Number.isFinite(ms)) return ms;
  }
  return -1 - fnv1a(joinTimes(last, deprecated, observed));
}

/** FNV-1a over the string's UTF-16 code units, as an unsigned 32-bit integer. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * The occurrence timestamps as one comparable string: any change means the event happened
 * again. Usually only one of them is set, and then it is that string itself; otherwise they are
 * joined with `|`, which no timestamp contains.
 */
export function occurrenceTimes(obj: KubeObject): string {
  return joinTimes(...occurrenceTexts(obj));
}

/** `lastTimestamp`, `deprecatedLastTimestamp` and `series.lastObservedTime` as strings ('' when unset). */
function occurrenceTexts(obj: KubeObject): [last: string, deprecated: string, observed: string] {
  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  return [text(obj['lastTimestamp']), text(obj['deprecatedLastTimestamp']), text(series(obj)?.lastObservedTime)];
}

function joinTimes(last: string, deprecated: string, observed: string): string {
  if (deprecated === '' && observed === '') return last;
  if (last === '' && observed === '') return `|${deprecated}`;
  return `${last}|${deprecated}|${observed}`;
}

/**
 * When the event last happened (ms since epoch): the latest of its occurrence times
 * (`lastTimestamp`, `series.lastObservedTime`, `eventTime`…), else when it was first seen or
 * created; null when it carries no usable time.
 */
export function lastOccurrence(obj: KubeObject): number | null {
  const meta = obj['metadata'] as { creationTimestamp?: unknown } | undefined;
  const latest = (values: unknown[]): number | null => {
    let best: number | null = null;
    for (const v of values) {
      if (typeof v !== 'string' || v === '') continue;
      const ms = parseTimestampMs(v);
      if (Number.isFinite(ms) && (best === null || ms > best)) best = ms;
    }
    return best;
  };
  return (
    latest([obj['lastTimestamp'], obj['deprecatedLastTimestamp'], series(obj)?.lastObservedTime, obj['eventTime']]) ??
    latest([obj['firstTimestamp'], obj['deprecatedFirstTimestamp']]) ??
    latest([meta?.creationTimestamp])
  );
}
