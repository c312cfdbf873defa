/**
 * Writes one batch as one Parquet file (schema: `schema.ts`) with hyparquet-writer: records are
 * parsed as they arrive and their values appended to per-column arrays (the JSON text is not
 * kept), and the file is written when the batch closes, as one row group with column statistics,
 * its pages compressed with the batch's codec (`zstd`, `gzip`: Node's zlib; `none`).
 */
import * as zlib from 'node:zlib';
import { parquetWriteBuffer } from 'hyparquet-writer';
import type { ColumnSource, SchemaElement } from 'hyparquet-writer';
import type { Compression } from '../../plugins/api.js';
import { K8streamError } from '../../errors.js';
import { ABSENT, COLUMNS, type Column, EXTRA, type Leaf, NOT_AN_OBJECT, fits, fitsGroup } from './schema.js';

/** The `created_by` of every file. */
export const CREATED_BY = 'k8stream';

type Codec = 'ZSTD' | 'GZIP' | 'UNCOMPRESSED';

function codecOf(compression: Compression): Codec {
  switch (compression) {
    case 'zstd':
      return 'ZSTD';
    case 'gzip':
      return 'GZIP';
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

/** A value as hyparquet-writer takes it: timestamps as milliseconds (JSON values as they are: it writes their text). */
function stored(leaf: Leaf, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (leaf === 'timestamp') return Date.parse(value as string);
  return value;
}

/** Gathers a batch's column values, record by record. */
export interface ParquetColumns {
  readonly count: number;
  /** Adds one record (a parsed JSON value). */
  add(record: unknown): void;
  /** The file: one row group of every record added. */
  write(compression: Compression, level: number | undefined): Uint8Array;
}

export function createParquetColumns(): ParquetColumns {
  const data: unknown[][] = ALL_COLUMNS.map(() => []);
  const extra = data[COLUMNS.length]!;
  const absent = data[COLUMNS.length + 1]!;
  let count = 0;
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
      for (let i = 0; i < COLUMNS.length; i++) {
        const col = COLUMNS[i]!;
        const value = rec[col.name];
        if (value === undefined && !Object.hasOwn(rec, col.name)) {
          (missing ??= []).push(col.name);
          data[i]!.push(null);
        } else if (col.fields !== undefined ? fitsGroup(col.fields, value) : fits(col.leaf!, value)) {
          if (col.fields === undefined || value === null) data[i]!.push(stored(col.leaf ?? 'json', value));
          else {
            const obj = value as Record<string, unknown>;
            const row: Record<string, unknown> = {};
            for (const f of col.fields) row[f.name] = stored(f.leaf, obj[f.name]);
            data[i]!.push(row);
          }
        } else {
          (rest ??= {})[col.name] = value;
          data[i]!.push(null);
        }
      }
      for (const key of Object.keys(rec)) {
        if (!KNOWN.has(key)) (rest ??= {})[key] = rec[key];
      }
      extra.push(rest);
      absent.push(missing);
    },
    write(compression: Compression, level: number | undefined): Uint8Array {
      const codec = codecOf(compression);
      const columnData: ColumnSource[] = ALL_COLUMNS.map((c, i) => ({ name: c.name, data: data[i]! }));
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
