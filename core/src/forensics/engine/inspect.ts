/**
 * The exact look at one batch file, in JavaScript: used only for the few files DuckDB's bulk read
 * found something wrong with (rows that were not records, or an error), to count malformed lines
 * exactly and to tell a truncated or corrupt object (left out whole) from a few bad lines.
 */
import { readFile } from 'node:fs/promises';
import { decodeBody, decompress, encodingOf } from '../../dispatch/encode.js';
import { errorMessage } from '../../errors.js';
import type { StagedFile } from '../types.js';

/** What one file holds: lines that are not JSON objects, objects with no `schema` string, and objects. */
export type FileInspection = { ok: true; malformed: number; noSchema: number; objects: number } | { ok: false; reason: string };

/** True for the JSON-array encodings (`.json`, `.json.gz`, `.json.zst`); NDJSON otherwise. */
export function isJsonArray(file: StagedFile): boolean {
  return encodingOf(file.extension).format === 'json';
}

/** True for Parquet batch files (`.parquet`). */
export function isParquet(file: StagedFile): boolean {
  return encodingOf(file.extension).format === 'parquet';
}

/** The file's decompressed text; throws with the decompressor's reason. */
async function decompressed(file: StagedFile): Promise<Uint8Array> {
  return decompress(await readFile(file.path), encodingOf(file.extension).compression);
}

function classify(value: unknown): 'malformed' | 'noSchema' | 'record' {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'malformed';
  return typeof (value as { schema?: unknown }).schema === 'string' ? 'record' : 'noSchema';
}

/** Reads and classifies every line (NDJSON), element (JSON array) or row (Parquet) of `file`. */
export async function inspectFile(file: StagedFile): Promise<FileInspection> {
  const counts = { malformed: 0, noSchema: 0, objects: 0 };
  const count = (value: unknown): void => {
    const kind = classify(value);
    if (kind === 'malformed') counts.malformed++;
    else {
      counts.objects++;
      if (kind === 'noSchema') counts.noSchema++;
    }
  };
  if (isParquet(file)) {
    // The rows decoded back into their records (the sinks' own reader, loaded only for a Parquet file): a row that held no JSON object is malformed.
    let records: unknown[];
    try {
      records = await decodeBody(await readFile(file.path), encodingOf(file.extension));
    } catch (err) {
      const cause = err instanceof Error && err.cause !== undefined ? `: ${errorMessage(err.cause)}` : '';
      return { ok: false, reason: `not readable as Parquet (truncated or corrupt)${cause}` };
    }
    for (const record of records) count(record);
    return { ok: true, ...counts };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(await decompressed(file));
  } catch (err) {
    const what = file.extension.endsWith('.gz') ? 'gzip' : file.extension.endsWith('.zst') ? 'zstd' : 'UTF-8 text';
    return { ok: false, reason: `not readable as ${what} (truncated or corrupt): ${errorMessage(err)}` };
  }
  if (isJsonArray(file)) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      return { ok: false, reason: `not a JSON array of records: ${errorMessage(err)}` };
    }
    if (!Array.isArray(parsed)) return { ok: false, reason: 'not a JSON array of records' };
    for (const item of parsed) count(item);
    return { ok: true, ...counts };
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      counts.malformed++;
      continue;
    }
    count(value);
  }
  return { ok: true, ...counts };
}

/** The file whose path a DuckDB error message names (the longest match), or undefined. */
export function fileNamedIn(message: string, files: readonly StagedFile[]): StagedFile | undefined {
  let best: StagedFile | undefined;
  for (const f of files) if (message.includes(f.path) && (best === undefined || f.path.length > best.path.length)) best = f;
  return best;
}
