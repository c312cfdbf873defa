/**
 * The encoder sender: turns closed batches into sink `Batch`es (deterministic id, metadata,
 * the body the batcher wrote, `body-writer.ts`) and hands them to the next sender one at a
 * time, in close order. Closed batches behind the one in flight finish compressing meanwhile
 * (each body's compression runs on the thread pool from its first record on).
 *
 * Invariants:
 * - Exactly one call of `next` runs at a time, and batches reach it in the order they closed.
 * - Encoding never rejects: a failed body becomes a prepared batch with `batch: null` and a
 *   permanent `INTERNAL` failure in `error`, which the next sender gives up.
 * - Once `stop.forced`, nothing more is handed on.
 */
import type { Batch, EncodingOptions } from '../plugins/api.js';
import type { Logger } from '../util/logger.js';
import type { ClosedBatch } from './batcher.js';
import type { ItemReceipt } from './types.js';
import type { Stop } from './shutdown.js';
import { batchId } from './batch-id.js';
import { writtenRecords } from './body-writer.js';
import { type SendFailure, failureMessage } from './retry.js';

/** A closed batch after encoding: `batch` is null when encoding failed (`error` says why). */
export interface PreparedBatch extends Omit<ClosedBatch, 'body'> {
  batch: Batch<unknown> | null;
  error: SendFailure | null;
}

export interface EncoderOptions {
  /** Sink name (`Batch.sink`). */
  name: string;
  cluster: string;
  encoding: EncodingOptions;
  log: Logger;
}

export interface Encoder {
  /** Takes a closed batch (the batcher's `onClose`); starts encoding and delivery as room allows. */
  enqueue: (closed: ClosedBatch) => void;
}

/** Earliest and latest parseable timestamp strings among the items. */
export function timestampRange(items: readonly ItemReceipt[]): { min: string | null; max: string | null } {
  let min: string | null = null;
  let max: string | null = null;
  let minMs = Infinity;
  let maxMs = -Infinity;
  for (const item of items) {
    const ts = item.timestamp;
    if (ts === null) continue;
    const ms = Date.parse(ts);
    if (Number.isNaN(ms)) continue;
    if (ms < minMs) {
      minMs = ms;
      min = ts;
    }
    if (ms > maxMs) {
      maxMs = ms;
      max = ts;
    }
  }
  return { min, max };
}

export function createEncoder(options: EncoderOptions, stop: Stop, next: (prepared: PreparedBatch) => Promise<void>): Encoder {
  const { name, cluster, encoding, log } = options;
  const encodingMeta = { format: encoding.format, compression: encoding.compression, ...(encoding.level !== undefined ? { level: encoding.level } : {}) };
  const waiting: ClosedBatch[] = [];
  let running = false;

  /** Waits for a closed batch's body. Never rejects: a failed body becomes a permanent failure. */
  async function prepare(closed: ClosedBatch): Promise<PreparedBatch> {
    const items = closed.items;
    const range = timestampRange(items);
    const first = items[0]!;
    const last = items[items.length - 1]!;
    const id = batchId({ sink: name, firstId: first.id, lastId: last.id, count: items.length, minTimestamp: range.min });
    const closedPart = { items, queueBytes: closed.queueBytes, closedAt: closed.closedAt };
    try {
      const encoded = await closed.body;
      // Sinks that send only the body (files, object stores) never decode it.
      let records: unknown[] | null = null;
      const batch: Batch<unknown> = {
        id,
        sink: name,
        cluster,
        count: items.length,
        get records() {
          return (records ??= writtenRecords(encoded, encoding));
        },
        body: encoded.body,
        rawBytes: encoded.rawBytes,
        encoding: { ...encodingMeta },
        contentType: encoded.contentType,
        contentEncoding: encoded.contentEncoding,
        extension: encoded.extension,
        createdAt: closed.closedAt,
        minTimestamp: range.min,
        maxTimestamp: range.max,
      };
      return { ...closedPart, batch, error: null };
    } catch (err) {
      log.error('batch encoding failed', { batchId: id, count: items.length, attempt: 0, error: failureMessage(err) });
      const error: SendFailure = { kind: 'permanent', code: 'INTERNAL', message: `encoding failed: ${failureMessage(err)}` };
      return { ...closedPart, batch: null, error };
    }
  }

  /** One batch at a time, in order. */
  async function run(): Promise<void> {
    running = true;
    try {
      while (!stop.forced) {
        const closed = waiting.shift();
        if (closed === undefined) break;
        const prepared = await prepare(closed);
        if (stop.forced) break;
        await next(prepared);
      }
    } catch (err) {
      log.error('internal dispatch error', { error: failureMessage(err) });
    } finally {
      running = false;
    }
  }

  return {
    enqueue(closed: ClosedBatch): void {
      waiting.push(closed);
      if (!running && !stop.forced) void run();
    },
  };
}
