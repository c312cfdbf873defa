import { describe, expect, it } from 'vitest';
import type { DispatchItem } from './types.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { silentLogger } from '../util/logger.js';
import { createMemoryQueue } from './queue.js';

function items(n: number, outcomes: string[] = []): DispatchItem[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `e${i}`,
    record: {},
    json: '{}',
    timestamp: null,
    done: (outcome: string) => void outcomes.push(`e${i}:${outcome}`),
  }));
}

const settledFlag = (p: Promise<unknown>) => {
  const state = { settled: false, rejected: null as unknown };
  p.then(
    () => (state.settled = true),
    (err: unknown) => {
      state.settled = true;
      state.rejected = err;
    },
  );
  return state;
};
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('memory queue', () => {
  it('is full at maxEvents or maxBytes, counting until completion', () => {
    const q = createMemoryQueue({ maxEvents: 3, maxBytes: 100 }, silentLogger);
    q.add(10);
    q.add(10);
    expect(q.full()).toBe(false);
    q.add(10);
    expect(q.full()).toBe(true);
    expect([q.added, q.completed, q.pending, q.queuedBytes]).toEqual([3, 0, 3, 30]);
    q.complete(items(1), 10, 'acked', 'b1');
    expect(q.full()).toBe(false);
    expect([q.completed, q.pending, q.queuedBytes]).toEqual([1, 2, 20]);

    const bytes = createMemoryQueue({ maxEvents: 100, maxBytes: 25 }, silentLogger);
    bytes.add(20);
    expect(bytes.full()).toBe(false);
    bytes.add(5);
    expect(bytes.full()).toBe(true);
  });

  it('hands out one room promise per full episode, resolved once a completion frees room', async () => {
    const q = createMemoryQueue({ maxEvents: 2, maxBytes: 1e9 }, silentLogger);
    q.add(1);
    q.add(1);
    q.add(1);
    const room = q.room();
    expect(q.room()).toBe(room);
    const state = settledFlag(room);
    q.complete(items(1), 1, 'acked', null); // 2 pending: still full
    await tick();
    expect(state.settled).toBe(false);
    q.complete(items(1), 1, 'acked', null);
    await tick();
    expect(state.settled).toBe(true);
    q.add(1);
    q.add(1);
    expect(q.room()).not.toBe(room);
  });

  it('wakeProducers resolves the room promise even when still full', async () => {
    const q = createMemoryQueue({ maxEvents: 1, maxBytes: 1e9 }, silentLogger);
    q.add(1);
    const state = settledFlag(q.room());
    q.wakeProducers();
    await tick();
    expect(state.settled).toBe(true);
    expect(q.full()).toBe(true);
  });

  it('runs done callbacks in order; a throwing one is logged once per batch and stops nothing', () => {
    const { logger, lines } = recordingLogger();
    const q = createMemoryQueue({ maxEvents: 10, maxBytes: 1e9 }, logger);
    const outcomes: string[] = [];
    const batch = items(4, outcomes);
    batch[1]!.done = () => {
      throw new Error('bad');
    };
    batch[2]!.done = () => {
      throw new Error('worse');
    };
    for (const _ of batch) q.add(2);
    q.complete(batch, 8, 'deadlettered', 'b7');
    expect(outcomes).toEqual(['e0:deadlettered', 'e3:deadlettered']);
    expect(lines).toEqual([{ level: 'error', msg: 'done callbacks threw', fields: { batchId: 'b7', count: 4, errors: 2 } }]);
    expect([q.completed, q.queuedBytes]).toEqual([4, 0]);
  });

  it('whenCompleted resolves once the first N items completed; failWaiters rejects the rest', async () => {
    const q = createMemoryQueue({ maxEvents: 10, maxBytes: 1e9 }, silentLogger);
    for (let i = 0; i < 4; i++) q.add(1);
    await expect(q.whenCompleted(0)).resolves.toBeUndefined();
    const two = settledFlag(q.whenCompleted(2));
    const four = settledFlag(q.whenCompleted(4));
    q.complete(items(1), 1, 'acked', null);
    await tick();
    expect(two.settled).toBe(false);
    q.complete(items(1), 1, 'acked', null);
    await tick();
    expect(two).toEqual({ settled: true, rejected: null });
    expect(four.settled).toBe(false);
    const error = new Error('closed');
    q.failWaiters(error);
    await tick();
    expect(four).toEqual({ settled: true, rejected: error });
  });

  it('free frees room and wakes producers and waiters without running any callback', async () => {
    const q = createMemoryQueue({ maxEvents: 2, maxBytes: 1e9 }, silentLogger);
    q.add(5);
    q.add(5);
    q.add(5);
    const room = settledFlag(q.room());
    const two = settledFlag(q.whenCompleted(2));
    q.free(1, 5); // 2 pending: still full
    await tick();
    expect([room.settled, two.settled]).toEqual([false, false]);
    q.free(1, 5);
    await tick();
    expect([room.settled, two.settled]).toEqual([true, true]);
    expect([q.added, q.completed, q.pending, q.queuedBytes]).toEqual([3, 2, 1, 5]);
  });
});
