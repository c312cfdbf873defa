import { describe, expect, it } from 'vitest';
import { createLookupCache, isNotFound, statusOf } from './cache.js';

/** A manual clock. */
function clock(start = 1_000) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

function httpError(status: number): Error & { status: number } {
  return Object.assign(new Error(`HTTP ${status}`), { status });
}

/** A deferred promise, to hold a load in flight. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('createLookupCache', () => {
  it('loads once and answers from the cache while fresh', async () => {
    const c = clock();
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 1000, now: c.now });
    let loads = 0;
    const load = async () => `v${++loads}`;
    expect(await cache.get('a', load)).toBe('v1');
    c.advance(999);
    expect(await cache.get('a', load)).toBe('v1');
    expect(cache.stats()).toEqual({ hits: 1, negativeHits: 0, misses: 1, coalesced: 0, evictions: 0, size: 1, inFlight: 0 });
  });

  it('reloads after the TTL expires (injected clock)', async () => {
    const c = clock();
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 1000, now: c.now });
    let loads = 0;
    const load = async () => `v${++loads}`;
    await cache.get('a', load);
    c.advance(1000);
    expect(cache.peek('a')).toBeUndefined();
    expect(await cache.get('a', load)).toBe('v2');
    expect(cache.stats().misses).toBe(2);
    expect(cache.stats().hits).toBe(0);
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    const cache = createLookupCache<string>({ maxEntries: 2, ttlMs: 60_000 });
    const loaded: string[] = [];
    const load = (key: string) => async () => {
      loaded.push(key);
      return key.toUpperCase();
    };
    await cache.get('a', load('a'));
    await cache.get('b', load('b'));
    await cache.get('a', load('a')); // a is now the most recently used
    await cache.get('c', load('c')); // evicts b
    expect(cache.peek('a')).toBe('A');
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('c')).toBe('C');
    await cache.get('b', load('b'));
    expect(loaded).toEqual(['a', 'b', 'c', 'b']);
    expect(cache.stats()).toMatchObject({ evictions: 2, size: 2 });
  });

  it('coalesces concurrent misses for one key into one load', async () => {
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 60_000 });
    const pending = deferred<string>();
    let loads = 0;
    const load = () => {
      loads++;
      return pending.promise;
    };
    const all = Array.from({ length: 1000 }, () => cache.get('pod', load));
    expect(cache.stats().inFlight).toBe(1);
    pending.resolve('the pod');
    expect(await Promise.all(all)).toEqual(Array.from({ length: 1000 }, () => 'the pod'));
    expect(loads).toBe(1);
    expect(cache.stats()).toMatchObject({ misses: 1, coalesced: 999, hits: 0, inFlight: 0, size: 1 });
  });

  it('shares a failed load with every waiter and does not cache a transient failure', async () => {
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 60_000 });
    let loads = 0;
    const failing = async () => {
      loads++;
      throw httpError(500);
    };
    const results = await Promise.allSettled([cache.get('x', failing), cache.get('x', failing)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect(loads).toBe(1);
    await expect(cache.get('x', failing)).rejects.toMatchObject({ status: 500 });
    expect(loads).toBe(2);
    expect(cache.stats().size).toBe(0);
  });

  it('caches a 404 briefly (negative entry), then asks again', async () => {
    const c = clock();
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 60_000, negativeTtlMs: 5000, now: c.now });
    let loads = 0;
    const gone = async (): Promise<string> => {
      loads++;
      throw httpError(404);
    };
    await expect(cache.get('pod', gone)).rejects.toMatchObject({ status: 404 });
    c.advance(4999);
    await expect(cache.get('pod', gone)).rejects.toMatchObject({ status: 404 });
    expect(loads).toBe(1);
    expect(cache.stats()).toMatchObject({ hits: 1, negativeHits: 1, misses: 1 });
    expect(cache.peek('pod')).toBeUndefined();
    c.advance(1);
    await expect(cache.get('pod', gone)).rejects.toMatchObject({ status: 404 });
    expect(loads).toBe(2);
  });

  it('uses isNegative to choose which failures are cached', async () => {
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 60_000, isNegative: (err) => statusOf(err) === 403 });
    let loads = 0;
    const denied = async (): Promise<string> => {
      loads++;
      throw httpError(403);
    };
    await expect(cache.get('a', denied)).rejects.toThrow('HTTP 403');
    await expect(cache.get('a', denied)).rejects.toThrow('HTTP 403');
    expect(loads).toBe(1);
  });

  it('a load that throws synchronously rejects its callers and leaves nothing in flight', async () => {
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 60_000 });
    const load = (): Promise<string> => {
      throw httpError(404);
    };
    await expect(cache.get('a', load)).rejects.toMatchObject({ status: 404 });
    expect(cache.stats()).toMatchObject({ inFlight: 0, size: 1 });
  });

  it('delete during a load answers the callers but does not store the stale value', async () => {
    const cache = createLookupCache<string>({ maxEntries: 10, ttlMs: 60_000 });
    const pending = deferred<string>();
    const first = cache.get('a', () => pending.promise);
    cache.delete('a');
    pending.resolve('old');
    expect(await first).toBe('old');
    expect(cache.peek('a')).toBeUndefined();
    cache.set('a', 'new');
    expect(await cache.get('a', () => Promise.resolve('loaded'))).toBe('new');
  });

  it('maxEntries 0 stores nothing but still coalesces', async () => {
    const cache = createLookupCache<string>({ maxEntries: 0, ttlMs: 60_000 });
    const pending = deferred<string>();
    let loads = 0;
    const load = () => {
      loads++;
      return pending.promise;
    };
    const both = Promise.all([cache.get('a', load), cache.get('a', load)]);
    pending.resolve('v');
    expect(await both).toEqual(['v', 'v']);
    await cache.get('a', async () => 'again');
    expect(loads).toBe(1);
    expect(cache.stats()).toMatchObject({ size: 0, misses: 2, coalesced: 1 });
  });

  it('clear forgets everything', async () => {
    const cache = createLookupCache<number>({ maxEntries: 10, ttlMs: 60_000 });
    await cache.get('a', async () => 1);
    cache.clear();
    expect(cache.stats().size).toBe(0);
    expect(await cache.get('a', async () => 2)).toBe(2);
  });
});

describe('statusOf / isNotFound', () => {
  it('reads a numeric status only', () => {
    expect(statusOf(httpError(404))).toBe(404);
    expect(statusOf({ status: '404' })).toBeUndefined();
    expect(statusOf(null)).toBeUndefined();
    expect(isNotFound(httpError(404))).toBe(true);
    expect(isNotFound(httpError(403))).toBe(false);
  });
});
