import { afterEach, describe, expect, it, vi } from 'vitest';
import { MAX_SLEEP_MS, sleep } from './sleep.js';

afterEach(() => {
  vi.useRealTimers();
});

/** True once `p` has settled (after letting microtasks run). */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await vi.advanceTimersByTimeAsync(0);
  return done;
}

describe('sleep', () => {
  it('resolves after the delay, not before', async () => {
    vi.useFakeTimers();
    const p = sleep(1000, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(999);
    expect(await settled(p)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settled(p)).toBe(true);
    await expect(p).resolves.toBeUndefined();
  });

  it('works without a signal', async () => {
    vi.useFakeTimers();
    const p = sleep(50);
    await vi.advanceTimersByTimeAsync(50);
    await expect(p).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resolves (does not reject) as soon as the signal aborts, leaving no timer and no listener', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    const added = vi.spyOn(ac.signal, 'addEventListener');
    const removed = vi.spyOn(ac.signal, 'removeEventListener');
    const p = sleep(60_000, ac.signal);
    expect(vi.getTimerCount()).toBe(1);
    ac.abort(new Error('stop'));
    await expect(p).resolves.toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]?.[1]);
  });

  it('removes its abort listener when the delay elapses', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    const removed = vi.spyOn(ac.signal, 'removeEventListener');
    const p = sleep(10, ac.signal);
    await vi.advanceTimersByTimeAsync(10);
    await p;
    expect(removed).toHaveBeenCalledTimes(1);
  });

  it('resolves at once, without a timer, for an aborted signal', async () => {
    vi.useFakeTimers();
    const ac = new AbortController();
    ac.abort();
    const p = sleep(1000, ac.signal);
    expect(vi.getTimerCount()).toBe(0);
    expect(await settled(p)).toBe(true);
  });

  it('yields one event-loop turn for a non-positive delay, so a zero-backoff retry loop never starves I/O', async () => {
    for (const ms of [0, -5, Number.NaN]) {
      let io = false;
      setImmediate(() => (io = true));
      await sleep(ms);
      expect(io).toBe(true);
    }
  });

  it('caps the delay at the longest timer Node keeps, instead of firing after 1 ms', async () => {
    vi.useFakeTimers();
    const p = sleep(Number.POSITIVE_INFINITY);
    await vi.advanceTimersByTimeAsync(1000);
    expect(await settled(p)).toBe(false);
    await vi.advanceTimersByTimeAsync(MAX_SLEEP_MS);
    expect(await settled(p)).toBe(true);
  });
});
