/**
 * The batcher: collects pushed items into the open batch and hands each closed batch on,
 * synchronously, in push order. Each item's JSON text goes into the open batch's body as it
 * arrives (body-writer.ts: compressed while the batch fills); the batch keeps only the item's
 * receipt, so the text can be collected as soon as every sink it routes to has taken it.
 *
 * Invariants:
 * - The open batch closes at `maxEvents`; before an item that would take it past `maxBytes`
 *   (UTF-8 bytes plus one separator per record: `item.bytes` when the producer measured it,
 *   else measured here); as soon as it reaches `maxBytes`; `maxAgeMs` after its first item
 *   arrived; and on {@link Batcher.flush}. A single item larger than `maxBytes` goes alone.
 * - A closed batch is never empty, and `queueBytes` is the sum of its items' `json.length`
 *   (what the queue bound counted for them).
 * - At most one age timer exists (unref'd: it never keeps the process alive); {@link Batcher.stop}
 *   clears it for good.
 */
import type { BatchOptions, EncodingOptions } from '../plugins/api.js';
import type { DispatchItem, ItemReceipt } from './types.js';
import { type BodyWriter, type WrittenBody, createBodyWriter } from './body-writer.js';
import { timer } from './shutdown.js';

/** A closed batch, its body finishing. */
export interface ClosedBatch {
  items: ItemReceipt[];
  /** The body: resolves once compression has finished; rejects if it failed (nothing else reads it then). */
  body: Promise<WrittenBody>;
  /** Sum of `item.json.length`, released from the queue bound when the batch completes. */
  queueBytes: number;
  /** When the batch closed (ms since epoch): the sink `Batch.createdAt`. */
  closedAt: number;
}

export interface Batcher {
  /** Items in the open batch. */
  readonly size: number;
  /** Adds an item to the open batch, closing it before and/or after as the limits say. */
  add(item: DispatchItem): void;
  /** Closes the open batch now (no-op when it is empty). */
  flush(): void;
  /** Clears the age timer (forced shutdown); later items get no age limit. */
  stop(): void;
}

export function createBatcher(limits: BatchOptions, encoding: EncodingOptions, onClose: (batch: ClosedBatch) => void): Batcher {
  let open: ItemReceipt[] = [];
  let writer: BodyWriter | null = null;
  let openBytes = 0;
  let openQueueBytes = 0;
  let ageTimer: NodeJS.Timeout | undefined;
  let stopped = false;

  function onAge(): void {
    ageTimer = undefined;
    flush();
  }

  function flush(): void {
    if (open.length === 0) return;
    if (ageTimer !== undefined) {
      clearTimeout(ageTimer);
      ageTimer = undefined;
    }
    const body = writer!.finish();
    body.catch(() => undefined); // awaited by the encoder, which turns a failure into a given-up batch
    const closed: ClosedBatch = { items: open, body, queueBytes: openQueueBytes, closedAt: Date.now() };
    open = [];
    writer = null;
    openBytes = 0;
    openQueueBytes = 0;
    onClose(closed);
  }

  return {
    get size() {
      return open.length;
    },
    add(item: DispatchItem): void {
      const size = (item.bytes ?? Buffer.byteLength(item.json, 'utf8')) + 1;
      if (open.length > 0 && openBytes + size > limits.maxBytes) flush();
      writer ??= createBodyWriter(encoding);
      writer.add(item.json, size - 1, item.record); // the record is read now, not kept
      open.push({ id: item.id, timestamp: item.timestamp, done: item.done, checkpoint: item.checkpoint, resourceVersion: item.resourceVersion });
      openBytes += size;
      openQueueBytes += item.json.length;
      if (open.length === 1 && !stopped) {
        ageTimer = timer(limits.maxAgeMs, onAge);
        ageTimer?.unref();
      }
      if (open.length >= limits.maxEvents || openBytes >= limits.maxBytes) flush();
    },
    flush,
    stop(): void {
      stopped = true;
      if (ageTimer !== undefined) clearTimeout(ageTimer);
      ageTimer = undefined;
    },
  };
}
