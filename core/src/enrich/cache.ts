/**
 * A bounded lookup cache: LRU with a max entry count, TTL expiry, brief negative caching of
 * "not there" answers, and request coalescing (concurrent misses for one key share one load),
 * so a burst of 1,000 events about one pod makes one GET.
 */

/** Options of {@link createLookupCache}. */
export interface LookupCacheOptions {
  /** Most entries kept; the least recently used one is evicted first. 0 disables storing (coalescing stays). */
  maxEntries: number;
  /** How long a loaded value stays fresh, in ms. */
  ttlMs: number;
  /**
   * How long a negative answer (see `isNegative`) is cached, in ms.
   * @default Math.min(ttlMs, 5000)
   */
  negativeTtlMs?: number;
  /**
   * Which load failures are answers worth caching briefly (the object is not there) rather than
   * transient failures to retry on the next lookup.
   * @default an error whose numeric `status` is 404
   */
  isNegative?: (err: unknown) => boolean;
  /** Clock in ms. @default Date.now */
  now?: () => number;
}

/** Counters of one cache. */
export interface LookupCacheStats {
  /** Lookups answered from a fresh entry (negative entries included). */
  hits: number;
  /** Of `hits`, answered from a cached negative entry. */
  negativeHits: number;
  /** Lookups that started a load. */
  misses: number;
  /** Lookups that joined a load already in flight. */
  coalesced: number;
  /** Entries dropped to stay within `maxEntries`. */
  evictions: number;
  /** Entries stored now (fresh or not yet noticed as expired). */
  size: number;
  /** Loads in flight now. */
  inFlight: number;
}

/** A cache of values loaded by key. */
export interface LookupCache<V> {
  /**
   * The fresh cached value for `key`; else joins the load in flight for `key`; else calls
   * `load()` once and caches its outcome (a value, or a negative error). Rejects with the
   * load's error (or the cached negative one).
   */
  get(key: string, load: () => Promise<V>): Promise<V>;
  /** The fresh cached value, without loading or touching recency; undefined when absent, expired or negative. */
  peek(key: string): V | undefined;
  /** Stores a value (e.g. one learned from a watch). */
  set(key: string, value: V): void;
  /** Forgets `key`; a load in flight for it still answers its callers but is not stored. */
  delete(key: string): void;
  /** Forgets everything. */
  clear(): void;
  stats(): LookupCacheStats;
}

type Entry<V> = { ok: true; value: V; expiresAt: number } | { ok: false; error: unknown; expiresAt: number };

/** An error with a numeric `status` equal to 404. */
export function isNotFound(err: unknown): boolean {
  return statusOf(err) === 404;
}

/** The numeric HTTP `status` an error carries, if any. */
export function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const status = (err as { status?: unknown }).status;
  return typeof status === 'number' ? status : undefined;
}

/** Creates a {@link LookupCache}. */
export function createLookupCache<V>(options: LookupCacheOptions): LookupCache<V> {
  const maxEntries = Math.max(0, Math.floor(options.maxEntries));
  const ttlMs = Math.max(0, options.ttlMs);
  const negativeTtlMs = Math.max(0, options.negativeTtlMs ?? Math.min(ttlMs, 5000));
  const isNegative = options.isNegative ?? isNotFound;
  const now = options.now ?? Date.now;

  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const entries = new Map<string, Entry<V>>();
  const inFlight = new Map<string, Promise<V>>();
  const counters = { hits: 0, negativeHits: 0, misses: 0, coalesced: 0, evictions: 0 };

  const store = (key: string, entry: Entry<V>): void => {
    if (maxEntries === 0 || entry.expiresAt <= now()) return;
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxEntries) {
      const oldest = entries.keys().next().value as string;
      entries.delete(oldest);
      counters.evictions++;
    }
  };

  /** The fresh entry for `key` (expired ones are dropped). */
  const fresh = (key: string): Entry<V> | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };

  return {
    get(key, load) {
      const entry = fresh(key);
      if (entry !== undefined) {
        counters.hits++;
        entries.delete(key);
        entries.set(key, entry);
        if (entry.ok) return Promise.resolve(entry.value);
        counters.negativeHits++;
        return Promise.reject(entry.error);
      }
      const pending = inFlight.get(key);
      if (pending !== undefined) {
        counters.coalesced++;
        return pending;
      }
      counters.misses++;
      // `load` starts on the next microtask, so the handlers below always see `promise` assigned.
      const promise: Promise<V> = Promise.resolve()
        .then(load)
        .then(
          (value) => {
            if (inFlight.get(key) === promise) {
              inFlight.delete(key);
              store(key, { ok: true, value, expiresAt: now() + ttlMs });
            }
            return value;
          },
          (error: unknown) => {
            if (inFlight.get(key) === promise) {
              inFlight.delete(key);
              if (isNegative(error)) store(key, { ok: false, error, expiresAt: now() + negativeTtlMs });
            }
            throw error;
          },
        );
      inFlight.set(key, promise);
      return promise;
    },
    peek(key) {
      const entry = fresh(key);
      return entry?.ok ? entry.value : undefined;
    },
    set(key, value) {
      inFlight.delete(key);
      store(key, { ok: true, value, expiresAt: now() + ttlMs });
    },
    delete(key) {
      entries.delete(key);
      inFlight.delete(key);
    },
    clear() {
      entries.clear();
      inFlight.clear();
    },
    stats() {
      return { ...counters, size: entries.size, inFlight: inFlight.size };
    },
  };
}
