import { describe, expect, it, vi } from 'vitest';
import { BoundedQueue } from './queue.js';

describe('BoundedQueue', () => {
  it('makes the producer wait while full, and takes what is buffered', async () => {
    const q = new BoundedQueue<number>(2);
    expect(await q.push(1)).toBe(true);
    expect(await q.push(2)).toBe(true);
    let third = false;
    const pending = q.push(3).then((ok) => (third = ok));
    await Promise.resolve();
    expect(third).toBe(false);
    expect(q.size).toBe(2);
    expect(await q.take(10)).toEqual([1, 2]);
    await pending;
    expect(third).toBe(true);
    expect(await q.take(10)).toEqual([3]);
  });

  it('bounds by weight: a heavy item waits for room, and one heavier than the capacity passes alone', async () => {
    const q = new BoundedQueue<number[]>(10, (page) => page.length);
    expect(q.offer([1, 2, 3, 4, 5, 6])).toBe(true);
    expect(q.offer([7, 8, 9, 10, 11])).toBe(false); // 6 + 5 > 10
    expect(q.offer([7, 8, 9, 10])).toBe(true); // 6 + 4 = 10
    expect(q.queuedWeight).toBe(10);
    let big = false;
    const pending = q.push(Array.from({ length: 25 }, (_, i) => i)).then((ok) => (big = ok));
    await Promise.resolve();
    expect(big).toBe(false);
    expect(await q.take(1)).toHaveLength(1);
    await Promise.resolve();
    expect(big).toBe(false); // 4 + 25 > 10: still waits
    expect(await q.take(1)).toHaveLength(1);
    await pending;
    expect(big).toBe(true); // alone in an empty queue
    expect(q.queuedWeight).toBe(25);
    expect(q.offer([1])).toBe(false);
  });

  it('waits for the first item, drains after end, then returns null', async () => {
    const q = new BoundedQueue<string>(4);
    const first = q.take(4);
    await q.push('a');
    expect(await first).toEqual(['a']);
    await q.push('b');
    q.end();
    expect(await q.push('c')).toBe(false);
    expect(await q.take(4)).toEqual(['b']);
    expect(await q.take(4)).toBeNull();
  });

  it('rethrows the end error after the items', async () => {
    const q = new BoundedQueue<number>(4);
    await q.push(1);
    q.end(new Error('boom'));
    expect(await q.take(1)).toEqual([1]);
    await expect(q.take(1)).rejects.toThrow('boom');
  });

  it('releases a waiting producer on end', async () => {
    const q = new BoundedQueue<number>(1);
    await q.push(1);
    const blocked = q.push(2);
    q.end();
    expect(await blocked).toBe(false);
  });

  it('takeWithin: items arriving within the linger time come in the same batch', async () => {
    vi.useFakeTimers();
    try {
      const q = new BoundedQueue<number>(16);
      await q.push(1);
      expect(await q.take(8)).toEqual([1]);
      const more = q.takeWithin(7, 10);
      await q.push(2);
      await q.push(3);
      await vi.advanceTimersByTimeAsync(10);
      expect(await more).toEqual([2, 3]);
      const none = q.takeWithin(7, 10);
      await vi.advanceTimersByTimeAsync(10);
      expect(await none).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('takeWithin stops lingering once the batch is full or the queue ends', async () => {
    const q = new BoundedQueue<number>(16);
    const full = q.takeWithin(2, 60_000); // never waits a minute: the second item completes it
    await q.push(1);
    await q.push(2);
    expect(await full).toEqual([1, 2]);
    const ended = q.takeWithin(8, 60_000);
    await q.push(3);
    q.end();
    expect(await ended).toEqual([3]);
  });
});
