/**
 * The queue sender: the bound on what one sink holds in memory, and the bookkeeping of what
 * has completed. It holds counts, not items (the items sit in the batcher, the encoder and the
 * batch in flight).
 *
 * Invariants:
 * - Every added item counts against `maxEvents` / `maxBytes` (`item.json.length`) until its
 *   batch completes (acked, dead-lettered or given up); `pending` = added − completed.
 * - Items complete in add order, so `completed` says exactly which ones are done, and a drain
 *   waiter for target N resolves once the first N items completed.
 * - Backpressure: while full, {@link MemoryQueue.room} hands out one shared promise per "full"
 *   episode; it resolves once a completion leaves the queue below both bounds, or at shutdown
 *   ({@link MemoryQueue.wakeProducers}). Nothing is ever dropped.
 * - {@link MemoryQueue.free} is the bookkeeping half of `complete` without the callbacks: the
 *   disk buffer uses it to bound what waits in memory for its append (appended ≠ delivered).
 * - `done` callbacks run in item order; one that throws is counted and logged once per batch,
 *   never stopping the others or the queue.
 */
import type { Logger } from '../util/logger.js';
import type { ItemReceipt } from './types.js';

/** The bounds of the memory queue (`sinks[].queue`). */
export interface QueueBounds {
  maxEvents: number;
  maxBytes: number;
}

interface DrainWaiter {
  /** Resolve once this many items have completed. */
  target: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface MemoryQueue {
  /** Items added so far. */
  readonly added: number;
  /** Items completed so far (always a prefix of the added ones). */
  readonly completed: number;
  /** Items added and not completed. */
  readonly pending: number;
  /** Sum of `item.json.length` over the pending items. */
  readonly queuedBytes: number;
  /** Counts one item of `jsonLength` characters against the bounds. */
  add(jsonLength: number): void;
  /** True when the queue is at or past one of its bounds. */
  full(): boolean;
  /** The promise producers await while the queue is full (one per episode). */
  room(): Promise<void>;
  /** Completes a batch: its items' `done(outcome)` in order, then frees their room and wakes waiters. */
  complete(items: readonly ItemReceipt[], queueBytes: number, outcome: 'acked' | 'deadlettered', batchId: string | null): void;
  /** Counts `events` items of `bytes` characters as completed (no callbacks), frees their room and wakes waiters. */
  free(events: number, bytes: number): void;
  /** Resolves once `target` items have completed; rejected by {@link failWaiters}. */
  whenCompleted(target: number): Promise<void>;
  /** Rejects every pending {@link whenCompleted} with `error`. */
  failWaiters(error: Error): void;
  /** Resolves the backpressure promise whether or not there is room (shutdown). */
  wakeProducers(): void;
}

export function createMemoryQueue(bounds: QueueBounds, log: Logger): MemoryQueue {
  let added = 0;
  let completed = 0;
  let queuedBytes = 0;
  let room: Promise<void> | null = null;
  let releaseRoom: (() => void) | null = null;
  const waiters: DrainWaiter[] = [];

  function full(): boolean {
    return added - completed >= bounds.maxEvents || queuedBytes >= bounds.maxBytes;
  }

  function free(events: number, bytes: number): void {
    completed += events;
    queuedBytes -= bytes;
    while (waiters.length > 0 && (waiters[0] as DrainWaiter).target <= completed) {
      (waiters.shift() as DrainWaiter).resolve();
    }
    if (releaseRoom !== null && !full()) wakeProducers();
  }

  function wakeProducers(): void {
    if (releaseRoom === null) return;
    const release = releaseRoom;
    room = null;
    releaseRoom = null;
    release();
  }

  return {
    get added() {
      return added;
    },
    get completed() {
      return completed;
    },
    get pending() {
      return added - completed;
    },
    get queuedBytes() {
      return queuedBytes;
    },
    add(jsonLength: number): void {
      added++;
      queuedBytes += jsonLength;
    },
    full,
    room(): Promise<void> {
      room ??= new Promise<void>((resolve) => {
        releaseRoom = resolve;
      });
      return room;
    },
    complete(items, queueBytes, outcome, batchId): void {
      let callbackErrors = 0;
      for (const item of items) {
        if (item.done === undefined) continue;
        try {
          item.done(outcome);
        } catch {
          callbackErrors++;
        }
      }
      if (callbackErrors > 0) {
        log.error('done callbacks threw', { batchId, count: items.length, errors: callbackErrors });
      }
      free(items.length, queueBytes);
    },
    free,
    whenCompleted(target: number): Promise<void> {
      if (completed >= target) return Promise.resolve();
      return new Promise<void>((resolve, reject) => waiters.push({ target, resolve, reject }));
    },
    failWaiters(error: Error): void {
      for (const waiter of waiters.splice(0)) waiter.reject(error);
    },
    wakeProducers,
  };
}
