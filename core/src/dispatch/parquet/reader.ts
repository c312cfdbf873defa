/**
 * Reads a batch file written by `writer.ts` back into its records, with hyparquet (a reader
 * independent of the writer's code paths: the tests read the same files with DuckDB too).
 */
import * as zlib from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { K8streamError } from '../../errors.js';
import { ABSENT, COLUMNS, EXTRA, NOT_AN_OBJECT } from './schema.js';

const decompressors = {
  ZSTD: (input: Uint8Array) => new Uint8Array(zlib.zstdDecompressSync(input)),
  GZIP: (input: Uint8Array) => new Uint8Array(zlib.gunzipSync(input)),
};

const parsers = {
  // Timestamps come back in the records' own form: ISO-8601 UTC with milliseconds.
  timestampFromMilliseconds: (ms: bigint | number) => new Date(Number(ms)).toISOString(),
};

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

/** The records of a Parquet batch body, in order; a K8streamError (`EVENT_INVALID`) when it is not one. */
export async function decodeParquet(body: Uint8Array): Promise<unknown[]> {
  let rows: Record<string, unknown>[];
  try {
    const file = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength) as ArrayBuffer;
    rows = await parquetReadObjects({ file, compressors: decompressors, parsers });
  } catch (err) {
    throw new K8streamError('EVENT_INVALID', 'cannot read parquet body', { cause: err });
  }
  return rows.map(rowToRecord);
}
