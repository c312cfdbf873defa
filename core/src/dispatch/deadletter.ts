/**
 * The dead-letter writer: turns DeadLetterRecords into items of the dead-letter sink's own
 * dispatcher (which retries forever) and resolves once that sink accepted them.
 */
import type { DeadLetter, DeadLetterRecord, DispatchItem, SinkDispatcher } from './types.js';
import { K8streamError } from '../errors.js';

/** Options of {@link createDeadLetterWriter}. */
export interface DeadLetterWriterOptions {
  /** Current time as ISO string, used as the items' timestamp. @default () => new Date().toISOString() */
  now?: () => string;
}

/** Item id of a dead-letter record: `dl:<record id>:<stage>:<component>`. */
export function deadLetterItemId(record: DeadLetterRecord): string {
  return `dl:${record.id}:${record.stage}:${record.component}`;
}

/**
 * Wraps the dead-letter sink's dispatcher as a {@link DeadLetter}. `write` pushes every record
 * (awaiting backpressure), drains the dispatcher (so the open batch is sent now, not after its
 * `maxAgeMs`) and resolves when all of them are acked. It rejects with
 * `SINK_PERMANENT` when the dead-letter sink gave up on some of them, and with `SINK_CLOSED`
 * when the dead-letter dispatcher is already closed.
 */
export function createDeadLetterWriter(dispatcher: SinkDispatcher, options: DeadLetterWriterOptions = {}): DeadLetter {
  const now = options.now ?? (() => new Date().toISOString());
  return {
    async write(records: DeadLetterRecord[]): Promise<void> {
      if (records.length === 0) return;
      let rejected = 0;
      // One callback shared by every item of this write: a counter, not a promise per item.
      const done = (outcome: 'acked' | 'deadlettered') => {
        if (outcome !== 'acked') rejected++;
      };
      const timestamp = now();
      for (const record of records) {
        const item: DispatchItem = {
          id: deadLetterItemId(record),
          json: JSON.stringify(record),
          timestamp,
          done,
        };
        const room = dispatcher.push(item);
        if (room !== undefined) await room;
      }
      // Close the open batch now instead of waiting for its maxAgeMs: the caller (a sink's
      // delivery loop) is blocked until its records are safe. Items complete in push order, so
      // once drain resolves every item of this write is done.
      await dispatcher.drain();
      if (rejected > 0) {
        throw new K8streamError('SINK_PERMANENT', `dead-letter sink "${dispatcher.name}" gave up on ${rejected} of ${records.length} records`, { plugin: dispatcher.name });
      }
    },
  };
}
