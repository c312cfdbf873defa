/**
 * Giving up on a batch the sink will not take (permanent failure, retries exhausted, encoding
 * failed): its records go to the dead letter, or, for the dead-letter dispatcher itself (no
 * dead letter), are given up with an error log.
 *
 * Invariants:
 * - A given-up batch completes with `done('deadlettered')` and leaves the queue, whatever the
 *   dead-letter write did: the pipeline never stalls on it. Its events count in `deadLettered`
 *   when the dead letter accepted them, else in `failedEvents`; a permanent failure also counts
 *   the batch in `permanentFailures`.
 * - When shutdown is forced while the dead-letter write is pending, the batch is left
 *   uncompleted (never acked: at-least-once replays it) and counted nowhere.
 * - Records are built by the shared {@link deadLetterRecord} (sink-kit), one timestamp per batch.
 */
import type { Logger } from '../util/logger.js';
import { deadLetterRecord } from '../sink-kit/dead-letter.js';
import type { DeadLetter, DeadLetterRecord, DispatchStats } from './types.js';
import type { PreparedBatch } from './encoder.js';
import type { MemoryQueue } from './queue.js';
import type { Stop } from './shutdown.js';
import { type SendFailure, failureMessage } from './retry.js';
import { STOPPED, untilAborted } from './shutdown.js';

/** The counters the senders after the queue keep (a slice of {@link DispatchStats}). */
export type SendCounters = Pick<DispatchStats, 'batchesSent' | 'eventsSent' | 'bytesSent' | 'retries' | 'permanentFailures' | 'deadLettered' | 'failedEvents' | 'inFlight'>;

export function emptySendCounters(): SendCounters {
  return { batchesSent: 0, eventsSent: 0, bytesSent: 0, retries: 0, permanentFailures: 0, deadLettered: 0, failedEvents: 0, inFlight: 0 };
}

/** Gives up one prepared batch after `attemptNo` attempts (0: it was never sent). */
export type GiveUp = (prepared: PreparedBatch, failure: SendFailure, attemptNo: number) => Promise<void>;

export interface GiveUpOptions {
  /** Sink name (the records' `component`). */
  name: string;
  /** Null for the dead-letter dispatcher itself. */
  deadLetter: DeadLetter | null;
  log: Logger;
}

/**
 * The batch's records, decoded from its body. Null when there is no body: its compression failed,
 * and the records' text went with it (each dead letter then carries the id and the error only).
 */
function batchRecords(prepared: PreparedBatch, log: Logger): readonly unknown[] | null {
  if (prepared.batch === null) return null;
  try {
    return prepared.batch.records;
  } catch (err) {
    log.error('cannot decode the batch body for its dead letters', { batchId: prepared.batch.id, error: failureMessage(err) });
    return null;
  }
}

export function createGiveUp(options: GiveUpOptions, stop: Stop, queue: Pick<MemoryQueue, 'complete'>, counters: SendCounters): GiveUp {
  const { name, deadLetter, log } = options;

  return async function giveUp(prepared, failure, attemptNo) {
    const items = prepared.items;
    const count = items.length;
    const batchIdValue = prepared.batch?.id ?? null;
    if (failure.kind === 'permanent') counters.permanentFailures++;
    const fields = { batchId: batchIdValue, count, attempt: attemptNo, code: failure.code, error: failure.message };
    if (deadLetter === null) {
      log.error('batch rejected by the dead-letter sink; events given up', fields);
      counters.failedEvents += count;
      queue.complete(items, prepared.queueBytes, 'deadlettered', batchIdValue);
      return;
    }
    const time = new Date().toISOString();
    const originals = batchRecords(prepared, log);
    const records = new Array<DeadLetterRecord>(count);
    for (let i = 0; i < count; i++) {
      const item = items[i]!;
      records[i] = deadLetterRecord({ stage: 'sink', component: name, id: item.id, error: failure, record: originals?.[i] ?? null, time });
    }
    log.error('batch dead-lettered', fields);
    try {
      const result = await untilAborted(deadLetter.write(records), stop.signal);
      if (result === STOPPED) return;
      counters.deadLettered += count;
    } catch (err) {
      if (stop.forced) return;
      log.error('dead-letter write failed; events given up', { ...fields, deadLetterError: failureMessage(err) });
      counters.failedEvents += count;
    }
    queue.complete(items, prepared.queueBytes, 'deadlettered', batchIdValue);
  };
}
