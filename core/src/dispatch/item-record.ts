/**
 * A queued item holds one representation of its record: the JSON text (the object is dropped
 * once serialised, so a full queue costs its text, not text and object). The object is
 * rebuilt only where something asks for it: a sink reading `batch.records`, a dead letter.
 */
import type { DispatchItem } from './types.js';

/** The item's record: the object when the producer kept it, else parsed from its JSON (the text itself if it is not JSON). */
export function itemRecord(item: DispatchItem): unknown {
  if (item.record !== undefined) return item.record;
  try {
    return JSON.parse(item.json) as unknown;
  } catch {
    return item.json;
  }
}

/**
 * `items`' records as an array built on first read and kept: sinks that send only the encoded
 * body (files, object stores) never pay for parsing.
 */
export function lazyRecords(items: readonly DispatchItem[]): () => readonly unknown[] {
  let records: unknown[] | null = null;
  return () => {
    if (records === null) {
      records = new Array<unknown>(items.length);
      for (let i = 0; i < items.length; i++) records[i] = itemRecord(items[i]!);
    }
    return records;
  };
}
