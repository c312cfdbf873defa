import { describe, expect, it } from 'vitest';
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
});
