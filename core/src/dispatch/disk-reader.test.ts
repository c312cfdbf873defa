import { describe, expect, it } from 'vitest';
import type { DiskQueue, DiskQueueRecord } from './disk-queue/types.js';
import type { DispatchItem, SinkDispatcher } from './types.js';
import { K8streamError } from '../errors.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { silentLogger } from '../util/logger.js';
import { createDiskReader, timestampOf, toItem } from './disk-reader.js';

const rec = (seq: number, json = JSON.stringify({ n: seq })): DiskQueueRecord => ({ id: `e${seq}`, seq, json });

/** A disk queue double serving `reads` in turn, then `[]` (closed); or throwing `error`. */
function fakeDisk(reads: DiskQueueRecord[][], error?: Error) {
  const maxes: number[] = [];
  const queue = {
    read(max: number) {
      maxes.push(max);
      if (error !== undefined) return Promise.reject(error);
      return Promise.resolve(reads.shift() ?? []);
    },
  } as unknown as DiskQueue;
  return { queue, maxes };
}

/** A memory dispatcher double; `gate` makes every push wait (backpressure). */
function fakeMemory(gate?: Promise<void>) {
  const pushed: DispatchItem[] = [];
  let drains = 0;
  const memory = {
    push(item: DispatchItem) {
      pushed.push(item);
      return gate;
    },
    drain() {
      drains++;
      return Promise.resolve();
    },
  } as unknown as SinkDispatcher;
  return { memory, pushed, drains: () => drains };
}

describe('disk buffer reader', () => {
  it('takes the timestamp from the event’s own time fields', () => {
    expect(timestampOf({ lastTimestamp: 'l', eventTime: 'e', firstTimestamp: 'f' })).toBe('l');
    expect(timestampOf({ eventTime: 'e', firstTimestamp: 'f' })).toBe('e');
    expect(timestampOf({ firstTimestamp: 'f' })).toBe('f');
    expect(timestampOf({ lastTimestamp: 3 })).toBeNull();
    expect(timestampOf('text')).toBeNull();
    expect(timestampOf(null)).toBeNull();
  });

  it('queues only the stored text (text that is not JSON stays text) and routes done to the ack path', () => {
    const { logger, lines } = recordingLogger();
    const done: string[] = [];
    const onDone = (id: string, seq: number, outcome: string) => void done.push(`${id}/${seq}/${outcome}`);
    const item = toItem(rec(3, '{"eventTime":"t1","n":3}'), logger, onDone);
    expect(item).toMatchObject({ id: 'e3', json: '{"eventTime":"t1","n":3}', timestamp: 't1' });
    item.done?.('acked');
    expect(done).toEqual(['e3/3/acked']);
    expect(lines).toEqual([]);
    const text = toItem(rec(4, 'not json'), logger, onDone);
    expect(text).toMatchObject({ json: 'not json', timestamp: null });
    expect(lines).toEqual([{ level: 'warn', msg: 'disk buffer record is not valid JSON; sent as stored text', fields: { id: 'e4', seq: 4 } }]);
  });

  it('pushes every record in order, max per read, until the queue is closed; drains when hurried', async () => {
    const disk = fakeDisk([[rec(1), rec(2)], [rec(3)]]);
    const { memory, pushed, drains } = fakeMemory();
    let hurry = false;
    const reader = createDiskReader({ memory, max: 2, log: silentLogger, onDone: () => undefined, hurry: () => hurry });
    await reader.finished; // not started: resolved
    hurry = true;
    reader.start(disk.queue);
    await reader.finished;
    expect(pushed.map((i) => i.id)).toEqual(['e1', 'e2', 'e3']);
    expect(disk.maxes).toEqual([2, 2, 2]);
    expect(drains()).toBe(2);
  });

  it('stops at its next step: records not pushed stay on disk', async () => {
    let open!: () => void;
    const disk = fakeDisk([[rec(1), rec(2)], [rec(3)]]);
    const { memory, pushed, drains } = fakeMemory(new Promise<void>((resolve) => (open = resolve)));
    const reader = createDiskReader({ memory, max: 10, log: silentLogger, onDone: () => undefined, hurry: () => false });
    reader.start(disk.queue);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(pushed.map((i) => i.id)).toEqual(['e1']); // waiting on backpressure
    reader.stop();
    open();
    await reader.finished;
    expect(pushed.map((i) => i.id)).toEqual(['e1']);
    expect(disk.maxes).toEqual([10]);
    expect(drains()).toBe(0);
  });

  it('ends quietly on SINK_CLOSED and logs any other failure, never throwing', async () => {
    const { logger, lines } = recordingLogger();
    const { memory } = fakeMemory();
    const closed = createDiskReader({ memory, max: 1, log: logger, onDone: () => undefined, hurry: () => false });
    closed.start(fakeDisk([], new K8streamError('SINK_CLOSED', 'closed')).queue);
    await closed.finished;
    expect(lines).toEqual([]);
    const broken = createDiskReader({ memory, max: 1, log: logger, onDone: () => undefined, hurry: () => false });
    broken.start(fakeDisk([], new Error('boom')).queue);
    await broken.finished;
    expect(lines).toEqual([{ level: 'error', msg: 'disk buffer reader failed', fields: { error: 'boom' } }]);
  });
});
