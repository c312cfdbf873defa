/**
 * JSON text already produced for a record — by a transform, whose output is JSON, or for the
 * transform stage's input — kept so the pipeline does not serialise the same record again. A
 * record must not change once its JSON is remembered (after the transform stage nothing
 * changes records).
 */
import type { EventRecord } from './types.js';

/** Text, or UTF-8 bytes decoded on use. */
const known = new WeakMap<object, string | Uint8Array>();
const decoder = new TextDecoder();

/** Remembers `json` (the JSON of exactly this record: text, or its UTF-8 bytes). */
export function rememberJson(record: object, json: string | Uint8Array): void {
  known.set(record, json);
}

/** The record as JSON text: the remembered JSON, else serialised. */
export function recordJson(record: EventRecord): string {
  const json = known.get(record);
  if (json === undefined) return serialiseRecord(record);
  return typeof json === 'string' ? json : decoder.decode(json);
}

/**
 * Enrichment objects as JSON. Records about the same object in a chunk share one enrichment
 * object (the enricher's groups), and it is often half of a record's bytes: serialised once.
 * Held weakly, so it goes with the last record that uses it.
 */
const enrichmentJson = new WeakMap<object, string>();

/**
 * The JSON text of an enrichment object {@link serialiseRecord} has already serialised
 * (`JSON.stringify(e)`, exactly), else undefined: a Parquet batch's `enrichment` column takes it
 * instead of serialising the object again.
 */
export function knownEnrichmentJson(e: object): string | undefined {
  return enrichmentJson.get(e);
}

/**
 * The record serialised afresh (whatever JSON is remembered for it): `JSON.stringify(record)`,
 * with a shared enrichment serialised once. `enrichment` is the last
 * field a record is built with (toRecord), so leaving it out and appending it keeps the order;
 * a record built otherwise (parsed from a file or a transform's output) may have it elsewhere,
 * and is serialised plainly.
 */
export function serialiseRecord(record: EventRecord): string {
  const e = record.enrichment as EventRecord['enrichment'] | undefined;
  if (e === undefined || e === null || typeof e !== 'object' || !enrichmentIsLast(record)) return JSON.stringify(record);
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

/** Whether `enrichment` is the record's last own enumerable key (as JSON.stringify orders them). */
function enrichmentIsLast(record: object): boolean {
  const keys = Object.keys(record);
  return keys[keys.length - 1] === 'enrichment';
}
