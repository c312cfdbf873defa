/**
 * The disk buffer's ack path: records read back from disk complete in the memory dispatcher,
 * which calls the caller's `done` and acks the disk queue up to the delivered prefix.
 *
 *   memory dispatcher → record `done` → caller's `done` (pushed items only) → `disk.ack(seq)`
 *
 * Invariants:
 * - Callers' `done` callbacks are kept by record id in push order; the record read back with that
 *   id calls the oldest one (records replayed from a previous run have none). Items whose append
 *   failed are forgotten ({@link DiskAcks.forget}), so they never get a `done`. A callback that
 *   throws is logged and stops nothing.
 * - The memory dispatcher completes records in read order, which is seq order, so the highest
 *   completed seq bounds a delivered (or dead-lettered) prefix: `disk.ack` is called with it, one
 *   call at a time, each seq at most once. A failed ack is logged; its records stay on disk.
 * - Overflow: under `drop-oldest` the disk queue may drop records already read into memory; when
 *   they are delivered anyway they are counted in {@link DiskAcks.droppedDelivered} (not lost).
 * - Every ack applied, and the end of an ack run, notifies progress.
 */
import type { Logger } from '../util/logger.js';
import type { DiskQueue } from './disk-queue/types.js';
import type { DispatchItem } from './types.js';
import { failureMessage } from './retry.js';

type DoneCallback = NonNullable<DispatchItem['done']>;
type Outcome = Parameters<DoneCallback>[0];

export interface DiskAcks {
  /** Keeps `item.done` (if any) for the record that will be read back with `item.id`. */
  register: (item: DispatchItem) => void;
  /** Drops the `done` callbacks of items that never reached the disk. */
  forget: (items: readonly DispatchItem[]) => void;
  /** The `done` of record `id` / `seq` read back from disk: the caller's callback, then the ack. */
  complete: (id: string, seq: number, outcome: Outcome) => void;
  /** The ack run under way, or null. */
  readonly acking: Promise<void> | null;
  /** Delivered records the disk queue had already dropped (they are not lost). */
  readonly droppedDelivered: number;
}

/** `disk()` is the open disk queue (null until it is open); `notify` wakes progress waiters. */
export function createDiskAcks(log: Logger, disk: () => DiskQueue | null, notify: () => void): DiskAcks {
  /** Callers' `done` callbacks by record id. */
  const dones = new Map<string, DoneCallback[]>();
  // `completedSeq` is the highest seq the memory dispatcher finished (in order); `ackedSeq` the
  // highest one passed to `disk.ack`.
  let completedSeq = 0;
  let ackedSeq = 0;
  let acking: Promise<void> | null = null;
  /** Completed seqs not yet passed to `disk.ack`, ascending (replays may skip dropped ones). */
  let unacked: number[] = [];
  let droppedDelivered = 0;

  /** Acks the disk queue up to `completedSeq`, one `ack` call at a time. */
  function scheduleAck(): void {
    const queue = disk();
    if (acking !== null || queue === null) return;
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
        notify();
      }
    })().finally(() => {
      acking = null;
      notify();
    });
  }

  return {
    register(item): void {
      if (item.done === undefined) return;
      const list = dones.get(item.id);
      if (list === undefined) dones.set(item.id, [item.done]);
      else list.push(item.done);
    },
    forget(items): void {
      for (const item of items) {
        if (item.done === undefined) continue;
        const list = dones.get(item.id);
        if (list === undefined) continue;
        const i = list.indexOf(item.done);
        if (i >= 0) list.splice(i, 1);
        if (list.length === 0) dones.delete(item.id);
      }
    },
    complete(id, seq, outcome): void {
      const list = dones.get(id);
      const callerDone = list?.shift();
      if (list !== undefined && list.length === 0) dones.delete(id);
      if (callerDone !== undefined) {
        try {
          callerDone(outcome);
        } catch (err) {
          log.error('done callback threw', { id, error: failureMessage(err) });
        }
      }
      if (seq > completedSeq) {
        completedSeq = seq;
        unacked.push(seq);
      }
      scheduleAck();
    },
    get acking() {
      return acking;
    },
    get droppedDelivered() {
      return droppedDelivered;
    },
  };
}
