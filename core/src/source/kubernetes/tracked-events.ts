/**
 * The tracker's memory: one entry per event the API server still has (100,000 events in the
 * cluster means 100,000 entries), so an entry is a slot in typed arrays, not an object: a map
 * uid → slot number, and per slot the resourceVersion, the occurrence count and an occurrence
 * key, as float64s (24 bytes). A resourceVersion that is not a small integer (rare: the API
 * treats it as opaque) is kept as text beside them; the event object itself only with
 * `keepObjects` (to report events that vanished during a gap).
 *
 * A complete list marks the slots it saw with the list's generation; `forgetUnseen` then drops
 * the others without a second set of uids.
 *
 * With `maxEntries`, the entry changed least recently is evicted once there are more (the slots
 * form a list in change order): the memory stays bounded however many events the server holds
 * (1,000 events/s for an hour is 3.6 million). The tracker knows what eviction costs (see there).
 */
import type { KubeObject } from '../../kube/listwatch.js';

/** What the tracker compares between two versions of an event. */
export interface Version {
  /** `metadata.resourceVersion` as a number when it is a small integer, else the text ('' when unset). */
  rv: number | string;
  /** Occurrence count. */
  count: number;
  /** Occurrence key: changes when the event happens again (see `occurrenceKey` in tracker.ts). */
  last: number;
}

const INITIAL_SLOTS = 1024;
const NONE = -1;

export class TrackedEvents {
  private readonly slots = new Map<string, number>();
  private rv = new Float64Array(INITIAL_SLOTS);
  private count = new Float64Array(INITIAL_SLOTS);
  private last = new Float64Array(INITIAL_SLOTS);
  private seenIn = new Uint32Array(INITIAL_SLOTS);
  /** Change order: the previous (older) and next (newer) slot, NONE at the ends. */
  private older = new Int32Array(INITIAL_SLOTS);
  private newer = new Int32Array(INITIAL_SLOTS);
  private oldest = NONE;
  private newest = NONE;
  /** Each slot's uid (to evict by slot). */
  private readonly uids: (string | undefined)[] = [];
  private readonly maxEntries: number;
  /** Entries evicted to stay within `maxEntries`. */
  evicted = 0;
  /** Slots whose resourceVersion is text (their `rv` is NaN). */
  private readonly rvText = new Map<number, string>();
  private readonly objects: Map<number, KubeObject> | null;
  private readonly free: number[] = [];
  private used = 0;
  private generation = 0;

  constructor(keepObjects: boolean, maxEntries: number = Number.POSITIVE_INFINITY) {
    this.objects = keepObjects ? new Map() : null;
    this.maxEntries = Math.max(1, maxEntries);
  }

  get size(): number {
    return this.slots.size;
  }

  has(uid: string): boolean {
    return this.slots.has(uid);
  }

  /** The tracked version of `uid`, or undefined. */
  get(uid: string): Version | undefined {
    const slot = this.slots.get(uid);
    if (slot === undefined) return undefined;
    const rv = this.rv[slot]!;
    return { rv: Number.isNaN(rv) ? (this.rvText.get(slot) ?? '') : rv, count: this.count[slot]!, last: this.last[slot]! };
  }

  /** Tracks `uid` at `version` (replacing what it had); marks it seen by the current list. */
  set(uid: string, version: Version, object: KubeObject): void {
    let slot = this.slots.get(uid);
    if (slot === undefined) {
      slot = this.allocate();
      this.slots.set(uid, slot);
      this.uids[slot] = uid;
    } else {
      this.unlink(slot);
    }
    this.append(slot);
    if (typeof version.rv === 'number') {
      this.rv[slot] = version.rv;
      this.rvText.delete(slot);
    } else {
      this.rv[slot] = Number.NaN;
      this.rvText.set(slot, version.rv);
    }
    this.count[slot] = version.count;
    this.last[slot] = version.last;
    this.seenIn[slot] = this.generation;
    this.objects?.set(slot, object);
    while (this.slots.size > this.maxEntries && this.evictOldest());
  }

  /** Marks `uid` as seen by the current list (when tracked). */
  markSeen(uid: string): void {
    const slot = this.slots.get(uid);
    if (slot !== undefined) this.seenIn[slot] = this.generation;
  }

  delete(uid: string): void {
    const slot = this.slots.get(uid);
    if (slot === undefined) return;
    this.slots.delete(uid);
    this.release(slot);
  }

  /** Starts a list: from now on `set` and `markSeen` mark slots as seen by it. */
  beginList(): void {
    this.generation = (this.generation + 1) >>> 0;
  }

  /** Drops every entry the current list did not see; calls `onForget` with each (and its object, when kept). */
  forgetUnseen(onForget: (uid: string, object: KubeObject | undefined) => void): void {
    for (const [uid, slot] of this.slots) {
      if (this.seenIn[slot] === this.generation) continue;
      const object = this.objects?.get(slot);
      this.slots.delete(uid);
      this.release(slot);
      onForget(uid, object);
    }
  }

  /** Evicts the least recently changed entry; false when there is none to evict. */
  private evictOldest(): boolean {
    const slot = this.oldest;
    const uid = slot === NONE ? undefined : this.uids[slot];
    if (uid === undefined) return false;
    this.slots.delete(uid);
    this.release(slot);
    this.evicted++;
    return true;
  }

  private append(slot: number): void {
    this.older[slot] = this.newest;
    this.newer[slot] = NONE;
    if (this.newest !== NONE) this.newer[this.newest] = slot;
    else this.oldest = slot;
    this.newest = slot;
  }

  private unlink(slot: number): void {
    const before = this.older[slot]!;
    const after = this.newer[slot]!;
    if (before !== NONE) this.newer[before] = after;
    else this.oldest = after;
    if (after !== NONE) this.older[after] = before;
    else this.newest = before;
  }

  private allocate(): number {
    const reused = this.free.pop();
    if (reused !== undefined) return reused;
    if (this.used === this.rv.length) this.grow();
    return this.used++;
  }

  private release(slot: number): void {
    this.unlink(slot);
    this.uids[slot] = undefined;
    this.rvText.delete(slot);
    this.objects?.delete(slot);
    this.free.push(slot);
  }

  private grow(): void {
    const size = this.rv.length * 2;
    const grown = <A extends Float64Array | Uint32Array | Int32Array>(a: A, make: (n: number) => A): A => {
      const b = make(size);
      b.set(a);
      return b;
    };
    this.rv = grown(this.rv, (n) => new Float64Array(n));
    this.count = grown(this.count, (n) => new Float64Array(n));
    this.last = grown(this.last, (n) => new Float64Array(n));
    this.seenIn = grown(this.seenIn, (n) => new Uint32Array(n));
    this.older = grown(this.older, (n) => new Int32Array(n));
    this.newer = grown(this.newer, (n) => new Int32Array(n));
  }
}
