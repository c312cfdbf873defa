/**
 * Deterministic batch ids: the same records in the same batch of the same sink always get the
 * same id, also after a restart, so a retried batch — or one re-formed with the same records
 * after a crash — overwrites its earlier copy instead of duplicating it (the object-store and
 * file sinks build their keys from it). A batch re-formed with other boundaries gets another id.
 * Nothing here reads the wall clock.
 */
import { createHash } from 'node:crypto';

/** What a batch id is derived from. */
export interface BatchIdInput {
  /**
   * Name of the sink the batch is for: two sinks writing into one bucket or directory never
   * share an id, even for batches with the same first and last record and count.
   */
  sink: string;
  /** Id of the first record in the batch. */
  firstId: string;
  /** Id of the last record in the batch. */
  lastId: string;
  /** Number of records in the batch. */
  count: number;
  /**
   * Earliest event timestamp in the batch (ISO). When it parses, the id starts with a
   * sortable UTC time part (`20261105T101530123Z-`), so ids sort roughly by event time.
   */
  minTimestamp?: string | null;
}

/** Length of the hash part of a batch id, in hex characters. */
export const BATCH_HASH_LENGTH = 20;

/** `2026-11-05T10:15:30.123Z` → `20261105T101530123Z`; null when the timestamp does not parse. */
export function sortableTimePart(timestamp: string | null | undefined): string | null {
  if (!timestamp) return null;
  const ms = Date.parse(timestamp);
  if (!Number.isFinite(ms)) return null;
  const iso = new Date(ms).toISOString();
  // Years outside 0000-9999 render as ±YYYYYY: no sortable part for those.
  if (iso.length !== 24) return null;
  return iso.replace(/[-:.]/g, '');
}

/**
 * The batch id: `[<sortable time>-]<20 hex chars of sha256(sink, count, firstId, lastId)>`.
 * The inputs are hashed as a JSON array, so ids containing separators cannot collide.
 */
export function batchId(input: BatchIdInput): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([input.sink, input.count, input.firstId, input.lastId]))
    .digest('hex')
    .slice(0, BATCH_HASH_LENGTH);
  const time = sortableTimePart(input.minTimestamp);
  return time === null ? hash : `${time}-${hash}`;
}
