/**
 * Per-sink delivery: queue → batcher → encoder → timeout/retry → sink.send → ack.
 * Only this folder batches, retries, buffers or times out.
 */
import type { BatchOptions, EncodingOptions, SinkInstance } from '../plugins/api.js';
import type { QueueConfig, RetryConfig } from '../config/types.js';
import type { Logger } from '../util/logger.js';

/** A record as it travels to a sink: serialised once, shared by every sink it routes to. */
export interface DispatchItem<R = unknown> {
  /** Deterministic record id. */
  id: string;
  record: R;
  /** `JSON.stringify(record)`, computed once. */
  json: string;
  /** Event timestamp (ISO) used for time partitioning and lag; null when unknown. */
  timestamp: string | null;
  /** Called once when the sink acked the batch holding this item (or it was dead-lettered). */
  done?: (outcome: 'acked' | 'deadlettered') => void;
}

/** Why an item ended up in the dead-letter destination. */
export interface DeadLetterRecord {
  schema: 'k8stream.deadletter/v1';
  id: string;
  time: string;
  stage: 'sink' | 'transform' | 'source';
  /** Sink or transform name. */
  component: string;
  error: { code: string; message: string };
  /** The original record (or raw input for source failures). */
  record: unknown;
}

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
  queue: QueueConfig;
  logger: Logger;
  /** Null only for the dead-letter dispatcher itself (it retries forever). */
  deadLetter: DeadLetter | null;
}

export interface DispatchStats {
  queuedEvents: number;
  queuedBytes: number;
  batchesSent: number;
  eventsSent: number;
  bytesSent: number;
  retries: number;
  permanentFailures: number;
  deadLettered: number;
  inFlight: number;
}

export interface SinkDispatcher {
  readonly name: string;
  /**
   * Enqueue one item. Returns undefined when there was room, or a promise that resolves once
   * the queue has room again (backpressure: the caller awaits it before pushing more).
   */
  push(item: DispatchItem): Promise<void> | undefined;
  /** Close the open batch now and resolve when everything pushed so far is acked or dead-lettered. */
  drain(): Promise<void>;
  /** Drain within `graceMs`, then abort in-flight sends and close the sink. Never throws. */
  close(graceMs: number): Promise<{ flushed: boolean }>;
  stats(): DispatchStats;
}
