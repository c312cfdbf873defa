/**
 * Writes one batch as one Parquet file (schema: `schema.ts`) with our own encoder for this fixed
 * schema (`column.ts`, `levels.ts`, `thrift.ts`, `file.ts`): each record's values go into
 * per-column byte buffers as it arrives (definition levels, PLAIN values; the record is not
 * kept), and the file is written when the batch closes, as one row group with column
 * statistics, its pages compressed with the batch's codec (`zstd`, `gzip`: Node's zlib;
 * `snappy`: hyparquet-writer's compressor; `none`).
 */
import type { Compression } from '../../plugins/api.js';
import { LeafColumn } from './column.js';
import { compressor, writeFile } from './file.js';
import { K8streamError } from '../../errors.js';
import { knownEnrichmentJson } from '../../record/serialized.js';
import { ALL_COLUMNS, COLUMNS, type Column, type Leaf, NOT_AN_OBJECT } from './schema.js';

export { decodeBatchFile } from './decode.js';

/** The `created_by` of every file. */
export const CREATED_BY = 'k8stream';

const KNOWN = new Set(COLUMNS.map((c) => c.name));
/**
 * Columns written with min/max statistics, which let a query skip a whole file (a batch is one
 * row group): the times, and what queries filter by (cluster, namespace, type, reason, the
 * involved object, the controller). The others (ids, messages, JSON text, rarely filtered
 * fields) are written without: statistics cost a comparison of every value.
 */
const STATISTICS = new Set(['cluster', 'firstTimestamp', 'lastTimestamp', 'eventTime', 'type', 'reason', 'namespace', 'involvedObject', 'reportingController']);

/** Milliseconds of an ISO-8601 UTC text in `toISOString()` form, else NaN (other forms would not read back the same); remembers the last (a record's timestamps often repeat). */
function timestamps(): (text: string) => number {
  let lastText = '';
  let lastMs = 0;
  return (text) => {
    if (text === lastText) return lastMs;
    const ms = Date.parse(text);
    if (Number.isNaN(ms) || new Date(ms).toISOString() !== text) return NaN;
    lastText = text;
    lastMs = ms;
    return ms;
  };
}

function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 && !Object.is(value, -0);
}

/** Gathers a batch's column values, record by record. */
export interface ParquetColumns {
  readonly count: number;
  /**
   * Adds one record: a parsed JSON value, or the object a record's JSON text was made from (what
   * is stored is what JSON.stringify makes of it: an undefined member is absent).
   */
  add(record: unknown): void;
  /** The file: one row group of every record added (`compression` and `level`: as given to {@link createParquetColumns}, if they were). */
  write(compression: Compression, level: number | undefined): Uint8Array;
}

/**
 * `compression` (and `level`), when known before the records come: full pages are compressed as
 * they fill, so the open batch holds them compressed; {@link ParquetColumns.write} must then be
 * given the same. Without, pages are kept as they are and compressed when the file is written.
 */
export function createParquetColumns(compression?: Compression, level?: number): ParquetColumns {
  const compress = compression === undefined ? null : compressor(compression, level);
  const pageCodec = compression;
  const pageLevel = level;
  const leaves: LeafColumn[] = [];
  /** Each column's leaves: one for a leaf column, a group's in its field order. */
  const columnLeaves: LeafColumn[][] = ALL_COLUMNS.map((c) => {
    const stats = STATISTICS.has(c.name);
    const own =
      c.fields === undefined
        ? [new LeafColumn([c.name], c.leaf!, 1, stats, leaves.length, compress)]
        : c.fields.map((f, i) => new LeafColumn([c.name, f.name], f.leaf, 2, stats, leaves.length + i, compress));
    leaves.push(...own);
    return own;
  });
  const extra = columnLeaves[COLUMNS.length]![0]!;
  const absent = columnLeaves[COLUMNS.length + 1]![0]!;
  const timestamp = timestamps();
  /** A group's field values as stored (strings, numbers, nulls), while the group is checked. */
  const scratch: (string | number | null)[] = [];
  /** The last JSON column value and its text: records about one object share its enrichment, and arrive together. */
  let lastJson: object | null = null;
  let lastJsonText = '';
  let count = 0;

  /** Writes a non-null value of a leaf column; false (nothing written) when the leaf cannot hold it exactly. */
  function put(column: LeafColumn, leaf: Leaf, value: unknown): boolean {
    switch (leaf) {
      case 'string':
        if (typeof value !== 'string') return false;
        column.string(value);
        return true;
      case 'int32':
        if (!isInt32(value)) return false;
        column.int32(value);
        return true;
      case 'timestamp': {
        if (typeof value !== 'string') return false;
        const ms = timestamp(value);
        if (Number.isNaN(ms)) return false;
        column.int64(ms);
        return true;
      }
      case 'json':
        column.string(json(value));
        return true;
    }
  }

  function json(value: unknown): string {
    if (value === null || typeof value !== 'object') return JSON.stringify(value);
    if (value !== lastJson) {
      // The pipeline serialised the record (recordJson) before the sinks got it: its enrichment's JSON is known.
      lastJsonText = knownEnrichmentJson(value) ?? JSON.stringify(value);
      lastJson = value;
    }
    return lastJsonText;
  }

  /** Puts a group's stored field values in `scratch`; false when the value is not an object of exactly the group's fields, each fitting. */
  function groupFits(fields: NonNullable<Column['fields']>, value: unknown): boolean {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
    const obj = value as Record<string, unknown>;
    let keys = 0;
    for (const _ in obj) keys++;
    if (keys !== fields.length) return false;
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      const v = obj[f.name];
      if (v === undefined) return false;
      if (v === null) scratch[i] = null;
      else if (f.leaf === 'string') {
        if (typeof v !== 'string') return false;
        scratch[i] = v;
      } else if (f.leaf === 'int32') {
        if (!isInt32(v)) return false;
        scratch[i] = v;
      } else {
        if (typeof v !== 'string') return false;
        const ms = timestamp(v);
        if (Number.isNaN(ms)) return false;
        scratch[i] = ms;
      }
    }
    return true;
  }

  function nullRow(own: readonly LeafColumn[]): void {
    for (const leaf of own) leaf.null(0);
  }

  return {
    get count() {
      return count;
    },
    add(record: unknown): void {
      count++;
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        // Not an object: its JSON is the whole row.
        for (let i = 0; i < COLUMNS.length; i++) nullRow(columnLeaves[i]!);
        extra.string(JSON.stringify(record));
        absent.string(JSON.stringify(NOT_AN_OBJECT));
        return;
      }
      const rec = record as Record<string, unknown>;
      let rest: Record<string, unknown> | null = null;
      let missing: string[] | null = null;
      let present = 0;
      for (let i = 0; i < COLUMNS.length; i++) {
        const col = COLUMNS[i]!;
        const own = columnLeaves[i]!;
        const value = rec[col.name];
        if (value === undefined) {
          // Absent, or undefined: which JSON.stringify leaves out (the record may be the object its JSON was made from).
          (missing ??= []).push(col.name);
          nullRow(own);
          continue;
        }
        present++;
        if (value === null) nullRow(own);
        else if (col.fields === undefined) {
          if (!put(own[0]!, col.leaf!, value)) {
            (rest ??= {})[col.name] = value;
            own[0]!.null(0);
          }
        } else if (groupFits(col.fields, value)) {
          for (let f = 0; f < own.length; f++) {
            const v = scratch[f]!;
            const leaf = own[f]!;
            if (v === null) leaf.null(1);
            else if (typeof v === 'string') leaf.string(v);
            else if (leaf.leaf === 'int32') leaf.int32(v);
            else leaf.int64(v);
          }
        } else {
          (rest ??= {})[col.name] = value;
          nullRow(own);
        }
      }
      let keys = 0;
      for (const _ in rec) keys++;
      if (keys !== present) {
        for (const key of Object.keys(rec)) if (!KNOWN.has(key) && rec[key] !== undefined) (rest ??= {})[key] = rec[key];
      }
      if (rest === null) extra.null(0);
      else extra.string(JSON.stringify(rest));
      if (missing === null) absent.null(0);
      else absent.string(JSON.stringify(missing));
    },
    write(compression: Compression, level: number | undefined): Uint8Array {
      if (pageCodec !== undefined && (compression !== pageCodec || level !== pageLevel)) {
        throw new K8streamError('INTERNAL', `parquet columns compressed as ${pageCodec}, asked to write ${compression}`);
      }
      const file = writeFile({
        columns: ALL_COLUMNS,
        leaves,
        rows: count,
        compression,
        level,
        createdBy: CREATED_BY,
        keyValues: [['k8stream.schema', 'k8stream.event/v1']],
      });
      for (const leaf of leaves) leaf.release();
      return file;
    },
  };
}
