/**
 * One sink's delivery path, assembled from one sender per concern (as the OpenTelemetry
 * Collector's exporterhelper chains its senders):
 *
 *   push → queue (bounds, backpressure) → batcher (events/bytes/age; the body, compressed as
 *   it fills) → encoder (id, metadata) → retry (backoff, give-up to the dead letter) → timeout
 *   (one `sink.send` under its deadline) → ack → `done` in push order
 *
 * This file only wires them and owns `push`, `drain`, `close` and `stats`; each sender's
 * invariants are in its own module (`queue.ts`, `batcher.ts`, `encoder.ts`, `retry-sender.ts`,
 * `give-up.ts`, `timeout.ts`), the close path in `shutdown.ts`, the disk buffer that can sit in
 * front in `disk-buffer.ts`.
 *
 * Flow and bounds:
 * - Every pushed item counts against `queue.maxEvents` / `queue.maxBytes` (`item.json.length`)
 *   until it is acked, dead-lettered or given up: the open batch, batches waiting, the batch
 *   being encoded and the one in flight are all inside the bound. When the queue is full,
 *   `push` returns a promise (backpressure) instead of growing; nothing is ever dropped.
 * - The open batch closes as `batcher.ts` says, and also when the queue is full and the open
 *   batch holds everything queued (nothing else could free room).
 * - One send in flight per sink; closed batches behind it finish compressing meanwhile.
 *   Batches complete in push order, so items' `done` callbacks fire in push order.
 */
import type { Logger } from '../util/logger.js';
import type { DispatchItem, DispatchStats, DispatcherOptions, SinkDispatcher } from './types.js';
import { K8streamError } from '../errors.js';
import { createBatcher } from './batcher.js';
import { loadParquetWriter } from './body-writer.js';
import { createDiskBufferedDispatcher } from './disk-buffer.js';
import { compressionLevelProblem } from '../config/compression.js';
import { createEncoder } from './encoder.js';
import { createGiveUp, emptySendCounters } from './give-up.js';
import { createMemoryQueue } from './queue.js';
import { createRetrySender } from './retry-sender.js';
import { closeSink, closedError, createCloser, createStop } from './shutdown.js';
import { createTimeoutSender } from './timeout.js';

function checkPositive(value: number, path: string, sink: string, integer: boolean): void {
  if (!(value > 0) || (integer && !Number.isInteger(value))) {
    throw new K8streamError('CONFIG_INVALID', `sink "${sink}": ${path} must be a positive ${integer ? 'integer' : 'number'}, got ${String(value)}`, { plugin: sink, path });
  }
}

/** Throws `CONFIG_INVALID` on non-positive limits or a compression level the compression lacks. */
function checkOptions(options: DispatcherOptions): void {
  const { name, batch, queue, encoding } = options;
  checkPositive(batch.maxEvents, 'batch.maxEvents', name, true);
  checkPositive(batch.maxBytes, 'batch.maxBytes', name, false);
  checkPositive(batch.maxAgeMs, 'batch.maxAgeMs', name, false);
  checkPositive(queue.maxEvents, 'queue.maxEvents', name, true);
  checkPositive(queue.maxBytes, 'queue.maxBytes', name, false);
  if (options.retry.maxAttempts !== null) checkPositive(options.retry.maxAttempts, 'retry.maxAttempts', name, true);
  const levelProblem = compressionLevelProblem(encoding.compression, encoding.level);
  if (levelProblem !== null) {
    throw new K8streamError('CONFIG_INVALID', `sink "${name}": encoding.level ${levelProblem}`, { path: 'encoding.level', plugin: name });
  }
}

/** Stats of a dispatcher that never received anything. */
export function emptyDispatchStats(): DispatchStats {
  return { queuedEvents: 0, queuedBytes: 0, ...emptySendCounters() };
}

/**
 * Creates the dispatcher of one sink. See {@link SinkDispatcher} for the contract and
 * {@link DispatcherOptions} for the settings. Throws `CONFIG_INVALID` on non-positive limits.
 *
 * Shutdown: `close(graceMs)` flushes the open batch and waits up to `graceMs`; past that it
 * aborts the in-flight send (signal reason `SINK_CLOSED`), stops retrying, rejects pending
 * `drain()` calls with `SINK_CLOSED`, leaves undelivered items without `done` (they were never
 * acked, so at-least-once replays them), and resolves `{ flushed: false }`. Then it calls
 * `sink.close()` (bounded by `timeoutMs`). Close the dead-letter dispatcher last.
 *
 * A sink that ignores the abort signal cannot hold the dispatcher: the attempt counts as timed
 * out at `timeoutMs` and the dispatcher moves on (the abandoned promise is ignored).
 *
 * With `buffer: { type: 'disk' }` records wait in a per-sink disk queue in front of this path
 * (see `disk-buffer.ts`): `queue` then bounds only what is held in memory, and what is not
 * delivered at `close` stays on disk for the next start.
 */
export function createDispatcher(options: DispatcherOptions): SinkDispatcher {
  const buffer = options.buffer;
  const dispatcher = buffer !== undefined && buffer.type === 'disk' ? createDiskBufferedDispatcher(options, buffer, createMemoryDispatcher) : createMemoryDispatcher(options);
  if (options.encoding.format !== 'parquet') return dispatcher;
  // The Parquet writer loads with the first Parquet sink (body-writer.ts); opened() waits for it.
  const writer = loadParquetWriter();
  writer.catch(() => undefined); // opened() reports it
  const opened = dispatcher.opened.bind(dispatcher);
  dispatcher.opened = async () => {
    await Promise.all([opened(), writer]);
  };
  return dispatcher;
}

/** The in-memory delivery path: everything above except the disk buffer. */
function createMemoryDispatcher(options: DispatcherOptions): SinkDispatcher {
  checkOptions(options);
  const { name, sink, timeoutMs, deadLetter } = options;
  const log: Logger = options.logger.child({ sink: name });
  const stop = createStop();
  const counters = emptySendCounters();

  // The chain, built from the sink end: each sender gets the next one.
  const queue = createMemoryQueue(options.queue, log);
  const attempt = createTimeoutSender({ name, sink, timeoutMs }, stop);
  const giveUp = createGiveUp({ name, deadLetter, log }, stop, queue, counters);
  const backoff = {
    initialBackoffMs: options.retry.initialBackoffMs,
    maxBackoffMs: options.retry.maxBackoffMs,
    jitter: options.jitter ?? 'full',
    random: options.random ?? Math.random,
  };
  const retry = createRetrySender(
    { hooks: options, maxAttempts: options.retry.maxAttempts, hasDeadLetter: deadLetter !== null, backoff, log },
    stop,
    attempt,
    giveUp,
    queue,
    counters,
  );
  const encoder = createEncoder({ name, cluster: options.cluster, encoding: options.encoding, log }, stop, retry);
  const batcher = createBatcher(options.batch, options.encoding, encoder.enqueue);

  // Shutdown order (the senders stop from the front of the chain to the sink):
  //  1. refuse pushes (SINK_CLOSED) and close the open batch;
  //  2. wait up to graceMs for every pushed item to complete;
  //  3. grace over only: abort the send in flight and any backoff or dead-letter wait (the
  //     senders return at their next step), stop the batch age timer, reject drain() calls;
  //  4. wake producers blocked on backpressure (their next push throws SINK_CLOSED);
  //  5. close the sink, bounded by timeoutMs.
  const closer = createCloser(log, {
    stopAccepting() {
      stop.closing = true;
      batcher.flush();
    },
    settled: () => (queue.pending === 0 ? null : queue.whenCompleted(queue.added)),
    abandon(graceMs) {
      log.warn('grace period over; undelivered events stay unacknowledged', { graceMs, queuedEvents: queue.pending });
      stop.force();
      batcher.stop();
      queue.failWaiters(closedError(name, `${queue.pending} events were not delivered within ${graceMs} ms`));
    },
    async release(flushed) {
      queue.wakeProducers();
      await closeSink(sink, timeoutMs, log);
      return flushed;
    },
  });

  return {
    name,
    push(item: DispatchItem): Promise<void> | undefined {
      if (stop.closing) throw closedError(name, `cannot accept record ${item.id}`);
      batcher.add(item);
      queue.add(item.json.length);
      if (!queue.full()) return undefined;
      // Only completing batches frees room: if the open batch holds everything, send it now.
      if (batcher.size === queue.pending) batcher.flush();
      return queue.room();
    },
    flush(): void {
      if (!stop.closing) batcher.flush();
    },
    drain(): Promise<void> {
      batcher.flush();
      const target = queue.added;
      if (queue.completed >= target) return Promise.resolve();
      if (stop.forced) return Promise.reject(closedError(name, `${target - queue.completed} events were not delivered`));
      return queue.whenCompleted(target);
    },
    close: (graceMs) => closer.close(graceMs),
    stats(): DispatchStats {
      return { queuedEvents: queue.pending, queuedBytes: queue.queuedBytes, ...counters };
    },
    opened: () => Promise.resolve(),
  };
}
