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

/** The record as JSON text: the remembered bytes decoded, else `JSON.stringify`. */
export function recordJson(record: EventRecord): string {
  const bytes = known.get(record);
  return bytes === undefined ? JSON.stringify(record) : decoder.decode(bytes);
}
