/**
 * Reads a batch file written by `writer.ts` back into its records, with hyparquet (a reader
 * independent of the writer's code paths: the tests read the same files with DuckDB too).
 */
import * as zlib from 'node:zlib';
import { parquetReadObjects } from 'hyparquet';
import { K8streamError } from '../../errors.js';
import { rowToRecord } from './schema.js';

const decompressors = {
  ZSTD: (input: Uint8Array) => new Uint8Array(zlib.zstdDecompressSync(input)),
  GZIP: (input: Uint8Array) => new Uint8Array(zlib.gunzipSync(input)),
};

const parsers = {
  // Timestamps come back in the records' own form: ISO-8601 UTC with milliseconds.
  timestampFromMilliseconds: (ms: bigint | number) => new Date(Number(ms)).toISOString(),
};

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
