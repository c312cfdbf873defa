import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startIdleGc } from './idle-gc.js';
import type { IdleGc, IdleGcOptions } from './idle-gc.js';

describe('startIdleGc', () => {
  let heap = 0;
  let collections: number[] = [];
  let idle: IdleGc | null = null;

  beforeEach(() => {
    vi.useFakeTimers();
    heap = 20 << 20;
    collections = [];
  });
  afterEach(() => {
    idle?.stop();
    idle = null;
    vi.useRealTimers();
  });

  const start = (extra: Partial<IdleGcOptions> = {}): IdleGc => {
    idle = startIdleGc({
      idleMs: 1000,
      minGrowthBytes: 2 << 20,
      now: () => Date.now(),
      heapBytes: () => heap,
      gc: (options) => {
        expect(options).toEqual({ type: 'major', execution: 'sync', flavor: 'last-resort' });
        collections.push(Date.now());
        heap = 10 << 20;
      },
      ...extra,
    });
    return idle;
  };

  it('collects once, idleMs after the last activity, and never before any', () => {
    const gc = start();
    vi.advanceTimersByTime(5000);
    expect(collections).toEqual([]); // no work yet: nothing to give back
    const t0 = Date.now();
    gc.activity();
    vi.advanceTimersByTime(600);
    gc.activity(); // work keeps arriving: the quiet period starts again
    vi.advanceTimersByTime(999);
    expect(collections).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(collections).toEqual([t0 + 1600]);
    vi.advanceTimersByTime(10_000);
    expect(collections).toHaveLength(1); // once per quiet period
  });

  it('collects in a later quiet period only if the heap grew by minGrowthBytes since the last collection', () => {
    const gc = start();
    gc.activity();
    vi.advanceTimersByTime(1000);
    expect(collections).toHaveLength(1);
    heap += 1 << 20; // sparse work: a little growth
    gc.activity();
    vi.advanceTimersByTime(1000);
    expect(collections).toHaveLength(1);
    heap += 2 << 20;
    gc.activity();
    vi.advanceTimersByTime(1000);
    expect(collections).toHaveLength(2);
  });

  it('reports each collection, and stops', () => {
    const reports: { heapBefore: number; heapAfter: number }[] = [];
    const gc = start({ onCollect: ({ heapBefore, heapAfter }) => reports.push({ heapBefore, heapAfter }) });
    gc.activity();
    vi.advanceTimersByTime(1000);
    expect(reports).toEqual([{ heapBefore: 20 << 20, heapAfter: 10 << 20 }]);
    heap = 40 << 20;
    gc.activity();
    gc.stop();
    vi.advanceTimersByTime(10_000);
    expect(collections).toHaveLength(1);
  });
});
