/**
 * A sink dispatcher with a disk buffer in front of the in-memory delivery path:
 *
 *   push → (per-tick batches) → disk queue append → reader loop → memory dispatcher → sink
 *                                        ↑ ack (contiguous prefix, in seq order) ←┘
 *
 * - `push` only collects items; they are appended together once per tick. While the items not
 *   yet on disk reach the memory queue bound (`queue.maxEvents` / `queue.maxBytes`), `push`
 *   returns a promise (backpressure). With `overflow: block` the append itself waits for acks
 *   when the disk queue is full, so the producer is held back; with `drop-oldest` the queue
 *   deletes its oldest records instead (counted in `droppedEvents`).
 * - The reader loop reads records from disk in sequence order (records left by a previous run
 *   first) and pushes them, re-parsed from their stored JSON, into an ordinary memory
 *   dispatcher whose `queue` bound keeps memory small. That dispatcher completes items in push
 *   order, so acking the disk queue up to the last completed seq acks exactly the delivered
 *   (or dead-lettered) prefix.
 * - `close(grace)` flushes what it can within the grace period; whatever is still unacked stays
 *   on disk for the next start and is not counted as lost. It runs on the close path every
 *   dispatcher shares (`shutdown.ts`: close once, grace race, release); the steps, in order,
 *   are listed where they are defined below.
 * - `item.persisted()` is called once per pushed item, in push order, as soon as the append
 *   holding it is on disk (written; fsynced too under `fsync: always`, else within the fsync
 *   interval — it survives a process crash from then on), always before its `done`. Never for
 *   items whose append failed.
 *
 * Failure policy:
 * - Unusable directory at start (EACCES, ENOTDIR, EROFS, ...): the queue opens in the
 *   background; the failure is logged once, `opened()` rejects with a `BUFFER_UNAVAILABLE` error
 *   naming the sink and the directory (runtimes await `opened()` to fail fast), every later
 *   `push` and `drain` throws it, and items pushed before it was known count as `failedEvents`.
 * - Disk full or failing at run time (ENOSPC, EDQUOT, EIO, also EACCES/EROFS after a remount):
 *   no crash and no loss. The disk queue retries the failed write with backoff (100 ms → 5 s,
 *   sooner when acks free space) while the items wait in memory; once `queue.maxEvents` /
 *   `queue.maxBytes` of them wait, `push` returns its backpressure promise, which holds the
 *   source back. The first failure of a streak is logged as an error (sink, dir, errno), the
 *   recovery once as info; `stats().disk.writeErrors` counts failed attempts and
 *   `stats().disk.writeFailing` tells whether a streak is under way. Dropping records to make
 *   room is left to `overflow: drop-oldest` and `maxBytes` only: a full volume drops nothing.
 *   Items still waiting in memory at the end of `close` (grace over) count as `failedEvents`;
 *   they were never `persisted`.
 */
import type { Logger } from '../util/logger.js';
import type { DiskQueue, DiskQueueRecord } from './disk-queue/types.js';
import type { DispatchBuffer, DispatchItem, DispatchStats, DispatcherOptions, SinkDispatcher } from './types.js';
import { K8streamError } from '../errors.js';
import { createDiskQueue } from './disk-queue/index.js';
import { failureMessage } from './retry.js';
import { closedError, createCloser, within } from './shutdown.js';

/** The disk variant of {@link DispatchBuffer}. */
export type DiskBuffer = Extract<DispatchBuffer, { type: 'disk' }>;

/** Most records moved from disk to memory per read. */
const MAX_READ = 1_000;

type DoneCallback = NonNullable<DispatchItem['done']>;

/** The time an event is "about", taken from a re-parsed `k8stream.event/v1` record. */
function timestampOf(record: unknown): string | null {
  if (record === null || typeof record !== 'object') return null;
  const r = record as Record<string, unknown>;
  for (const key of ['lastTimestamp', 'eventTime', 'firstTimestamp']) {
    const value = r[key];
    if (typeof value === 'string') return value;
  }
  return null;
}

/** A disk-buffered dispatcher: a {@link SinkDispatcher} that can report when its disk queue is open. */
export interface DiskBufferedDispatcher extends SinkDispatcher {
  /**
   * Resolves once the disk queue is open (replayed records start flowing); rejects with the
   * `BUFFER_UNAVAILABLE` error naming the sink and the directory when it cannot be opened.
   */
  opened(): Promise<void>;
}

/** Turns an open failure into an error naming the sink and the directory. */
function openFailure(name: string, dir: string, err: unknown): K8streamError {
  const inner = err instanceof K8streamError ? err : null;
  return new K8streamError(
    inner !== null ? inner.code : errnoOf(err) !== undefined ? 'BUFFER_UNAVAILABLE' : 'INTERNAL',
    `sink "${name}": cannot open the disk buffer in ${dir}: ${failureMessage(err)}`,
    { plugin: name, path: dir, cause: err, ...(inner?.hint !== undefined ? { hint: inner.hint } : {}) },
  );
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
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
  const bound = options.queue;

  let disk: DiskQueue | null = null;
  let openError: K8streamError | null = null;
  const opening: Promise<DiskQueue | null> = createDiskQueue({
    dir: buffer.dir,
    maxBytes: buffer.maxBytes,
    fsync: buffer.fsync,
    overflow: buffer.overflow,
    logger: log,
    ...(buffer.segmentBytes !== undefined ? { segmentBytes: buffer.segmentBytes } : {}),
  }).then(
    (queue) => {
      disk = queue;
      void readLoop(queue);
      return queue;
    },
    (err: unknown) => {
      openError = openFailure(name, buffer.dir, err);
      log.error('disk buffer unavailable', { dir: buffer.dir, code: openError.code, error: openError.message });
      return null;
    },
  );

  // Items accepted by push and not yet on disk (collected, or in the append under way).
  let pending: DispatchItem[] = [];
  let unwrittenEvents = 0;
  let unwrittenBytes = 0;
  let flushing: Promise<void> | null = null;
  let flushScheduled = false;
  let appendFailed = 0;
  /** Callers' `done` callbacks by record id (records replayed from disk have none). */
  const dones = new Map<string, DoneCallback[]>();

  // Backpressure on push.
  let room: Promise<void> | null = null;
  let releaseRoom: (() => void) | null = null;

  // Acks: `completedSeq` is the highest seq the memory dispatcher finished (in order);
  // `ackedSeq` the highest one passed to `disk.ack`.
  let completedSeq = 0;
  let ackedSeq = 0;
  let acking: Promise<void> | null = null;
  /** Completed seqs not yet passed to `disk.ack`, ascending (replays may skip dropped ones). */
  let unacked: number[] = [];
  /** Delivered records the disk queue had already dropped (they are not lost). */
  let droppedDelivered = 0;

  let closing = false;
  let stopReading = false;
  let readerDone: Promise<void> = Promise.resolve();
  /** Woken whenever progress happens (append done, ack applied); drain waiters re-check. */
  let progress: Array<() => void> = [];

  function notifyProgress(): void {
    const waiting = progress;
    progress = [];
    for (const wake of waiting) wake();
  }

  function nextProgress(): Promise<void> {
    return new Promise<void>((resolve) => progress.push(resolve));
  }

  function overBound(): boolean {
    return unwrittenEvents >= bound.maxEvents || unwrittenBytes >= bound.maxBytes;
  }

  function maybeReleaseRoom(): void {
    if (releaseRoom !== null && (!overBound() || closing)) {
      const release = releaseRoom;
      room = null;
      releaseRoom = null;
      release();
    }
  }

  function scheduleFlush(): void {
    if (flushScheduled || flushing !== null) return;
    flushScheduled = true;
    setImmediate(() => {
      flushScheduled = false;
      void startFlush(); // failures surface where `flushing` is awaited
    });
  }

  function startFlush(): Promise<void> {
    flushing ??= flush().finally(() => {
      flushing = null;
      if (pending.length > 0) scheduleFlush();
      notifyProgress();
    });
    return flushing;
  }

  function forgetDone(items: readonly DispatchItem[]): void {
    for (const item of items) {
      if (item.done === undefined) continue;
      const list = dones.get(item.id);
      if (list === undefined) continue;
      const i = list.indexOf(item.done);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) dones.delete(item.id);
    }
  }

  /** Tells the caller an item is on disk; its callback cannot break the buffer. */
  function persisted(item: DispatchItem): void {
    if (item.persisted === undefined) return;
    try {
      item.persisted();
    } catch (err) {
      log.error('persisted callback threw', { id: item.id, error: failureMessage(err) });
    }
  }

  /** Appends collected items, one append at a time, until none are left. */
  async function flush(): Promise<void> {
    const queue = await opening;
    while (pending.length > 0) {
      const items = pending;
      pending = [];
      let bytes = 0;
      for (const item of items) bytes += item.json.length;
      let written = 0;
      try {
        if (queue === null) throw openError as K8streamError;
        // Called before readers can see the records, so `persisted` always precedes `done`.
        const onWritten = (count: number): void => {
          for (; written < count; written++) persisted(items[written]!);
        };
        await queue.append(
          items.map((item) => ({ id: item.id, json: item.json })),
          onWritten,
        );
      } catch (err) {
        const failed = items.slice(written);
        appendFailed += failed.length;
        forgetDone(failed);
        log.error('disk buffer append failed; events not buffered (counted as failed)', {
          count: failed.length,
          error: failureMessage(err),
        });
      }
      unwrittenEvents -= items.length;
      unwrittenBytes -= bytes;
      maybeReleaseRoom();
      notifyProgress();
    }
  }

  function toItem(rec: DiskQueueRecord): DispatchItem {
    let record: unknown;
    try {
      record = JSON.parse(rec.json) as unknown;
    } catch {
      log.warn('disk buffer record is not valid JSON; sent as stored text', { id: rec.id, seq: rec.seq });
      record = rec.json;
    }
    const seq = rec.seq;
    return {
      id: rec.id,
      record,
      json: rec.json,
      timestamp: timestampOf(record),
      done: (outcome) => {
        const list = dones.get(rec.id);
        const callerDone = list?.shift();
        if (list !== undefined && list.length === 0) dones.delete(rec.id);
        if (callerDone !== undefined) {
          try {
            callerDone(outcome);
          } catch (err) {
            log.error('done callback threw', { id: rec.id, error: failureMessage(err) });
          }
        }
        if (seq > completedSeq) {
          completedSeq = seq;
          unacked.push(seq);
        }
        scheduleAck();
      },
    };
  }

  /** Acks the disk queue up to `completedSeq`, one `ack` call at a time. */
  function scheduleAck(): void {
    if (acking !== null || disk === null) return;
    const queue = disk;
    acking = (async () => {
      while (completedSeq > ackedSeq) {
        const target = completedSeq;
        // Completed records the queue dropped meanwhile were counted as dropped, yet delivered.
        const horizon = queue.stats().acked;
        for (const seq of unacked) if (seq <= horizon) droppedDelivered++;
        unacked = [];
        const done = queue.ack(target);
        ackedSeq = target;
        try {
          await done;
        } catch (err) {
          log.error('disk buffer ack failed', { seq: target, error: failureMessage(err) });
        }
        notifyProgress();
      }
    })().finally(() => {
      acking = null;
      notifyProgress();
    });
  }

  /** Moves records from disk into the memory dispatcher, in order, until stopped. */
  async function readLoop(queue: DiskQueue): Promise<void> {
    let finish!: () => void;
    readerDone = new Promise<void>((resolve) => (finish = resolve));
    try {
      const max = Math.max(1, Math.min(MAX_READ, options.batch.maxEvents, bound.maxEvents));
      while (!stopReading) {
        const records = await queue.read(max);
        if (records.length === 0 || stopReading) break;
        for (const rec of records) {
          const wait = memory.push(toItem(rec));
          if (wait !== undefined) await wait;
          if (stopReading) break;
        }
        // Someone waits for everything to be delivered: do not let the open batch linger.
        if (progress.length > 0 || closing) memory.drain().catch(() => undefined);
      }
    } catch (err) {
      if (!(err instanceof K8streamError && err.code === 'SINK_CLOSED')) {
        log.error('disk buffer reader failed', { error: failureMessage(err) });
      }
    } finally {
      finish();
    }
  }

  /** True once nothing pushed is waiting: all appended, and nothing unacked on disk. */
  function empty(): boolean {
    return unwrittenEvents === 0 && acking === null && (disk === null || disk.stats().records === 0);
  }

  /** Resolves once {@link empty}; rejects when the disk queue could not be opened. */
  async function untilEmpty(): Promise<void> {
    await opening;
    if (openError !== null) {
      // Items pushed before the failure was known are failed by the flush; wait for it.
      if (pending.length > 0) void startFlush();
      if (flushing !== null) await flushing;
      throw openError;
    }
    if (pending.length > 0) void startFlush();
    if (flushing !== null) await flushing;
    memory.drain().catch(() => undefined);
    while (!empty()) {
      if (openError !== null) throw openError;
      const wake = nextProgress();
      memory.drain().catch(() => undefined);
      await wake;
    }
  }

  function push(item: DispatchItem): Promise<void> | undefined {
    if (closing) throw closedError(name, `cannot accept record ${item.id}`);
    if (openError !== null) throw openError;
    pending.push(item);
    unwrittenEvents++;
    unwrittenBytes += item.json.length;
    if (item.done !== undefined) {
      const list = dones.get(item.id);
      if (list === undefined) dones.set(item.id, [item.done]);
      else list.push(item.done);
    }
    scheduleFlush();
    if (!overBound()) return undefined;
    room ??= new Promise<void>((resolve) => {
      releaseRoom = resolve;
    });
    return room;
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
      maybeReleaseRoom();
    },
    settled: untilEmpty,
    abandon() {
      // Nothing in flight belongs to this layer; step 3 runs either way.
    },
    async release(flushed, deadline) {
      stopReading = true;
      // Accepted items must reach the disk even past the grace period: appends only wait when a
      // `block` queue is full, so that wait is bounded by `timeoutMs` (then they fail, counted).
      // Not while the disk is failing: retries would only delay the exit (they fail, counted).
      if (flushing !== null || pending.length > 0) {
        const writing = startFlush();
        const failing = disk?.stats().writeFailing === true;
        await within(writing, failing ? Math.max(0, deadline - Date.now()) : options.timeoutMs);
      }
      const remaining = Math.max(0, deadline - Date.now());
      const memoryResult = await memory.close(flushed ? remaining : 0);
      if (!memoryResult.flushed) flushed = false;
      const queue = disk;
      if (queue !== null) {
        if (acking !== null) await acking;
        const left = queue.stats().records;
        if (left > 0) log.info('undelivered events stay in the disk buffer for the next start', { events: left });
        try {
          await queue.close();
        } catch (err) {
          log.error('disk buffer close failed', { error: failureMessage(err) });
        }
      }
      // Appends the grace period cut short fail once the queue is closed.
      if (flushing !== null) await flushing;
      await readerDone;
      if (pending.length > 0 || unwrittenEvents > 0) flushed = false;
      return flushed;
    },
  });

  return {
    name,
    push,
    opened(): Promise<void> {
      return opening.then(() => {
        if (openError !== null) throw openError;
      });
    },
    drain(): Promise<void> {
      if (closer.started) return Promise.reject(closedError(name, 'drain after close'));
      return untilEmpty();
    },
    close: (graceMs) => closer.close(graceMs),
    stats(): DispatchStats {
      const inner = memory.stats();
      const queue = disk;
      const diskStats = queue?.stats();
      return {
        ...inner,
        queuedEvents: unwrittenEvents + (diskStats?.records ?? 0),
        // Segment bytes on disk; a segment holding only acked records lingers until the next append.
        queuedBytes: unwrittenBytes + (diskStats === undefined || diskStats.records === 0 ? 0 : diskStats.bytes),
        failedEvents: inner.failedEvents + appendFailed,
        droppedEvents: Math.max(0, (diskStats?.dropped ?? 0) - droppedDelivered),
        ...(diskStats !== undefined ? { disk: diskStats } : {}),
      };
    },
  };
}
