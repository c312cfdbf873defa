/**
 * The in-memory object store. Like etcd it has one global, monotonically increasing revision:
 * every write (to any resource) takes the next number, which becomes the object's
 * `metadata.resourceVersion`. Each write is serialised to JSON exactly once; that string is
 * what lists and watches send. A history of changes per resource (bounded by the compaction
 * window) serves watch replays and consistent paginated lists at an older revision.
 */
import { randomUUID } from 'node:crypto';
import { fromEventsV1, toEventsV1 } from './events-v1.js';
import { mergePatch, jsonPatch } from './patch.js';
import { apiVersionOf, resolveResource, resourceId, type ResourceType } from './resources.js';
import type { KubeObject, Predicate } from './selectors.js';
import { alreadyExists, ApiError, badRequest, conflict, invalid, notFound, status, tooOldResourceVersion } from './status.js';

/** Kinds of change a watch reports. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One stored version of an object. Treat as immutable. */
export interface StoredObject {
  /** `namespace/name`, or `name` for cluster-scoped objects. */
  readonly key: string;
  readonly namespace: string;
  readonly rv: number;
  /** Parsed object in the storage shape (core/v1 for events). Do not mutate. */
  readonly obj: KubeObject;
  /** `JSON.stringify(obj)`, computed once at write. */
  readonly json: string;
  /** Lazily built events.k8s.io/v1 view (only for events). */
  alt?: { obj: KubeObject; json: string };
}

/** One write, as kept in the history and passed to watch listeners. */
export interface Change {
  readonly rv: number;
  readonly type: ChangeType;
  readonly key: string;
  /** The object after the change; for DELETED the last state stamped with the deletion revision. */
  readonly cur: StoredObject;
  /** The object before the change (MODIFIED and DELETED). */
  readonly prev: StoredObject | undefined;
}

/** A listener for live changes of one storage bucket. */
export type ChangeListener = (c: Change) => void;

/** Refers to an object: `"namespace/name"`, `"name"` (cluster-scoped), or an object. */
export type ObjectRef = string | { namespace?: string; name: string };

/** Store options. */
export interface StoreOptions {
  /**
   * How many revisions of history are kept for watch replay and continue tokens; older ones
   * are compacted automatically (a watch or continue from before them gets 410 Expired).
   * @default 50000
   */
  compactionWindow?: number;
  /** Clock for `creationTimestamp`. @default () => new Date() */
  now?: () => Date;
}

/** Preconditions for writes through the store API. */
export interface Preconditions {
  resourceVersion?: string;
  uid?: string;
}

interface Bucket {
  readonly type: ResourceType;
  readonly objects: Map<string, StoredObject>;
  /** Changes with `rv > store.compacted`, oldest first, starting at `head`. */
  history: Change[];
  head: number;
  lastRv: number;
  listeners: Set<ChangeListener>;
}

const SNAPSHOT_CACHE = 16;
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789';

/** ISO-8601 UTC with second precision, as Kubernetes writes `metav1.Time`. */
export function kubeTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function lowerBoundRv(list: readonly Change[], from: number, rv: number): number {
  // first index i >= from with list[i].rv > rv
  let lo = from;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.rv > rv) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function refParts(type: ResourceType, ref: ObjectRef): { namespace: string; name: string } {
  if (typeof ref !== 'string') return { namespace: type.namespaced ? (ref.namespace ?? 'default') : '', name: ref.name };
  if (!type.namespaced) return { namespace: '', name: ref };
  const i = ref.indexOf('/');
  return i < 0 ? { namespace: 'default', name: ref } : { namespace: ref.slice(0, i), name: ref.slice(i + 1) };
}

function keyOf(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

function metaOf(obj: KubeObject): Record<string, unknown> {
  const m = obj.metadata;
  return m !== null && typeof m === 'object' && !Array.isArray(m) ? m : {};
}

/** The in-memory store. See the module doc. */
export class Store {
  private rv = 0;
  private compacted = 0;
  private readonly window: number;
  private readonly now: () => Date;
  private readonly buckets = new Map<string, Bucket>();
  private readonly snapshots = new Map<string, StoredObject[]>();
  private held: Array<{ b: Bucket; change: Change }> | undefined;

  constructor(options: StoreOptions = {}) {
    this.window = Math.max(1, options.compactionWindow ?? 50_000);
    this.now = options.now ?? (() => new Date());
  }

  /** The current (latest) revision. */
  get resourceVersion(): number {
    return this.rv;
  }

  /** Revisions up to and including this one have been compacted away. */
  get compactedRevision(): number {
    return this.compacted;
  }

  /** The type whose storage holds `t` (events.k8s.io events → core events). */
  storageType(t: ResourceType): ResourceType {
    return t.storedAs === undefined ? t : resolveResource(t.storedAs);
  }

  private bucket(t: ResourceType): Bucket {
    const st = this.storageType(t);
    const id = resourceId(st);
    let b = this.buckets.get(id);
    if (!b) {
      b = { type: st, objects: new Map(), history: [], head: 0, lastRv: 0, listeners: new Set() };
      this.buckets.set(id, b);
    }
    return b;
  }

  private typeOf(resource: string | ResourceType): ResourceType {
    return typeof resource === 'string' ? resolveResource(resource) : resource;
  }

  /** The object as served for `t` (converted for events.k8s.io). */
  view(stored: StoredObject, t: ResourceType): { obj: KubeObject; json: string } {
    if (t.storedAs === undefined) return stored;
    if (!stored.alt) {
      const obj = toEventsV1(stored.obj);
      stored.alt = { obj, json: JSON.stringify(obj) };
    }
    return stored.alt;
  }

  // ---------------------------------------------------------------- writes

  private commit(b: Bucket, type: ChangeType, key: string, namespace: string, body: KubeObject, prev: StoredObject | undefined): StoredObject {
    const rv = ++this.rv;
    (body.metadata as Record<string, unknown>)['resourceVersion'] = String(rv);
    const json = JSON.stringify(body);
    const cur: StoredObject = { key, namespace, rv, obj: JSON.parse(json) as KubeObject, json };
    if (type === 'DELETED') b.objects.delete(key);
    else b.objects.set(key, cur);
    const change: Change = { rv, type, key, cur, prev };
    b.history.push(change);
    b.lastRv = rv;
    if (rv - this.compacted > this.window) {
      this.compacted = rv - this.window;
      this.trim(b);
    }
    if (this.held) this.held.push({ b, change });
    else for (const l of b.listeners) l(change);
    return cur;
  }

  private trim(b: Bucket): void {
    const h = b.history;
    while (b.head < h.length && h[b.head]!.rv <= this.compacted) b.head++;
    if (b.head > 1024 && b.head * 2 > h.length) {
      b.history = h.slice(b.head);
      b.head = 0;
    }
  }

  /** Normalises an incoming object into the storage shape, applying kind and apiVersion. */
  private normalise(t: ResourceType, input: KubeObject): KubeObject {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) throw badRequest('the request body must be a JSON object');
    const shaped = t.storedAs !== undefined ? fromEventsV1(input) : input;
    const st = this.storageType(t);
    const { kind: _k, apiVersion: _a, metadata: _m, ...rest } = shaped;
    return { kind: st.kind, apiVersion: apiVersionOf(st), metadata: { ...metaOf(shaped) }, ...rest };
  }

  private generateName(prefix: string): string {
    let s = prefix;
    for (let i = 0; i < 5; i++) s += NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)];
    return s;
  }

  /**
   * Creates an object. The store API keeps a given `metadata.uid` and `creationTimestamp`
   * (deterministic simulations); the HTTP layer strips them first, as the real server does.
   * `namespace` (from a URL) wins over the object's own; it defaults to `default`.
   * Throws 409 AlreadyExists, 422 Invalid without a name.
   */
  createObject(resource: string | ResourceType, input: KubeObject, namespace?: string): StoredObject {
    const t = this.typeOf(resource);
    const b = this.bucket(t);
    const body = this.normalise(t, input);
    const meta = body.metadata as Record<string, unknown>;
    let name = typeof meta['name'] === 'string' ? meta['name'] : '';
    if (name === '' && typeof meta['generateName'] === 'string' && meta['generateName'] !== '') {
      name = this.generateName(meta['generateName']);
      meta['name'] = name;
    }
    if (name === '') throw invalid(t.plural, t.group, '', 'metadata.name', 'Required value: name or generateName is required');
    let ns = '';
    if (t.namespaced) {
      const own = typeof meta['namespace'] === 'string' && meta['namespace'] !== '' ? meta['namespace'] : undefined;
      if (namespace !== undefined && own !== undefined && own !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      ns = namespace ?? own ?? 'default';
      meta['namespace'] = ns;
    } else delete meta['namespace'];
    const key = keyOf(ns, name);
    if (b.objects.has(key)) throw alreadyExists(t.plural, t.group, name);
    if (typeof meta['uid'] !== 'string' || meta['uid'] === '') meta['uid'] = randomUUID();
    if (typeof meta['creationTimestamp'] !== 'string') meta['creationTimestamp'] = kubeTime(this.now());
    return this.commit(b, 'ADDED', key, ns, body, undefined);
  }

  private current(t: ResourceType, b: Bucket, namespace: string, name: string): StoredObject {
    const cur = b.objects.get(keyOf(namespace, name));
    if (!cur) throw notFound(t.plural, t.group, name);
    return cur;
  }

  private checkPreconditions(t: ResourceType, cur: StoredObject, name: string, pre: Preconditions): void {
    if (pre.resourceVersion !== undefined && pre.resourceVersion !== '' && pre.resourceVersion !== String(cur.rv)) {
      throw conflict(t.plural, t.group, name);
    }
    const uid = metaOf(cur.obj)['uid'];
    if (pre.uid !== undefined && pre.uid !== '' && pre.uid !== uid) {
      throw new ApiError(
        status(
          409,
          'Conflict',
          `Operation cannot be fulfilled on ${t.plural} "${name}": Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${String(uid)}`,
          {
            name,
            group: t.group,
            kind: t.plural,
          },
        ),
      );
    }
  }

  /**
   * Replaces an object (PUT). A non-empty `metadata.resourceVersion` must equal the current one
   * (else 409 Conflict); `uid` and `creationTimestamp` are kept from the stored object.
   */
  updateObject(resource: string | ResourceType, input: KubeObject, ref?: ObjectRef): StoredObject {
    const t = this.typeOf(resource);
    const b = this.bucket(t);
    const body = this.normalise(t, input);
    const meta = body.metadata as Record<string, unknown>;
    const bodyName = typeof meta['name'] === 'string' ? meta['name'] : '';
    const target = ref === undefined ? refParts(t, { namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : 'default', name: bodyName }) : refParts(t, ref);
    if (bodyName !== '' && bodyName !== target.name) {
      throw badRequest(`the name of the object (${bodyName}) does not match the name on the URL (${target.name})`);
    }
    if (t.namespaced && typeof meta['namespace'] === 'string' && meta['namespace'] !== '' && meta['namespace'] !== target.namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    const cur = this.current(t, b, target.namespace, target.name);
    const pre: Preconditions = {};
    if (typeof meta['resourceVersion'] === 'string') pre.resourceVersion = meta['resourceVersion'];
    if (typeof meta['uid'] === 'string') pre.uid = meta['uid'];
    this.checkPreconditions(t, cur, target.name, pre);
    const old = metaOf(cur.obj);
    meta['name'] = target.name;
    if (t.namespaced) meta['namespace'] = target.namespace;
    else delete meta['namespace'];
    meta['uid'] = old['uid'];
    meta['creationTimestamp'] = old['creationTimestamp'];
    return this.commit(b, 'MODIFIED', cur.key, cur.namespace, body, cur);
  }

  /**
   * Patches an object: `merge` (JSON merge patch; also used for strategic merge) or `json`
   * (RFC 6902). A `metadata.resourceVersion` in a merge patch is a precondition.
   */
  patchObject(resource: string | ResourceType, ref: ObjectRef, patch: unknown, kind: 'merge' | 'json' = 'merge'): StoredObject {
    const t = this.typeOf(resource);
    const b = this.bucket(t);
    const { namespace, name } = refParts(t, ref);
    const cur = this.current(t, b, namespace, name);
    const base = this.view(cur, t).obj;
    let patched: unknown;
    if (kind === 'json') {
      patched = jsonPatch(base, patch);
    } else {
      if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) throw badRequest('a merge patch must be a JSON object');
      patched = mergePatch(base, patch);
    }
    if (patched === null || typeof patched !== 'object' || Array.isArray(patched)) throw badRequest('the patched object is not a JSON object');
    const meta = metaOf(patched as KubeObject);
    if (meta['name'] !== undefined && meta['name'] !== name) throw badRequest('the patch must not change metadata.name');
    // An unchanged resourceVersion means "no precondition"; a changed one must match (it won't).
    return this.updateObject(t, patched as KubeObject, { namespace, name });
  }

  /** Deletes an object; the returned version carries the deletion revision. 404 when absent. */
  deleteObject(resource: string | ResourceType, ref: ObjectRef, pre: Preconditions = {}): StoredObject {
    const t = this.typeOf(resource);
    const b = this.bucket(t);
    const { namespace, name } = refParts(t, ref);
    const cur = this.current(t, b, namespace, name);
    this.checkPreconditions(t, cur, name, pre);
    const body = JSON.parse(cur.json) as KubeObject;
    return this.commit(b, 'DELETED', cur.key, cur.namespace, body, cur);
  }

  /** The stored version of an object, or throws 404. */
  getObject(resource: string | ResourceType, ref: ObjectRef): StoredObject {
    const t = this.typeOf(resource);
    const { namespace, name } = refParts(t, ref);
    return this.current(t, this.bucket(t), namespace, name);
  }

  /** Finds the stored version of an object, or undefined. */
  findObject(resource: string | ResourceType, ref: ObjectRef): StoredObject | undefined {
    const t = this.typeOf(resource);
    const { namespace, name } = refParts(t, ref);
    return this.bucket(t).objects.get(keyOf(namespace, name));
  }

  // ---------------------------------------------------- convenience (copies)

  /** Creates an object; returns a copy of what was stored (as served for `resource`). */
  create(resource: string, obj: KubeObject): KubeObject {
    const t = resolveResource(resource);
    return this.copy(this.createObject(t, obj), t);
  }

  /** Replaces an object (optimistic concurrency on `metadata.resourceVersion`); returns a copy. */
  update(resource: string, obj: KubeObject): KubeObject {
    const t = resolveResource(resource);
    return this.copy(this.updateObject(t, obj), t);
  }

  /** Merge-patches (or JSON-patches) an object; returns a copy. */
  patch(resource: string, ref: ObjectRef, patch: unknown, kind: 'merge' | 'json' = 'merge'): KubeObject {
    const t = resolveResource(resource);
    return this.copy(this.patchObject(t, ref, patch, kind), t);
  }

  /** Deletes an object; returns a copy of its last state. */
  delete(resource: string, ref: ObjectRef, pre: Preconditions = {}): KubeObject {
    const t = resolveResource(resource);
    return this.copy(this.deleteObject(t, ref, pre), t);
  }

  /** A copy of an object, or throws 404. */
  get(resource: string, ref: ObjectRef): KubeObject {
    const t = resolveResource(resource);
    return this.copy(this.getObject(t, ref), t);
  }

  /** Copies of the current objects (sorted by key), optionally in one namespace and filtered. */
  list(resource: string, opts: { namespace?: string; filter?: Predicate } = {}): { items: KubeObject[]; resourceVersion: string } {
    const t = resolveResource(resource);
    const items: KubeObject[] = [];
    for (const s of this.snapshot(t, this.rv)) {
      if (opts.namespace !== undefined && s.namespace !== opts.namespace) continue;
      const v = this.view(s, t);
      if (opts.filter && !opts.filter(v.obj)) continue;
      items.push(JSON.parse(v.json) as KubeObject);
    }
    return { items, resourceVersion: String(this.rv) };
  }

  private copy(s: StoredObject, t: ResourceType): KubeObject {
    return JSON.parse(this.view(s, t).json) as KubeObject;
  }

  // ------------------------------------------------------ history and watch

  /** Drops history up to `toRv` (default: the current revision). Older watches/continues get 410. */
  compact(toRv: number = this.rv): void {
    const target = Math.min(Math.max(0, Math.floor(toRv)), this.rv);
    if (target <= this.compacted) return;
    this.compacted = target;
    for (const b of this.buckets.values()) this.trim(b);
    for (const k of [...this.snapshots.keys()]) {
      const at = Number(k.slice(k.lastIndexOf('@') + 1));
      if (at < target) this.snapshots.delete(k);
    }
  }

  /** Throws 410 Expired when `rv` is older than the compaction point. */
  assertNotCompacted(rv: number): void {
    if (rv < this.compacted) throw tooOldResourceVersion(rv, this.compacted);
  }

  /** The retained changes of `t`'s storage after `rv`, oldest first. Throws 410 if compacted. */
  changesSince(resource: string | ResourceType, rv: number): Change[] {
    const b = this.bucket(this.typeOf(resource));
    this.assertNotCompacted(rv);
    const start = lowerBoundRv(b.history, b.head, rv);
    return b.history.slice(start);
  }

  /** Registers a listener for live changes to `t`'s storage; returns the unsubscribe function. */
  subscribe(resource: string | ResourceType, listener: ChangeListener): () => void {
    const b = this.bucket(this.typeOf(resource));
    b.listeners.add(listener);
    return () => b.listeners.delete(listener);
  }

  /**
   * From now on, keeps changes from watch listeners until {@link releaseHeld} (reads, lists and
   * history see them at once). Benchmarks use it to generate events before a timed window and
   * then stream them at the cost of the watch alone.
   */
  holdNotifications(): void {
    this.held ??= [];
  }

  /**
   * Delivers up to `max` held changes to the listeners, in commit order; when none are left,
   * notifications flow directly again. Returns how many are still held.
   */
  releaseHeld(max = Number.POSITIVE_INFINITY): number {
    const held = this.held;
    if (!held) return 0;
    const n = Math.min(max, held.length);
    const batch = held.splice(0, n);
    if (held.length === 0) this.held = undefined;
    for (const { b, change } of batch) for (const l of b.listeners) l(change);
    return this.held?.length ?? 0;
  }

  /** Number of live listeners across all buckets. */
  get listenerCount(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.listeners.size;
    return n;
  }

  /**
   * Every object of `t`'s storage as of revision `rv`, sorted by key (namespace/name). Rebuilt
   * from the current state by undoing later changes; cached, since a revision never changes.
   * Throws 410 when `rv` is compacted.
   */
  snapshot(resource: string | ResourceType, rv: number): readonly StoredObject[] {
    const b = this.bucket(this.typeOf(resource));
    this.assertNotCompacted(rv);
    // The state at rv equals the state at the bucket's last change at or before rv.
    const later = lowerBoundRv(b.history, b.head, rv);
    const effective = later === b.history.length ? b.lastRv : rv;
    const cacheKey = `${resourceId(b.type)}@${effective}`;
    const hit = this.snapshots.get(cacheKey);
    if (hit) {
      this.snapshots.delete(cacheKey);
      this.snapshots.set(cacheKey, hit);
      return hit;
    }
    const state = new Map(b.objects);
    for (let i = b.history.length - 1; i >= later; i--) {
      const c = b.history[i]!;
      if (c.type === 'ADDED') state.delete(c.key);
      else if (c.prev) state.set(c.key, c.prev);
    }
    const items = [...state.values()].sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
    this.snapshots.set(cacheKey, items);
    if (this.snapshots.size > SNAPSHOT_CACHE) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest !== undefined) this.snapshots.delete(oldest);
    }
    return items;
  }

  /** Number of current objects of a resource. */
  count(resource: string): number {
    return this.bucket(resolveResource(resource)).objects.size;
  }
}
