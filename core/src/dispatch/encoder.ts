/**
 * The encoder sender: turns closed batches into sink `Batch`es (deterministic id, metadata,
 * body from `encode.ts`) and hands them to the next sender one at a time, in close order,
 * while up to `encodeAhead` following batches encode meanwhile (compression runs on the
 * thread pool, so they encode in parallel with the send in flight).
 *
 * Invariants:
 * - Exactly one call of `next` runs at a time, and batches reach it in the order they closed.
 * - Encoding never rejects: a failure becomes a prepared batch with `batch: null` and a
 *   permanent `INTERNAL` failure in `error`, which the next sender gives up.
 * - Once `stop.forced`, nothing new is encoded and nothing more is handed on.
 */
import type { Batch, EncodingOptions } from '../plugins/api.js';
import type { Logger } from '../util/logger.js';
import type { ClosedBatch } from './batcher.js';
import type { DispatchItem } from './types.js';
import type { Stop } from './shutdown.js';
import { batchId } from './batch-id.js';
import { lazyRecords } from './item-record.js';
import { encodeBatch } from './encode.js';
import { type SendFailure, failureMessage } from './retry.js';

/** A closed batch after encoding: `batch` is null when encoding failed (`error` says why). */
export interface PreparedBatch extends ClosedBatch {
  batch: Batch<unknown> | null;
  error: SendFailure | null;
}

export interface EncoderOptions {
  /** Sink name (`Batch.sink`). */
  name: string;
  cluster: string;
  encoding: EncodingOptions;
  /** Batches encoded ahead of the one being sent. @default 2 */
  encodeAhead: number | undefined;
  log: Logger;
}

export interface Encoder {
  /** Takes a closed batch (the batcher's `onClose`); starts encoding and delivery as room allows. */
  enqueue: (closed: ClosedBatch) => void;
}

/** Earliest and latest parseable timestamp strings among the items. */
export function timestampRange(items: readonly DispatchItem[]): { min: string | null; max: string | null } {
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
  const encodeAhead = Math.max(1, Math.floor(options.encodeAhead ?? 2));
  const encodingMeta = { format: encoding.format, compression: encoding.compression, ...(encoding.level !== undefined ? { level: encoding.level } : {}) };
  const waiting: ClosedBatch[] = [];
  /** Batches being encoded (or encoded) ahead of the one in flight, oldest first. */
  const ahead: Promise<PreparedBatch>[] = [];
  let running = false;

  function startEncoding(): void {
    if (stop.forced) return;
    while (ahead.length < encodeAhead) {
      const closed = waiting.shift();
      if (closed === undefined) return;
      ahead.push(prepare(closed));
    }
  }

  /** Encodes a closed batch. Never rejects: an encoding failure becomes a permanent failure. */
  async function prepare(closed: ClosedBatch): Promise<PreparedBatch> {
    const items = closed.items;
    const lines = new Array<string>(items.length);
    for (let i = 0; i < items.length; i++) lines[i] = (items[i] as DispatchItem).json;
    const range = timestampRange(items);
    const first = items[0] as DispatchItem;
    const last = items[items.length - 1] as DispatchItem;
    const id = batchId({ firstId: first.id, lastId: last.id, count: items.length, minTimestamp: range.min });
    try {
      const encoded = await encodeBatch(lines, encoding);
      const records = lazyRecords(items);
      const batch: Batch<unknown> = {
        id,
        sink: name,
        cluster,
        get records() {
          return records();
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
      return { ...closed, batch, error: null };
    } catch (err) {
      log.error('batch encoding failed', { batchId: id, count: items.length, attempt: 0, error: failureMessage(err) });
      const error: SendFailure = { kind: 'permanent', code: 'INTERNAL', message: `encoding failed: ${failureMessage(err)}` };
      return { ...closed, batch: null, error };
    }
  }

  /** One batch at a time, in order; keeps the following ones encoding meanwhile. */
  async function run(): Promise<void> {
    running = true;
    try {
      while (!stop.forced) {
        startEncoding();
        const encoding = ahead.shift();
        if (encoding === undefined) break;
        const prepared = await encoding;
        if (stop.forced) break;
        startEncoding();
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
      startEncoding();
      if (!running && !stop.forced) void run();
    },
  };
}
