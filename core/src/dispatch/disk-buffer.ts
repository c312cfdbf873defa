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
 *   on disk for the next start and is not counted as lost.
 */
import type { Logger } from '../util/logger.js';
import type { DiskQueue, DiskQueueRecord } from './disk-queue/types.js';
import type { DispatchBuffer, DispatchItem, DispatchStats, DispatcherOptions, SinkDispatcher } from './types.js';
import { K8streamError } from '../errors.js';
import { createDiskQueue } from './disk-queue/index.js';
import { failureMessage } from './retry.js';

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

/** setTimeout that never fires for Infinity and clamps huge delays. */
function after(ms: number, fn: () => void): NodeJS.Timeout | undefined {
  if (!(ms < Infinity)) return undefined;
  return setTimeout(fn, Math.min(2_147_483_647, Math.max(0, ms)));
}

/**
 * Creates a dispatcher whose records wait in a disk queue (see the module doc). `createMemory`
 * builds the in-memory delivery path (the plain dispatcher) from the same options. The disk
 * queue opens in the background (so this stays synchronous); if that fails, the error is
 * logged, items pushed meanwhile count as `failedEvents`, and later `push`/`drain` calls throw it.
 */
export function createDiskBufferedDispatcher(
  options: DispatcherOptions,
  buffer: DiskBuffer,
  createMemory: (options: DispatcherOptions) => SinkDispatcher,
): SinkDispatcher {
  const { name } = options;
  const log: Logger = options.logger.child({ sink: name });
  const memory = createMemory({ ...options, buffer: { type: 'memory' } });
  const bound = options.queue;

  let disk: DiskQueue | null = null;
  let openError: K8streamError | null = null;
  const opened: Promise<DiskQueue | null> = createDiskQueue({
    dir: buffer.dir,
    maxBytes: buffer.maxBytes,
    fsync: buffer.fsync,
    overflow: buffer.overflow,
    ...(buffer.segmentBytes !== undefined ? { segmentBytes: buffer.segmentBytes } : {}),
  }).then(
    (queue) => {
      disk = queue;
      void readLoop(queue);
      return queue;
    },
    (err: unknown) => {
      openError =
        err instanceof K8streamError
          ? err
          : new K8streamError('INTERNAL', `sink "${name}": cannot open the disk buffer: ${failureMessage(err)}`, { plugin: name });
      log.error('disk buffer unavailable', { error: openError.message });
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
  let closeResult: Promise<{ flushed: boolean }> | null = null;
  /** Woken whenever progress happens (append done, ack applied); drain waiters re-check. */
  let progress: Array<() => void> = [];

  const closedError = (what: string) =>
    new K8streamError('SINK_CLOSED', `sink "${name}" is closed; ${what}`, { plugin: name });

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
      startFlush();
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

  /** Appends collected items, one append at a time, until none are left. */
  async function flush(): Promise<void> {
    const queue = await opened;
    while (pending.length > 0) {
      const items = pending;
      pending = [];
      let bytes = 0;
      for (const item of items) bytes += item.json.length;
      try {
        if (queue === null) throw openError as K8streamError;
        await queue.append(items.map((item) => ({ id: item.id, json: item.json })));
      } catch (err) {
        appendFailed += items.length;
        forgetDone(items);
        log.error('disk buffer append failed; events lost', { count: items.length, error: failureMessage(err) });
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
    await opened;
    if (pending.length > 0) void startFlush();
    if (flushing !== null) await flushing;
    memory.drain().catch(() => undefined);
    while (!empty()) {
      if (openError !== null) throw openError;
      const wake = nextProgress();
      memory.drain().catch(() => undefined);
      await wake;
    }
    if (openError !== null && appendFailed > 0) throw openError;
  }

  function push(item: DispatchItem): Promise<void> | undefined {
    if (closing) throw closedError(`cannot accept record ${item.id}`);
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

  async function shutdown(graceMs: number): Promise<{ flushed: boolean }> {
    closing = true;
    maybeReleaseRoom();
    const deadline = Date.now() + graceMs;
    let handle: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      handle = after(graceMs, () => resolve(false));
    });
    let flushed: boolean;
    try {
      flushed = await Promise.race([untilEmpty().then(() => true, () => false), expired]);
    } finally {
      if (handle !== undefined) clearTimeout(handle);
    }
    stopReading = true;
    // Accepted items must reach the disk even past the grace period: appends only wait when a
    // `block` queue is full, so that wait is bounded by `timeoutMs` (then they fail, counted).
    if (flushing !== null || pending.length > 0) {
      const writing = startFlush();
      let bounded: NodeJS.Timeout | undefined;
      await Promise.race([writing, new Promise<void>((resolve) => (bounded = after(options.timeoutMs, resolve)))]);
      if (bounded !== undefined) clearTimeout(bounded);
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
    return { flushed };
  }

  return {
    name,
    push,
    drain(): Promise<void> {
      if (closeResult !== null) return Promise.reject(closedError('drain after close'));
      return untilEmpty();
    },
    close(graceMs: number): Promise<{ flushed: boolean }> {
      closeResult ??= shutdown(graceMs).catch((err: unknown) => {
        log.error('close failed', { error: failureMessage(err) });
        return { flushed: false };
      });
      return closeResult;
    },
    stats(): DispatchStats {
      const inner = memory.stats();
      const queue = disk as DiskQueue | null;
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
