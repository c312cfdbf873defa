/**
 * JSON text already produced for a record — by a transform, whose output is JSON — kept so the
 * pipeline does not serialise the same record again. A record must not change once its JSON is
 * remembered (after the transform stage nothing changes records).
 */
import type { EventRecord } from './types.js';

const known = new WeakMap<object, Uint8Array>();
const decoder = new TextDecoder();

/** Remembers `bytes` (UTF-8 JSON of exactly this record). */
export function rememberJson(record: object, bytes: Uint8Array): void {
  known.set(record, bytes);
}

/** The record as JSON text: the remembered bytes decoded, else serialised. */
export function recordJson(record: EventRecord): string {
  const bytes = known.get(record);
  return bytes === undefined ? serialise(record) : decoder.decode(bytes);
}

/**
 * Enrichment objects as JSON. Records about the same object in a chunk share one enrichment
 * object (the enricher's groups), and it is often half of a record's bytes: serialised once.
 * Held weakly, so it goes with the last record that uses it.
 */
const enrichmentJson = new WeakMap<object, string>();

/**
 * `JSON.stringify(record)`, with a shared enrichment serialised once. `enrichment` is the last
 * field a record is built with (toRecord), so leaving it out and appending it keeps the order.
 */
function serialise(record: EventRecord): string {
  const e = record.enrichment as EventRecord['enrichment'] | undefined;
  if (e === undefined || e === null || typeof e !== 'object') return JSON.stringify(record);
  let ej = enrichmentJson.get(e);
  if (ej === undefined) {
    ej = JSON.stringify(e);
    enrichmentJson.set(e, ej);
  }
  const mutable = record as { enrichment: unknown };
  mutable.enrichment = undefined; // JSON.stringify skips it; restored below
  let head: string;
  try {
    head = JSON.stringify(record);
  } finally {
    mutable.enrichment = e;
  }
  return `${head.slice(0, -1)}${head.length > 2 ? ',' : ''}"enrichment":${ej}}`;
}
