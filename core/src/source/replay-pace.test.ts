import { afterEach, describe, expect, it, vi } from 'vitest';
import { createPacer } from './replay-pace.js';

afterEach(() => {
  vi.useRealTimers();
});

const never = new AbortController().signal;

describe('createPacer', () => {
  it('sizes chunks for about 20 per second, between 1 and the maximum', () => {
    expect(createPacer(null, never, 256).chunkSize).toBe(256);
    expect(createPacer(1, never, 256).chunkSize).toBe(1);
    expect(createPacer(20, never, 256).chunkSize).toBe(1);
    expect(createPacer(100, never, 256).chunkSize).toBe(5);
    expect(createPacer(1000, never, 256).chunkSize).toBe(50);
    expect(createPacer(1_000_000, never, 256).chunkSize).toBe(256);
  });

  it('unpaced: resolves at once, false after abort', async () => {
    const ac = new AbortController();
    const pacer = createPacer(null, ac.signal, 256);
    expect(await pacer.wait(256)).toBe(true);
    ac.abort();
    expect(await pacer.wait(256)).toBe(false);
  });

  it('schedules from the start, so timer lateness does not accumulate', async () => {
    vi.useFakeTimers();
    const pacer = createPacer(100, never, 256); // 5 per chunk, one chunk per 50 ms
    const t0 = Date.now();
    const times: number[] = [];
    const run = (async () => {
      for (let i = 0; i < 4; i++) {
        await pacer.wait(5);
        times.push(Date.now() - t0);
        if (i === 1) vi.setSystemTime(Date.now() + 30); // the consumer took 30 ms
      }
    })();
    await vi.runAllTimersAsync();
    await run;
    expect(times).toEqual([0, 50, 100, 150]);
  });

  it('does not burst to catch up after falling more than a second behind', async () => {
    vi.useFakeTimers();
    const pacer = createPacer(10, never, 256); // one per 100 ms
    const t0 = Date.now();
    await pacer.wait(1);
    vi.setSystemTime(t0 + 5000); // consumer stalled for 5 s
    await pacer.wait(1); // goes at once and restarts the schedule
    expect(Date.now() - t0).toBe(5000);
    const third = pacer.wait(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(await third).toBe(true);
    expect(Date.now() - t0).toBe(5100);
  });

  it('returns false as soon as the signal aborts during a wait', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    const pacer = createPacer(1, ac.signal, 256);
    await pacer.wait(1);
    const waiting = pacer.wait(1);
    ac.abort();
    expect(await waiting).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });
});
