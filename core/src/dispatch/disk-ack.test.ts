import { describe, expect, it } from 'vitest';
import type { DiskQueue } from './disk-queue/types.js';
import type { DispatchItem } from './types.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { silentLogger } from '../util/logger.js';
import { createDiskAcks } from './disk-ack.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A disk queue double that records `ack` calls; `gate` holds each ack until released. */
function fakeDisk(opts: { acked?: () => number; fail?: boolean } = {}) {
  const acks: number[] = [];
  let release: (() => void) | null = null;
  const queue = {
    stats: () => ({ acked: opts.acked?.() ?? 0 }),
    ack(seq: number) {
      acks.push(seq);
      return new Promise<void>((resolve, reject) => {
        release = () => (opts.fail === true ? reject(new Error('disk gone')) : resolve());
      });
    },
  } as unknown as DiskQueue;
  return { queue, acks, release: () => release?.() };
}

function item(id: string, outcomes: string[]): DispatchItem {
  return { id, json: '{}', timestamp: null, done: (outcome) => void outcomes.push(`${id}:${outcome}`) };
}

describe('disk buffer ack path', () => {
  it('calls the callers’ done callbacks per id in push order; replayed and forgotten records get none', () => {
    const outcomes: string[] = [];
    const acks = createDiskAcks(
      silentLogger,
      () => null,
      () => undefined,
    );
    const first = item('a', outcomes);
    const second = item('a', outcomes);
    second.done = (outcome) => void outcomes.push(`a(2):${outcome}`);
    const failed = item('b', outcomes);
    for (const i of [first, second, failed]) acks.register(i);
    acks.forget([failed]);
    acks.complete('a', 1, 'acked');
    acks.complete('b', 2, 'acked');
    acks.complete('a', 3, 'deadlettered');
    acks.complete('a', 4, 'acked'); // a replay: no callback left
    expect(outcomes).toEqual(['a:acked', 'a(2):deadlettered']);
  });

  it('logs a throwing done callback and still acks', async () => {
    const { logger, lines } = recordingLogger();
    const disk = fakeDisk();
    const acks = createDiskAcks(
      logger,
      () => disk.queue,
      () => undefined,
    );
    acks.register({
      id: 'a',
      json: '{}',
      timestamp: null,
      done: () => {
        throw new Error('bad');
      },
    });
    acks.complete('a', 1, 'acked');
    expect(lines).toEqual([{ level: 'error', msg: 'done callback threw', fields: { id: 'a', error: 'bad' } }]);
    expect(disk.acks).toEqual([1]);
  });

  it('acks up to the highest completed seq, one ack at a time, each seq at most once', async () => {
    const disk = fakeDisk();
    let notified = 0;
    const acks = createDiskAcks(
      silentLogger,
      () => disk.queue,
      () => void notified++,
    );
    acks.complete('a', 1, 'acked');
    expect(disk.acks).toEqual([1]);
    expect(acks.acking).not.toBeNull();
    acks.complete('b', 2, 'acked');
    acks.complete('c', 3, 'acked');
    acks.complete('old', 2, 'acked'); // lower seq: no new ack target
    expect(disk.acks).toEqual([1]);
    disk.release();
    await tick();
    expect(disk.acks).toEqual([1, 3]);
    disk.release();
    await tick();
    expect(disk.acks).toEqual([1, 3]);
    expect(acks.acking).toBeNull();
    expect(notified).toBeGreaterThanOrEqual(3);
  });

  it('does not ack before the queue is open', () => {
    const acks = createDiskAcks(
      silentLogger,
      () => null,
      () => undefined,
    );
    acks.complete('a', 1, 'acked');
    expect(acks.acking).toBeNull();
  });

  it('logs a failed ack and carries on', async () => {
    const { logger, lines } = recordingLogger();
    const disk = fakeDisk({ fail: true });
    const acks = createDiskAcks(
      logger,
      () => disk.queue,
      () => undefined,
    );
    acks.complete('a', 1, 'acked');
    disk.release();
    await tick();
    expect(lines).toEqual([{ level: 'error', msg: 'disk buffer ack failed', fields: { seq: 1, error: 'disk gone' } }]);
    expect(acks.acking).toBeNull();
  });

  it('counts completed records the queue had dropped meanwhile as delivered, not dropped', async () => {
    let horizon = 0;
    const disk = fakeDisk({ acked: () => horizon });
    const acks = createDiskAcks(
      silentLogger,
      () => disk.queue,
      () => undefined,
    );
    acks.complete('a', 1, 'acked'); // ack(1) under way
    acks.complete('b', 5, 'acked');
    acks.complete('c', 7, 'acked');
    horizon = 5; // drop-oldest dropped up to 5 (included) meanwhile
    disk.release();
    await tick();
    expect(disk.acks).toEqual([1, 7]);
    expect(acks.droppedDelivered).toBe(1);
  });
});
