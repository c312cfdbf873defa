/**
 * Writes one batch as one Parquet file (schema: `schema.ts`) with hyparquet-writer: records are
 * parsed as they arrive and their values appended to per-column arrays (the JSON text is not
 * kept), and the file is written when the batch closes, as one row group with column statistics,
 * its pages compressed with the batch's codec (`zstd`, `gzip`: Node's zlib; `none`).
 */
import { Buffer } from 'node:buffer';
import * as zlib from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource, SchemaElement } from 'hyparquet-writer';
import type { Compression } from '../../plugins/api.js';
import { K8streamError } from '../../errors.js';
import { ABSENT, COLUMNS, type Column, EXTRA, type Leaf, NOT_AN_OBJECT } from './schema.js';

/** The `created_by` of every file. */
export const CREATED_BY = 'k8stream';

type Codec = 'ZSTD' | 'GZIP' | 'SNAPPY' | 'UNCOMPRESSED';

function codecOf(compression: Compression): Codec {
  switch (compression) {
    case 'zstd':
      return 'ZSTD';
    case 'gzip':
      return 'GZIP';
    case 'snappy':
      return 'SNAPPY'; // hyparquet-writer's own snappy
    case 'none':
      return 'UNCOMPRESSED';
    default:
      throw new K8streamError('CONFIG_INVALID', `encoding.compression: parquet does not support ${JSON.stringify(compression)}`);
  }
}

function leafElement(name: string, leaf: Leaf): SchemaElement {
  switch (leaf) {
    case 'string':
      return { name, type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' }, repetition_type: 'OPTIONAL' };
    case 'int32':
      return { name, type: 'INT32', repetition_type: 'OPTIONAL' };
    case 'timestamp':
      return { name, type: 'INT64', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MILLIS' }, repetition_type: 'OPTIONAL' };
    case 'json':
      return { name, type: 'BYTE_ARRAY', converted_type: 'JSON', logical_type: { type: 'JSON' }, repetition_type: 'OPTIONAL' };
  }
}

const ALL_COLUMNS: readonly Column[] = [...COLUMNS, { name: EXTRA, leaf: 'json' }, { name: ABSENT, leaf: 'json' }];

/** The file's schema elements (depth-first, root first). */
export const SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: ALL_COLUMNS.length },
  ...ALL_COLUMNS.flatMap((c): SchemaElement[] =>
    c.fields === undefined
      ? [leafElement(c.name, c.leaf!)]
      : [{ name: c.name, repetition_type: 'OPTIONAL', num_children: c.fields.length }, ...c.fields.map((f) => leafElement(f.name, f.leaf))],
  ),
];

const KNOWN = new Set(COLUMNS.map((c) => c.name));
/** Columns written without a dictionary. */
const PLAIN = new Set(['id', 'uid', 'resourceVersion', 'message']);
/**
 * Columns written with min/max statistics, which let a query skip a whole file (a batch is one
 * row group): the times, and what queries filter by (cluster, namespace, type, reason, the
 * involved object, the controller). The others (ids, messages, JSON text, rarely filtered
 * fields) are written without: statistics cost a comparison of every value, about a tenth of a
 * file's CPU for all columns.
 */
const STATISTICS = new Set(['cluster', 'firstTimestamp', 'lastTimestamp', 'eventTime', 'type', 'reason', 'namespace', 'involvedObject', 'reportingController']);

/**
 * A column's strings as UTF-8 views into one buffer, each written natively, where
 * hyparquet-writer would allocate one TextEncoder array per value (about a tenth of a file's CPU
 * for the plain columns). Other values (nulls) stay as they are.
 */
function utf8Views(values: readonly unknown[]): unknown[] {
  let bound = 0;
  for (const v of values) if (typeof v === 'string') bound += v.length * 3; // a UTF-16 code unit is at most 3 UTF-8 bytes
  const buffer = Buffer.allocUnsafeSlow(bound);
  const out = new Array<unknown>(values.length);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string') {
      out[i] = v;
      continue;
    }
    const n = buffer.write(v, at, 'utf8');
    out[i] = new Uint8Array(buffer.buffer, at, n);
    at += n;
  }
  return out;
}

/**
 * A JSON column's objects and arrays, each behind a null-prototype wrapper whose `toJSON` returns
 * it: hyparquet-writer writes `JSON.stringify(toJson(value))`, and its `toJson` copies every
 * object member by member in JavaScript first (a fifth of a file's CPU, for enrichment) unless
 * the value is not an `Object` instance. The wrapper is not one, so `JSON.stringify` serialises
 * the value itself, natively, to the same text (for JSON values `toJson` changes nothing). A
 * value several records share (an enrichment object) gets one wrapper, which hyparquet-writer
 * then serialises once. The read-back tests guard this against a hyparquet-writer upgrade.
 */
function nativeJson(values: readonly unknown[]): unknown[] {
  const wrappers = new Map<object, unknown>();
  return values.map((v) => {
    if (v === null || typeof v !== 'object') return v;
    let wrapper = wrappers.get(v);
    if (wrapper === undefined) {
      wrapper = Object.assign(Object.create(null) as object, { toJSON: () => v });
      wrappers.set(v, wrapper);
    }
    return wrapper;
  });
}

/** What {@link toStored} returns for a value its leaf cannot hold exactly. */
const NO_FIT = Symbol('no fit');

/** Converts values to what hyparquet-writer takes; remembers the last timestamp (a record's often repeat). */
function storer() {
  let lastText = '';
  let lastMs = 0;
  /** Milliseconds of an ISO-8601 UTC text in `toISOString()` form, else NO_FIT (other forms would not read back the same). */
  function timestamp(text: string): number | typeof NO_FIT {
    if (text === lastText) return lastMs;
    const ms = Date.parse(text);
    if (Number.isNaN(ms) || new Date(ms).toISOString() !== text) return NO_FIT;
    lastText = text;
    lastMs = ms;
    return ms;
  }
  /** The stored form of a leaf's value (null stays null; JSON values as they are: the writer writes their text). */
  function leaf(kind: Leaf, value: unknown): unknown {
    if (value === null) return null;
    switch (kind) {
      case 'string':
        return typeof value === 'string' ? value : NO_FIT;
      case 'int32':
        return typeof value === 'number' && Number.isInteger(value) && value >= -2147483648 && value <= 2147483647 && !Object.is(value, -0) ? value : NO_FIT;
      case 'timestamp':
        return typeof value === 'string' ? timestamp(value) : NO_FIT;
      case 'json':
        return value;
    }
  }
  /** The stored form of a group: null, or an object with exactly the group's fields, each fitting (the record's own object when it needs no conversion). */
  function group(fields: NonNullable<Column['fields']>, value: unknown): unknown {
    if (value === null) return null;
    if (typeof value !== 'object' || Array.isArray(value)) return NO_FIT;
    const obj = value as Record<string, unknown>;
    let keys = 0;
    for (const _ in obj) keys++;
    if (keys !== fields.length) return NO_FIT;
    let converted: Record<string, unknown> | null = null;
    for (const f of fields) {
      const v = obj[f.name];
      if (v === undefined) return NO_FIT;
      const out = leaf(f.leaf, v);
      if (out === NO_FIT) return NO_FIT;
      if (out !== v) (converted ??= { ...obj })[f.name] = out;
    }
    return converted ?? obj;
  }
  return { leaf, group };
}

/** Gathers a batch's column values, record by record. */
export interface ParquetColumns {
  readonly count: number;
  /**
   * Adds one record: a parsed JSON value, or the object a record's JSON text was made from (what
   * is stored is what JSON.stringify makes of it: an undefined member is absent).
   */
  add(record: unknown): void;
  /** The file: one row group of every record added. */
  write(compression: Compression, level: number | undefined): Uint8Array;
}

export function createParquetColumns(): ParquetColumns {
  const data: unknown[][] = ALL_COLUMNS.map(() => []);
  const extra = data[COLUMNS.length]!;
  const absent = data[COLUMNS.length + 1]!;
  let count = 0;
  const store = storer();
  return {
    get count() {
      return count;
    },
    add(record: unknown): void {
      count++;
      if (record === null || typeof record !== 'object' || Array.isArray(record)) {
        // Not an object: its JSON is the whole row.
        for (let i = 0; i < COLUMNS.length; i++) data[i]!.push(null);
        extra.push(record);
        absent.push(NOT_AN_OBJECT);
        return;
      }
      const rec = record as Record<string, unknown>;
      let rest: Record<string, unknown> | null = null;
      let missing: string[] | null = null;
      let present = 0;
      for (let i = 0; i < COLUMNS.length; i++) {
        const col = COLUMNS[i]!;
        const value = rec[col.name];
        if (value === undefined) {
          // Absent, or undefined: which JSON.stringify leaves out (the record may be the object its JSON was made from).
          (missing ??= []).push(col.name);
          data[i]!.push(null);
          continue;
        }
        present++;
        const out = col.fields !== undefined ? store.group(col.fields, value) : store.leaf(col.leaf!, value);
        if (out === NO_FIT) {
          (rest ??= {})[col.name] = value;
          data[i]!.push(null);
        } else data[i]!.push(out);
      }
      let keys = 0;
      for (const _ in rec) keys++;
      if (keys !== present) {
        for (const key of Object.keys(rec)) if (!KNOWN.has(key) && rec[key] !== undefined) (rest ??= {})[key] = rec[key];
      }
      extra.push(rest);
      absent.push(missing);
    },
    write(compression: Compression, level: number | undefined): Uint8Array {
      const codec = codecOf(compression);
      // Ids and messages are nearly all distinct: a dictionary for them is built only to be dropped (measured:
      // plain is both faster and smaller once compressed). One row group of a few pages: no page offset index.
      const columnData: ColumnSource[] = ALL_COLUMNS.map((c, i) => ({
        name: c.name,
        data: PLAIN.has(c.name) ? utf8Views(data[i]!) : c.leaf === 'json' ? nativeJson(data[i]!) : data[i]!,
        offsetIndex: false,
        ...(PLAIN.has(c.name) ? { encoding: 'PLAIN' as const } : {}),
        statistics: STATISTICS.has(c.name),
      }));
      const buffer = parquetWriteBuffer({
        columnData,
        schema: SCHEMA,
        codec,
        compressors: {
          ZSTD: (bytes) => zlib.zstdCompressSync(bytes, level !== undefined ? { params: { [zlib.constants.ZSTD_c_compressionLevel]: level } } : {}),
          GZIP: (bytes) => zlib.gzipSync(bytes, level !== undefined ? { level } : {}),
        },
        statistics: true,
        rowGroupSize: Math.max(1, count),
        createdBy: CREATED_BY,
        kvMetadata: [{ key: 'k8stream.schema', value: 'k8stream.event/v1' }],
      });
      for (const column of data) column.length = 0;
      return new Uint8Array(buffer);
    },
  };
}
