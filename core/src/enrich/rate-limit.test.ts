import { describe, expect, it } from 'vitest';
import { createTokenBucket } from './rate-limit.js';

/** A manual clock whose sleep records the wait and moves time forward by it. */
function fakeTime() {
  let t = 0;
  const sleeps: number[] = [];
  return {
    now: () => t,
    advance: (ms: number) => void (t += ms),
    sleeps,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
    },
  };
}

describe('createTokenBucket', () => {
  it('lets a burst through at once, then spaces callers at 1/qps, in call order', async () => {
    const time = fakeTime();
    const bucket = createTokenBucket({ qps: 2, burst: 3, now: time.now, sleep: time.sleep });
    await Promise.all(Array.from({ length: 6 }, () => bucket.take()));
    // 3 from the burst; then reservations 500, 1000, 1500 ms from now.
    expect(time.sleeps).toEqual([500, 1000, 1500]);
    expect(bucket.stats()).toEqual({ taken: 6, waited: 3, waitedMs: 3000 });
  });

  it('refills with time, up to the burst', async () => {
    const time = fakeTime();
    const bucket = createTokenBucket({ qps: 10, burst: 2, now: time.now, sleep: time.sleep });
    await bucket.take();
    await bucket.take();
    time.advance(100); // one token back
    await bucket.take();
    expect(time.sleeps).toEqual([]);
    await bucket.take();
    expect(time.sleeps).toEqual([100]);
    time.advance(10_000); // a long quiet period refills to the burst only
    await bucket.take();
    await bucket.take();
    await bucket.take();
    expect(time.sleeps).toEqual([100, 100]);
  });

  it('an aborted waiter gives its token back', async () => {
    const time = fakeTime();
    const bucket = createTokenBucket({ qps: 1, burst: 1, now: time.now, sleep: time.sleep });
    await bucket.take();
    const controller = new AbortController();
    controller.abort(new Error('stop'));
    await expect(bucket.take(controller.signal)).rejects.toThrow('stop');
    expect(time.sleeps).toEqual([]);
    await bucket.take();
    expect(time.sleeps).toEqual([1000]);
  });

  it('gives the token back when aborted while waiting', async () => {
    const time = fakeTime();
    const controller = new AbortController();
    const bucket = createTokenBucket({
      qps: 1,
      burst: 1,
      now: time.now,
      sleep: async (ms, signal) => {
        time.sleeps.push(ms);
        if (signal) {
          controller.abort(new Error('shutdown'));
          throw signal.reason;
        }
      },
    });
    await bucket.take();
    await expect(bucket.take(controller.signal)).rejects.toThrow('shutdown');
    expect(time.sleeps).toEqual([1000]);
    expect(bucket.stats()).toEqual({ taken: 1, waited: 0, waitedMs: 0 });
    time.advance(1000); // refills the token the first take used; the aborted one was returned
    await bucket.take();
    expect(time.sleeps).toEqual([1000]);
  });

  it('waits for real with the default sleep', async () => {
    const bucket = createTokenBucket({ qps: 50, burst: 1 });
    const started = performance.now();
    await bucket.take();
    await bucket.take();
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(bucket.stats().waited).toBe(1);
  });

  it('qps Infinity never waits; qps 0 is refused', async () => {
    const time = fakeTime();
    const bucket = createTokenBucket({ qps: Infinity, burst: 1, now: time.now, sleep: time.sleep });
    await Promise.all(Array.from({ length: 100 }, () => bucket.take()));
    expect(time.sleeps).toEqual([]);
    expect(() => createTokenBucket({ qps: 0, burst: 1 })).toThrow('qps must be > 0, got 0');
  });
});
