/**
 * The disk buffer's reader: moves records from the disk queue into the memory dispatcher.
 *
 * Invariants:
 * - Records are read in sequence order (those left by a previous run first), at most `max` per
 *   read, and pushed one by one, awaiting the memory dispatcher's backpressure, so memory holds
 *   at most its `queue` bound.
 * - Each record is pushed re-parsed from its stored JSON (stored text that is not JSON is sent
 *   as the text, with a warning); its `timestamp` comes from the event's own time fields; its
 *   `done` goes to the ack path (`onDone(id, seq, outcome)`).
 * - After each read, while `hurry()` says someone waits for delivery, the memory dispatcher's
 *   open batch is flushed (`drain`) instead of left to age.
 * - {@link DiskReader.stop} ends the loop at its next step; records not pushed stay on disk.
 *   The loop never throws: `SINK_CLOSED` (closing) ends it quietly, any other failure is logged.
 *   {@link DiskReader.finished} resolves once the loop started last has ended.
 */
import type { Logger } from '../util/logger.js';
import type { DiskQueue, DiskQueueRecord } from './disk-queue/types.js';
import type { DispatchItem, SinkDispatcher } from './types.js';
import { K8streamError } from '../errors.js';
import { failureMessage } from './retry.js';

type Outcome = Parameters<NonNullable<DispatchItem['done']>>[0];

/** The time an event is "about", taken from a re-parsed `k8stream.event/v1` record. */
export function timestampOf(record: unknown): string | null {
  if (record === null || typeof record !== 'object') return null;
  const r = record as Record<string, unknown>;
  for (const key of ['lastTimestamp', 'eventTime', 'firstTimestamp']) {
    const value = r[key];
    if (typeof value === 'string') return value;
  }
  return null;
}

/** The item pushed into the memory dispatcher for a record read back from disk. */
export function toItem(rec: DiskQueueRecord, log: Logger, onDone: (id: string, seq: number, outcome: Outcome) => void): DispatchItem {
  let record: unknown;
  try {
    record = JSON.parse(rec.json) as unknown;
  } catch {
    log.warn('disk buffer record is not valid JSON; sent as stored text', { id: rec.id, seq: rec.seq });
    record = rec.json;
  }
  // Only the text is queued: a sink that reads `batch.records` parses it again (item-record.ts).
  return { id: rec.id, json: rec.json, timestamp: timestampOf(record), done: (outcome) => onDone(rec.id, rec.seq, outcome) };
}

export interface DiskReaderOptions {
  memory: SinkDispatcher;
  /** Most records per read. */
  max: number;
  log: Logger;
  onDone: (id: string, seq: number, outcome: Outcome) => void;
  /** True when someone waits for delivery (drain, close): do not let the open batch linger. */
  hurry: () => boolean;
  /**
   * Asked after each read with the highest sequence pushed so far: true when a `flush()` waited
   * for it (the buffer then forgets that request), and the memory dispatcher's open batch closes.
   */
  flushDue?: (pushedThrough: number) => boolean;
}

export interface DiskReader {
  /** Starts the loop over `queue` (once, when the queue is open). */
  start: (queue: DiskQueue) => void;
  /** Ends the loop at its next step. */
  stop(): void;
  /** Highest sequence pushed into the memory dispatcher so far (0: none). */
  readonly pushedThrough: number;
  /** Resolves once the loop ended (at once when it never started). */
  readonly finished: Promise<void>;
}

export function createDiskReader(options: DiskReaderOptions): DiskReader {
  const { memory, max, log, onDone, hurry } = options;
  const flushDue = options.flushDue ?? (() => false);
  let stopped = false;
  let pushedThrough = 0;
  let finished: Promise<void> = Promise.resolve();

  /** Moves records from disk into the memory dispatcher, in order, until stopped. */
  async function readLoop(queue: DiskQueue): Promise<void> {
    let finish!: () => void;
    finished = new Promise<void>((resolve) => (finish = resolve));
    try {
      while (!stopped) {
        const records = await queue.read(max);
        if (records.length === 0 || stopped) break;
        for (const rec of records) {
          const wait = memory.push(toItem(rec, log, onDone));
          pushedThrough = rec.seq;
          if (wait !== undefined) await wait;
          if (stopped) break;
        }
        if (hurry()) memory.drain().catch(() => undefined);
        else if (flushDue(pushedThrough)) memory.flush();
      }
    } catch (err) {
      if (!(err instanceof K8streamError && err.code === 'SINK_CLOSED')) {
        log.error('disk buffer reader failed', { error: failureMessage(err) });
      }
    } finally {
      finish();
    }
  }

  return {
    start(queue): void {
      void readLoop(queue); // never rejects
    },
    stop(): void {
      stopped = true;
    },
    get pushedThrough() {
      return pushedThrough;
    },
    get finished() {
      return finished;
    },
  };
}
