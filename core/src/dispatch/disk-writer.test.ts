import { describe, expect, it } from 'vitest';
import type { DiskOpening } from './disk-open.js';
import type { DiskQueue, DiskQueueItem } from './disk-queue/types.js';
import type { DispatchItem } from './types.js';
import { K8streamError } from '../errors.js';
import { recordingLogger } from '../util/logger.fixture.js';
import { silentLogger } from '../util/logger.js';
import { createDiskWriter } from './disk-writer.js';
import type { DiskWriterOptions } from './disk-writer.js';

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Append {
  ids: string[];
  /** The first `count` items are written and durable (as under `fsync: always`). */
  onWritten: (count: number) => void;
  /** Written only: durable after the next background sync. */
  written: (count: number) => void;
  durable: (count: number) => void;
  resolve: () => void;
  reject: (err: Error) => void;
}

/** A disk queue double whose appends wait until the test settles them. */
function fakeDisk() {
  const appends: Append[] = [];
  const queue = {
    append(items: readonly DiskQueueItem[], onWritten?: (count: number) => void, onDurable?: (count: number) => void) {
      const written = (count: number): void => onWritten?.(count);
      const durable = (count: number): void => onDurable?.(count);
      return new Promise<void>((resolve, reject) => appends.push({ ids: items.map((i) => i.id), onWritten: (c) => (written(c), durable(c)), written, durable, resolve, reject }));
    },
  } as unknown as DiskQueue;
  return { queue, appends };
}

function opened(queue: DiskQueue | null, error: K8streamError | null = null): DiskOpening {
  return { opening: Promise.resolve(queue), queue, error, opened: () => Promise.resolve() };
}

function item(n: number, events: string[]): DispatchItem {
  return { id: `e${n}`, json: 'x'.repeat(10), timestamp: null, persisted: () => void events.push(`persisted e${n}`) };
}

function setup(open: DiskOpening, over: Partial<DiskWriterOptions> = {}) {
  const events: string[] = [];
  const writer = createDiskWriter({
    bounds: { maxEvents: 2, maxBytes: 1e9 },
    log: silentLogger,
    open,
    forget: (items) => void events.push(`forget ${items.map((i) => i.id).join(',')}`),
    notify: () => void events.push('notify'),
    ...over,
  });
  return { writer, events };
}

describe('disk buffer writer', () => {
  it('appends what was added in one tick together, persisted before the append resolves, then frees room', async () => {
    const disk = fakeDisk();
    const { writer, events } = setup(opened(disk.queue));
    writer.add(item(1, events));
    writer.add(item(2, events));
    expect([writer.collected, writer.unwritten.pending, writer.unwritten.queuedBytes, writer.unwritten.full()]).toEqual([2, 2, 20, true]);
    let roomFree = false;
    void writer.unwritten.room().then(() => (roomFree = true));
    await tick();
    expect(disk.appends.map((a) => a.ids)).toEqual([['e1', 'e2']]);
    expect(writer.collected).toBe(0);
    disk.appends[0]!.onWritten(1);
    expect(events).toEqual(['persisted e1']);
    disk.appends[0]!.onWritten(2);
    disk.appends[0]!.resolve();
    await writer.flushing;
    expect(events).toEqual(['persisted e1', 'persisted e2', 'notify', 'notify']);
    expect([writer.unwritten.pending, writer.unwritten.queuedBytes, writer.failed, roomFree]).toEqual([0, 0, 0, true]);
    expect(writer.flushing).toBeNull();
  });

  it('runs one append at a time: items added meanwhile go in the next one', async () => {
    const disk = fakeDisk();
    const { writer, events } = setup(opened(disk.queue));
    writer.add(item(1, events));
    await tick();
    writer.add(item(2, events));
    writer.add(item(3, events));
    await tick();
    expect(disk.appends.map((a) => a.ids)).toEqual([['e1']]);
    disk.appends[0]!.resolve();
    await tick();
    expect(disk.appends.map((a) => a.ids)).toEqual([['e1'], ['e2', 'e3']]);
    disk.appends[1]!.resolve();
    await writer.flush();
    expect(writer.unwritten.pending).toBe(0);
  });

  it('persists items when they are durable, not when merely written (interval fsync: after the background sync)', async () => {
    const disk = fakeDisk();
    const { writer, events } = setup(opened(disk.queue));
    for (let n = 1; n <= 2; n++) writer.add(item(n, events));
    await tick();
    disk.appends[0]!.written(2);
    disk.appends[0]!.resolve();
    await writer.flushing;
    expect(events.filter((e) => e.startsWith('persisted'))).toEqual([]);
    disk.appends[0]!.durable(1);
    expect(events.filter((e) => e.startsWith('persisted'))).toEqual(['persisted e1']);
    disk.appends[0]!.durable(2);
    expect(events.filter((e) => e.startsWith('persisted'))).toEqual(['persisted e1', 'persisted e2']);
  });

  it('counts the items a failed append did not write as failed, forgets their done, never persists them', async () => {
    const { logger, lines } = recordingLogger();
    const disk = fakeDisk();
    const { writer, events } = setup(opened(disk.queue), { log: logger });
    for (let n = 1; n <= 3; n++) writer.add(item(n, events));
    await tick();
    disk.appends[0]!.onWritten(1);
    disk.appends[0]!.reject(new Error('closed'));
    await writer.flushing;
    expect(events).toEqual(['persisted e1', 'forget e2,e3', 'notify', 'notify']);
    expect([writer.failed, writer.unwritten.pending]).toEqual([2, 0]);
    expect(lines).toEqual([{ level: 'error', msg: 'disk buffer append failed; events not buffered (counted as failed)', fields: { count: 2, error: 'closed' } }]);
  });

  it('fails everything added when the queue could not be opened', async () => {
    const error = new K8streamError('BUFFER_UNAVAILABLE', 'cannot open');
    const { writer, events } = setup(opened(null, error));
    writer.add(item(1, events));
    writer.add(item(2, events));
    await writer.flush();
    expect(events).toEqual(['forget e1,e2', 'notify', 'notify']);
    expect(writer.failed).toBe(2);
  });

  it('logs a throwing persisted callback and carries on', async () => {
    const { logger, lines } = recordingLogger();
    const disk = fakeDisk();
    const { writer, events } = setup(opened(disk.queue), { log: logger });
    const bad = item(1, events);
    bad.persisted = () => {
      throw new Error('oops');
    };
    writer.add(bad);
    writer.add(item(2, events));
    await tick();
    disk.appends[0]!.onWritten(2);
    disk.appends[0]!.resolve();
    await writer.flushing;
    expect(events).toContain('persisted e2');
    expect(writer.failed).toBe(0);
    expect(lines).toEqual([{ level: 'error', msg: 'persisted callback threw', fields: { id: 'e1', error: 'oops' } }]);
  });
});
