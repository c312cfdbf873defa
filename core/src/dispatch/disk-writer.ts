/**
 * The disk buffer's writer: collects pushed items and appends them to the disk queue, once per
 * tick. Fsync and the retry of failing disk writes (ENOSPC, EIO, ...) are the disk queue's
 * (`disk-queue/`): an append resolves once written (and fsynced under `fsync: always`) and
 * keeps retrying while the disk fails, so items wait here meanwhile.
 *
 * Invariants:
 * - One append at a time, in push order; items pushed during an append go in the next one.
 * - Every added item counts against the memory bound ({@link DiskWriter.unwritten}, the queue
 *   sender of `queue.ts`) until its append ended, written or failed; producers wait on its
 *   backpressure promise meanwhile. Each append's end notifies progress.
 * - `item.persisted()` is called once per item, in push order, as soon as the part of the
 *   append holding it would survive a power loss: before readers can see it under `fsync:
 *   always`, after the next background sync otherwise (then maybe after its `done`; the
 *   checkpoint hold counts whichever comes first). Never for items whose append failed. A
 *   throwing `persisted` is logged, stops nothing.
 * - Items whose append failed (queue unusable, closed, record too large) are counted in
 *   {@link DiskWriter.failed}, their `done` forgotten, and logged; nothing is thrown.
 */
import type { Logger } from '../util/logger.js';
import type { DiskOpening } from './disk-open.js';
import type { MemoryQueue, QueueBounds } from './queue.js';
import type { DispatchItem } from './types.js';
import { createMemoryQueue } from './queue.js';
import { failureMessage } from './retry.js';

export interface DiskWriterOptions {
  /** The memory bound on what waits for its append (`sinks[].queue`). */
  bounds: QueueBounds;
  log: Logger;
  open: DiskOpening;
  /** Called with the items whose append failed (their `done` will never come). */
  forget: (items: readonly DispatchItem[]) => void;
  /** Called after every append. */
  notify: () => void;
}

export interface DiskWriter {
  /** Counts of what is not on disk yet, with the backpressure promise (`room`, `wakeProducers`). */
  readonly unwritten: MemoryQueue;
  /** Collects `item` for the next append (scheduled for the next tick). */
  add(item: DispatchItem): void;
  /** Starts appending now if idle; resolves once nothing collected is left. Never rejects. */
  flush(): Promise<void>;
  /** The appends under way, or null. */
  readonly flushing: Promise<void> | null;
  /** Items collected and not yet handed to an append. */
  readonly collected: number;
  /** Items whose append failed. */
  readonly failed: number;
}

export function createDiskWriter(options: DiskWriterOptions): DiskWriter {
  const { log, open, forget, notify } = options;
  const unwritten = createMemoryQueue(options.bounds, log);
  let pending: DispatchItem[] = [];
  let flushing: Promise<void> | null = null;
  let flushScheduled = false;
  let failed = 0;

  function scheduleFlush(): void {
    if (flushScheduled || flushing !== null) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void startFlush(); // never rejects
    });
  }

  function startFlush(): Promise<void> {
    flushing ??= appendAll().finally(() => {
      flushing = null;
      if (pending.length > 0) scheduleFlush();
      notify();
    });
    return flushing;
  }

  /**
   * The `onDurable` of one append: calls the items' `persisted` callbacks in order up to the
   * count it is given. It keeps only the callbacks and ids, not the items: under an interval
   * fsync it waits up to that interval, and the items' JSON must not wait with it.
   */
  function durableCallbacks(items: readonly DispatchItem[]): (count: number) => void {
    const callbacks = items.map((item) => item.persisted);
    const ids = items.map((item) => item.id);
    let durable = 0;
    return (count) => {
      for (; durable < count; durable++) {
        const callback = callbacks[durable];
        if (callback === undefined) continue;
        try {
          callback();
        } catch (err) {
          log.error('persisted callback threw', { id: ids[durable], error: failureMessage(err) });
        }
      }
    };
  }

  /** Appends collected items, one append at a time, until none are left. */
  async function appendAll(): Promise<void> {
    const queue = await open.opening;
    while (pending.length > 0) {
      const items = pending;
      pending = [];
      let bytes = 0;
      for (const item of items) bytes += item.json.length;
      let written = 0;
      try {
        if (queue === null) throw open.error as Error;
        // `persisted` once the records survive a power loss (under an interval fsync, after the
        // next background sync, so maybe after their `done`: a hold takes whichever comes first).
        await queue.append(
          items.map((item) => ({ id: item.id, json: item.json })),
          (count) => (written = count),
          durableCallbacks(items),
        );
      } catch (err) {
        const lost = items.slice(written);
        failed += lost.length;
        forget(lost);
        log.error('disk buffer append failed; events not buffered (counted as failed)', {
          count: lost.length,
          error: failureMessage(err),
        });
      }
      unwritten.free(items.length, bytes);
      notify();
    }
  }

  return {
    unwritten,
    add(item): void {
      pending.push(item);
      unwritten.add(item.json.length);
      scheduleFlush();
    },
    flush: startFlush,
    get flushing() {
      return flushing;
    },
    get collected() {
      return pending.length;
    },
    get failed() {
      return failed;
    },
  };
}
