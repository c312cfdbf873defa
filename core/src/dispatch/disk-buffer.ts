/**
 * A sink dispatcher with a disk buffer in front of the in-memory delivery path:
 *
 *   push → (per-tick batches) → disk queue append → reader loop → memory dispatcher → sink
 *                                        ↑ ack (contiguous prefix, in seq order) ←┘
 *
 * This file only assembles the parts and owns `push`, `drain`, `close` and `stats`; each part's
 * invariants are in its own module: opening the queue (`disk-open.ts`), the append path with
 * `persisted` and the memory bound (`disk-writer.ts`, backpressure from `queue.ts`), the reader
 * feeding the memory dispatcher (`disk-reader.ts`), the ack path and `done` callbacks
 * (`disk-ack.ts`), the progress signal drain and close wait on (`disk-queue/signal.ts`). Fsync,
 * the retry of failing writes and the overflow policy (`block` waits for acks, `drop-oldest`
 * deletes the oldest records, counted in `droppedEvents`) are the disk queue's (`disk-queue/`).
 *
 * Invariants:
 * - While the items not yet on disk reach the memory queue bound (`queue.maxEvents` /
 *   `queue.maxBytes`), `push` returns a promise (backpressure); at close it resolves and later
 *   pushes throw `SINK_CLOSED`.
 * - The memory dispatcher completes items in push order, so acking the disk queue up to the
 *   last completed seq acks exactly the delivered (or dead-lettered) prefix.
 * - `close(grace)` flushes what it can within the grace period; whatever is still unacked stays
 *   on disk for the next start and is not counted as lost. It runs on the close path every
 *   dispatcher shares (`shutdown.ts`); the steps, in order, are listed where they are defined.
 *
 * Failure policy:
 * - Unusable directory at start (EACCES, ENOTDIR, EROFS, ...): `opened()` rejects with a
 *   `BUFFER_UNAVAILABLE` error naming the sink and the directory (runtimes await it to fail
 *   fast), every later `push` and `drain` throws it, and items pushed before it was known count
 *   as `failedEvents`.
 * - Disk full or failing at run time (ENOSPC, EDQUOT, EIO, also EACCES/EROFS after a remount):
 *   no crash and no loss. The disk queue retries the failed write with backoff (100 ms → 5 s,
 *   sooner when acks free space) while the items wait in memory, under the backpressure above.
 *   The first failure of a streak is logged as an error, the recovery once as info;
 *   `stats().disk.writeErrors` counts failed attempts, `stats().disk.writeFailing` tells whether
 *   a streak is under way. A full volume drops nothing. Items still waiting in memory at the end
 *   of `close` (grace over) count as `failedEvents`; they were never `persisted`.
 */
import type { Logger } from '../util/logger.js';
import type { DispatchStats, DispatcherOptions, SinkDispatcher } from './types.js';
import type { DiskBuffer } from './disk-open.js';
import { createDiskAcks } from './disk-ack.js';
import { openDiskBuffer } from './disk-open.js';
import { Signal } from './disk-queue/signal.js';
import { createDiskReader } from './disk-reader.js';
import { createDiskWriter } from './disk-writer.js';
import { failureMessage } from './retry.js';
import { closedError, createCloser, within } from './shutdown.js';

export type { DiskBuffer } from './disk-open.js';

/** Most records moved from disk to memory per read. */
const MAX_READ = 1_000;

/** A disk-buffered dispatcher: a {@link SinkDispatcher} that can report when its disk queue is open. */
export interface DiskBufferedDispatcher extends SinkDispatcher {
  /**
   * Resolves once the disk queue is open (replayed records start flowing); rejects with the
   * `BUFFER_UNAVAILABLE` error naming the sink and the directory when it cannot be opened.
   */
  opened(): Promise<void>;
}

/**
 * Creates a dispatcher whose records wait in a disk queue (see the module doc). `createMemory`
 * builds the in-memory delivery path (the plain dispatcher) from the same options. The disk
 * queue opens in the background (so this stays synchronous): await `opened()` to fail fast.
 */
export function createDiskBufferedDispatcher(options: DispatcherOptions, buffer: DiskBuffer, createMemory: (options: DispatcherOptions) => SinkDispatcher): DiskBufferedDispatcher {
  const { name } = options;
  const log: Logger = options.logger.child({ sink: name });
  const memory = createMemory({ ...options, buffer: { type: 'memory' } });
  // Whoever waits for the buffer to empty (`drain`, `close`) waits on it and re-checks when woken.
  const progress = new Signal();
  const notify = (): void => progress.notify();
  let closing = false;

  /** The sequence a `flush()` waits for the reader to push (0: none). */
  let flushTarget = 0;
  const acks = createDiskAcks(log, () => open.queue, notify);
  const reader = createDiskReader({
    memory,
    max: Math.max(1, Math.min(MAX_READ, options.batch.maxEvents, options.queue.maxEvents)),
    log,
    onDone: acks.complete,
    hurry: () => progress.waiting || closing,
    flushDue: (pushed) => {
      if (flushTarget === 0 || pushed < flushTarget) return false;
      flushTarget = 0;
      return true;
    },
  });
  const open = openDiskBuffer(name, buffer, log, reader.start);
  const writer = createDiskWriter({ bounds: options.queue, log, open, forget: acks.forget, notify });
  const unwritten = writer.unwritten;

  /** True once nothing pushed is waiting: all appended, and nothing unacked on disk. */
  function empty(): boolean {
    return unwritten.pending === 0 && acks.acking === null && (open.queue === null || open.queue.stats().records === 0);
  }

  /** Resolves once {@link empty}; rejects when the disk queue could not be opened. */
  async function untilEmpty(): Promise<void> {
    await open.opening;
    // Items pushed before an open failure was known are failed by the append; wait for it.
    if (writer.collected > 0) void writer.flush();
    if (writer.flushing !== null) await writer.flushing;
    if (open.error !== null) throw open.error;
    memory.drain().catch(() => undefined);
    while (!empty()) {
      const wake = progress.wait();
      memory.drain().catch(() => undefined);
      await wake;
    }
  }

  // Shutdown order (the memory dispatcher behind closes itself the same way, inside step 4):
  //  1. refuse pushes (SINK_CLOSED) and wake producers blocked on backpressure;
  //  2. wait up to graceMs until everything pushed is appended and acked on disk;
  //  3. stop the reader: what is still on disk stays there for the next start;
  //  4. finish the appends under way (bounded: timeoutMs, or what is left of the grace period
  //     while the disk is failing), then close the memory dispatcher with the grace left
  //     (0 when the grace ran out) — it closes the sink;
  //  5. let the last ack land, close the disk queue, wait for the appends and the reader.
  const closer = createCloser(log, {
    stopAccepting() {
      closing = true;
      unwritten.wakeProducers();
    },
    settled: untilEmpty,
    abandon() {
      // Nothing in flight belongs to this layer; step 3 runs either way.
    },
    async release(flushed, deadline) {
      reader.stop();
      // Accepted items must reach the disk even past the grace period: appends only wait when a
      // `block` queue is full, so that wait is bounded by `timeoutMs` (then they fail, counted).
      // Not while the disk is failing: retries would only delay the exit (they fail, counted).
      if (writer.flushing !== null || writer.collected > 0) {
        const writing = writer.flush();
        const failing = open.queue?.stats().writeFailing === true;
        await within(writing, failing ? Math.max(0, deadline - Date.now()) : options.timeoutMs);
      }
      const remaining = Math.max(0, deadline - Date.now());
      const memoryResult = await memory.close(flushed ? remaining : 0);
      if (!memoryResult.flushed) flushed = false;
      const queue = open.queue;
      if (queue !== null) {
        if (acks.acking !== null) await acks.acking;
        const left = queue.stats().records;
        if (left > 0) log.info('undelivered events stay in the disk buffer for the next start', { events: left });
        try {
          await queue.close();
        } catch (err) {
          log.error('disk buffer close failed', { error: failureMessage(err) });
        }
      }
      // Appends the grace period cut short fail once the queue is closed.
      if (writer.flushing !== null) await writer.flushing;
      await reader.finished;
      if (writer.collected > 0 || unwritten.pending > 0) flushed = false;
      return flushed;
    },
  });

  return {
    name,
    push(pushed) {
      if (closing) throw closedError(name, `cannot accept record ${pushed.id}`);
      if (open.error !== null) throw open.error;
      // The item waits for its append as its text alone, without the record object (types.ts).
      const item = pushed.record === undefined ? pushed : { ...pushed, record: undefined };
      acks.register(item);
      writer.add(item);
      return unwritten.full() ? unwritten.room() : undefined;
    },
    opened: () => open.opened(),
    flush(): void {
      if (closing) return;
      // Append what is collected, then close the memory batch once the reader has pushed it all.
      void writer.flush().then(() => {
        const appended = open.queue?.stats().appended ?? 0;
        if (appended === 0 || closing) return;
        if (reader.pushedThrough >= appended) memory.flush();
        else flushTarget = Math.max(flushTarget, appended);
      });
    },
    drain(): Promise<void> {
      if (closer.started) return Promise.reject(closedError(name, 'drain after close'));
      return untilEmpty();
    },
    close: (graceMs) => closer.close(graceMs),
    stats(): DispatchStats {
      const inner = memory.stats();
      const diskStats = open.queue?.stats();
      return {
        ...inner,
        queuedEvents: unwritten.pending + (diskStats?.records ?? 0),
        // Segment bytes on disk; a segment holding only acked records lingers until the next append.
        queuedBytes: unwritten.queuedBytes + (diskStats === undefined || diskStats.records === 0 ? 0 : diskStats.bytes),
        failedEvents: inner.failedEvents + writer.failed,
        droppedEvents: Math.max(0, (diskStats?.dropped ?? 0) - acks.droppedDelivered),
        ...(diskStats !== undefined ? { disk: diskStats } : {}),
      };
    },
  };
}
