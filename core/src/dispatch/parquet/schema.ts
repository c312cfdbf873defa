/**
 * The Parquet schema of a `k8stream.event/v1` batch (docs/record.md, "Parquet"): one row per
 * record, the record's top-level fields as typed columns.
 *
 * - strings: `BYTE_ARRAY` / `STRING`; `count`: `INT32`;
 * - `firstTimestamp`, `lastTimestamp`, `eventTime`, `series.lastObservedTime`:
 *   `INT64` `TIMESTAMP(MILLIS, isAdjustedToUTC=true)`;
 * - `involvedObject`, `related`, `source`, `series`: nested groups (structs) of those types. DuckDB
 *   reads a group's leaves as columns of their own (`involvedObject.kind` reads one small column,
 *   with row-group statistics), where a JSON string column must be read whole and parsed;
 * - `enrichment`: a `JSON` string: its labels and annotations have free-form keys, which a fixed
 *   schema can only hold as a MAP, and DuckDB reads the JSON column as its JSON type
 *   (`enrichment->>'$.workload.name'`);
 * - `_extra` (`JSON`) and `_absent` (`JSON`, a list of names): whatever of a record the columns do
 *   not hold exactly (a field a transform added, a value of another type, a timestamp not in
 *   `toISOString()` form, a field the record lacks), so every record decodes back to itself.
 *   Both are null for every record the core writes.
 */

/** A leaf of the schema: how one value is stored. */
export type Leaf = 'string' | 'int32' | 'timestamp' | 'json';

/** A top-level column: a leaf or a group of leaves. */
export interface Column {
  name: string;
  leaf?: Leaf;
  fields?: readonly { name: string; leaf: Exclude<Leaf, 'json'> }[];
}

const OBJECT_REF = ['kind', 'name', 'namespace', 'uid', 'apiVersion', 'fieldPath'].map((name) => ({ name, leaf: 'string' as const }));

/** The record's columns, in file order. */
export const COLUMNS: readonly Column[] = [
  { name: 'schema', leaf: 'string' },
  { name: 'id', leaf: 'string' },
  { name: 'cluster', leaf: 'string' },
  { name: 'uid', leaf: 'string' },
  { name: 'resourceVersion', leaf: 'string' },
  { name: 'firstTimestamp', leaf: 'timestamp' },
  { name: 'lastTimestamp', leaf: 'timestamp' },
  { name: 'eventTime', leaf: 'timestamp' },
  { name: 'count', leaf: 'int32' },
  { name: 'type', leaf: 'string' },
  { name: 'reason', leaf: 'string' },
  { name: 'message', leaf: 'string' },
  { name: 'action', leaf: 'string' },
  { name: 'namespace', leaf: 'string' },
  { name: 'involvedObject', fields: OBJECT_REF },
  {
    name: 'source',
    fields: [
      { name: 'component', leaf: 'string' },
      { name: 'host', leaf: 'string' },
    ],
  },
  { name: 'reportingController', leaf: 'string' },
  { name: 'reportingInstance', leaf: 'string' },
  { name: 'apiVersion', leaf: 'string' },
  { name: 'eventAction', leaf: 'string' },
  { name: 'related', fields: OBJECT_REF },
  {
    name: 'series',
    fields: [
      { name: 'count', leaf: 'int32' },
      { name: 'lastObservedTime', leaf: 'timestamp' },
    ],
  },
  { name: 'enrichment', leaf: 'json' },
];

/** Column of the record members the typed columns do not hold (a JSON object), or of a record that is not an object (its JSON). */
export const EXTRA = '_extra';
/** Column listing the schema's fields a record lacks (a JSON array of names), or {@link NOT_AN_OBJECT}. */
export const ABSENT = '_absent';
/** `_absent` of a record that is not a JSON object: the record is `_extra`'s value. */
export const NOT_AN_OBJECT = '*';

/** Every column of the file, in order: the record's, then {@link EXTRA} and {@link ABSENT}. */
export const ALL_COLUMNS: readonly Column[] = [...COLUMNS, { name: EXTRA, leaf: 'json' }, { name: ABSENT, leaf: 'json' }];

/** The record of one row: the typed columns, then `_extra`'s members; `_absent`'s names left out (`_absent` `"*"`: the record is `_extra`). */
export function rowToRecord(row: Record<string, unknown>): unknown {
  const extra = row[EXTRA] ?? null;
  const absentNames = row[ABSENT] ?? null;
  if (absentNames === NOT_AN_OBJECT) return extra;
  const absent = new Set((absentNames as string[] | null) ?? []);
  const rest = (extra ?? {}) as Record<string, unknown>;
  const record: Record<string, unknown> = {};
  for (const col of COLUMNS) {
    if (absent.has(col.name)) continue;
    if (Object.hasOwn(rest, col.name)) continue;
    const value = row[col.name] ?? null;
    if (col.fields !== undefined && value !== null) {
      const obj = value as Record<string, unknown>;
      const group: Record<string, unknown> = {};
      for (const f of col.fields) group[f.name] = obj[f.name] ?? null;
      record[col.name] = group;
    } else record[col.name] = value;
  }
  for (const key of Object.keys(rest)) record[key] = rest[key];
  return record;
}
