import { describe, expect, it } from 'vitest';
import { mergeBatches } from './merge.js';
import { BoundedQueue } from '../../kube/queue.js';

describe('mergeBatches', () => {
  it('interleaves producers as they deliver and ends when all end', async () => {
    const a = new BoundedQueue<string>(10);
    const b = new BoundedQueue<string>(10);
    const out: string[] = [];
    const run = (async () => {
      for await (const { index, items } of mergeBatches([(n) => a.take(n), (n) => b.take(n)], 10)) out.push(...items.map((i) => `${index}:${i}`));
    })();
    await b.push('x');
    await a.push('y');
    a.end();
    await b.push('z');
    b.end();
    await run;
    expect(out.sort()).toEqual(['0:y', '1:x', '1:z']);
  });

  it('throws the first producer error', async () => {
    const a = new BoundedQueue<string>(10);
    const never = new BoundedQueue<string>(10);
    a.end(new Error('startup failed'));
    const run = (async () => {
      for await (const _ of mergeBatches([(n) => a.take(n), (n) => never.take(n)], 10)) void _;
    })();
    await expect(run).rejects.toThrow('startup failed');
    never.end();
  });
});
