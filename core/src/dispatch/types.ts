/**
 * Types of per-sink delivery: queue → batcher → encoder → retry → timeout → sink.send → ack.
 * dispatch/ delivers batches to sinks (resume points are `checkpoint/`'s); only this folder
 * batches, retries, buffers or times out.
 */
import type { BatchOptions, EncodingOptions, SinkInstance } from '../plugins/api.js';
import type { DeadLetterRecord } from '../record/types.js';

export type { DeadLetterRecord } from '../record/types.js';
import type { RetryConfig } from '../config/types.js';
import type { Logger } from '../util/logger.js';
import type { Jitter } from './retry.js';
import type { DiskQueueFsync, DiskQueueOverflow, DiskQueueStats } from './disk-queue/types.js';
import type { QueueBounds } from './queue.js';

/**
 * Where a dispatcher keeps records until the sink acks them. `memory` (default): the bounded
 * in-memory queue only. `disk`: every pushed record is appended to a per-sink disk queue first
 * and read back from it for delivery, so a sink outage of any length up to `maxBytes` loses
 * nothing and records left on disk at shutdown are replayed on the next start.
 */
export type DispatchBuffer =
  | { type: 'memory' }
  | {
      type: 'disk';
      /** Absolute directory owned by this sink's queue. */
      dir: string;
      /** Upper bound of segment bytes on disk. */
      maxBytes: number;
      /** Segment file size (tests use small ones); see `DiskQueueOptions.segmentBytes`. */
      segmentBytes?: number;
      fsync: DiskQueueFsync;
      /** `block`: backpressure to the source when full; `drop-oldest`: delete the oldest records (counted). */
      overflow: DiskQueueOverflow;
    };

/**
 * A record as it travels to a sink: serialised once, its text shared by every sink it routes
 * to. The text is the only representation the dispatcher holds (the batcher copies it into the
 * batch body at once; `batch.records` and dead letters decode the body); `record` is seen only
 * while pushing.
 */
export interface DispatchItem {
  /** Deterministic record id. */
  id: string;
  /** `JSON.stringify(record)`, computed once. */
  json: string;
  /**
   * The record `json` was made from, when the producer has it: a Parquet batch takes its columns
   * from it instead of parsing `json` again. Read only while the item is pushed: the batcher
   * passes it to the batch body and keeps the receipt, and a disk buffer drops it before the
   * item waits for its append, so a queued record is held as its text alone. It must not change
   * afterwards (`JSON.stringify(record)` stays `json`).
   */
  record?: unknown;
  /**
   * UTF-8 bytes of `json`, when the producer already knows them (the pipeline measures each
   * record once for all its sinks); measured by the dispatcher otherwise.
   */
  bytes?: number;
  /** Event timestamp (ISO) used for time partitioning and lag; null when unknown. */
  timestamp: string | null;
  /** Called once when the sink acked the batch holding this item (or it was dead-lettered). */
  done?: (outcome: 'acked' | 'deadlettered') => void;
  /** Disk buffer only: called once the item is appended to the sink's disk queue (it survives a crash from then on). */
  persisted?: () => void;
  /** The source chunk this item came from (at-most-once commits up to it before sending). */
  checkpoint?: number;
  /** The record's `resourceVersion`, with `checkpoint` (at-most-once commits the position up to it). */
  resourceVersion?: string | null;
}

/**
 * What a batch keeps of an item once the item's JSON text is in the batch's body
 * (body-writer.ts): enough to ack it, commit its position, date it and name it.
 */
export type ItemReceipt = Pick<DispatchItem, 'id' | 'timestamp' | 'done' | 'checkpoint' | 'resourceVersion'>;

export interface DeadLetter {
  /** Hands failing items to the dead-letter destination; resolves once it accepted them. */
  write(records: DeadLetterRecord[]): Promise<void>;
}

export interface DispatcherOptions {
  name: string;
  cluster: string;
  sink: SinkInstance;
  batch: BatchOptions;
  encoding: EncodingOptions;
  timeoutMs: number;
  retry: RetryConfig;
  /** `sinks[].queue`, with `maxBytes` resolved from the memory budget when unset. */
  queue: QueueBounds;
  logger: Logger;
  /**
   * Null only for the dead-letter dispatcher itself: it retries transient failures forever
   * (ignoring `retry.maxAttempts`); on a permanent failure it logs an error, counts the batch
   * in `permanentFailures` and its events in `failedEvents`, and completes the items with
   * `done('deadlettered')` (meaning "given up") so the pipeline does not stall.
   */
  deadLetter: DeadLetter | null;
  /** Backoff jitter. @default 'full' */
  jitter?: Jitter;
  /** Random source in [0, 1) for jitter (tests inject a fixed one). @default Math.random */
  random?: () => number;
  /** Where records wait for the sink. @default { type: 'memory' } */
  buffer?: DispatchBuffer;
  /**
   * Awaited once per batch before its first send (at-most-once saves the resume point here).
   * A rejection is retried with the retry backoff; the batch is not sent until it resolves.
   */
  beforeSend?: (items: readonly ItemReceipt[]) => Promise<void>;
  /**
   * Instrumentation (metrics, health): called once per acked batch, after its items' `done`.
   * `durationMs` is the successful attempt's; `attempts` counts all of them; `bytes` is the
   * encoded body size. Errors it throws are ignored; unset changes nothing.
   */
  onSent?: (info: { items: readonly ItemReceipt[]; durationMs: number; attempts: number; bytes: number }) => void;
  /**
   * Instrumentation: called after every failed send attempt (transient or permanent, timeouts
   * included), before any retry or dead-lettering. Errors it throws are ignored.
   */
  onSendFailed?: (info: { count: number; attempt: number; code: string; permanent: boolean; durationMs: number }) => void;
}

/**
 * Counters of one dispatcher. Every pushed event is, at any time, in exactly one of
 * `queuedEvents`, `eventsSent`, `deadLettered`, `failedEvents` (and `droppedEvents` with a
 * disk buffer, whose events replayed from a previous run count as pushed).
 */
export interface DispatchStats {
  /** Events pushed and not yet acked, dead-lettered or failed (open batch and in flight included). */
  queuedEvents: number;
  /** Sum of `item.json.length` over `queuedEvents` (disk buffer: segment bytes holding them, framing included). */
  queuedBytes: number;
  /** Batches the sink acked. */
  batchesSent: number;
  /** Events the sink acked. */
  eventsSent: number;
  /** Encoded (compressed) body bytes the sink acked. */
  bytesSent: number;
  /** Attempts after the first one (each retry of a batch counts once). */
  retries: number;
  /** Batches the sink rejected permanently (dead-lettered, or given up by the dead-letter dispatcher). */
  permanentFailures: number;
  /** Events handed to, and accepted by, the dead-letter destination. */
  deadLettered: number;
  /** Events given up without reaching the sink or the dead-letter destination. */
  failedEvents: number;
  /** Events in the batch currently being sent (0 when idle). */
  inFlight: number;
  /** Disk buffer only: events deleted unsent by `overflow: drop-oldest`. */
  droppedEvents?: number;
  /** Disk buffer only: the disk queue's own numbers. */
  disk?: DiskQueueStats;
}

export interface SinkDispatcher {
  readonly name: string;
  /**
   * Enqueue one item. Returns undefined when there was room, or a promise that resolves once
   * the queue has room again (backpressure: the caller awaits it before pushing more).
   */
  push(item: DispatchItem): Promise<void> | undefined;
  /**
   * Close the open batch now, without waiting for its `maxAgeMs` (the source caught up: what it
   * had is all here). Later items batch as usual. A disk buffer closes it once its reader has
   * moved everything pushed so far from disk into memory.
   */
  flush(): void;
  /** Close the open batch now and resolve when everything pushed so far is acked or dead-lettered. */
  drain(): Promise<void>;
  /** Drain within `graceMs`, then abort in-flight sends and close the sink. Never throws. */
  close(graceMs: number): Promise<{ flushed: boolean }>;
  stats(): DispatchStats;
  /**
   * Resolves once the dispatcher can take records (its disk buffer is open, a Parquet sink's
   * writer is loaded); rejects with the error that prevents it (`BUFFER_UNAVAILABLE`). Memory
   * dispatchers of NDJSON/JSON sinks resolve at once.
   */
  opened(): Promise<void>;
}
