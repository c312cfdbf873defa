/**
 * The engine: the staged batch files as the DuckDB view `events` (columns: engine/columns.ts),
 * holding the window's `k8stream.event/v1` records once each, and the counts of what was read.
 *
 * How, and why (measured on 1,000,000 records = 1.6 GB of NDJSON in 1,000 gzip objects, 2 cores;
 * bench L): every read of the archive costs about 3 CPU-seconds, most of it gunzip, so the design
 * keeps reads few and cheap.
 * - One counting read of `schema`, `id` and the timestamps (`read_json`, explicit columns,
 *   `ignore_errors`): ~1.5 s. A line that is not a JSON object comes back as a row of NULLs, so
 *   `schema IS NULL` points at the few files to look at exactly (engine/inspect.ts).
 *   (`read_ndjson_objects` + `json_valid`/`json_transform`, or lines through `read_csv`, cost
 *   as much before any parsing.)
 * - `events` is a view, not a table: DuckDB converts only the columns a query uses (a service's
 *   timeline rows ~2.5 s). Materialising every column took 5.8–7.2 s (13 CPU-s); nested columns
 *   kept as JSON text, 9.4 CPU-s.
 * - The counting read also lists the files holding a record of the window; the view reads only
 *   those (a one-hour window's look-back hour is counted, then left alone: about half the objects).
 * - `prefetch` fuses a caller's first read with the counting one (count + timeline rows
 *   4.4–4.7 s → 3.0–3.2 s).
 * - Deduplication by `id` (a window function: +15–20 % CPU on a read) is in the view only when
 *   the counting read found repeats.
 * An object DuckDB cannot read at all (not gzip, not a JSON array) fails the bulk read with an
 * error naming it (or, when the error names no file, found by reading them one by one): it is left
 * out (`EVENT_INVALID`) and the read retried without it. DuckDB reads a truncated gzip object as
 * far as it goes without an error: the cut line is the tell, and the object is then left out whole
 * rather than half read (a cut that falls exactly between two lines cannot be seen without
 * inflating every object in full, ~2 CPU-s more per day).
 * Parquet objects (`.parquet`) are read with `read_parquet`, mapped to the same columns and types
 * (columns.ts) and unioned with the JSON ones by name: the counting, the deduplication by `id` and
 * the leaving out of unreadable objects (a truncated one has no footer: DuckDB fails naming it) are
 * the same across formats; the exact look decodes their rows with the sinks' own reader.
 */
import { availableParallelism } from 'node:os';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { K8streamError, errorMessage } from '../../errors.js';
import { RECORD_SCHEMA } from '../../record/types.js';
import type { ReadStats, SkippedObject, StagedArchive, StagedFile, TimeWindow } from '../types.js';
import { TIME_EXPRESSION, columnsArgument, emptyEventsRelation, eventsSelectList, parquetSelectList, sqlString } from './columns.js';
import { fileNamedIn, inspectFile, isJsonArray, isParquet } from './inspect.js';

/** An open DuckDB database holding the view `events`. */
export interface EventsDb {
  connection: DuckDBConnection;
  stats: ReadStats;
  /** Closes the connection and the database. */
  close(): void;
}

export interface OpenEventsOptions {
  /** DuckDB worker threads. @default the number of cores */
  threads?: number;
  /**
   * Rows a caller will need anyway, copied into a temporary table by the same read of the archive
   * that counts (one read instead of two: about 1.4 s less on a day of 1,000,000 events).
   */
  prefetch?: Prefetch;
}

/**
 * `CREATE TEMP TABLE table AS SELECT select FROM events WHERE where` (`$name` parameters from
 * `params`), done during the counting read. `select` and `where` see the columns of `events`;
 * `where` must not read `events` itself (the view does not exist yet at that point).
 */
export interface Prefetch {
  table: string;
  select: string;
  where: string;
  params?: Record<string, DuckDBValue>;
}

/** Opens an in-memory DuckDB (time zone UTC) with `events` over `staged`'s files, restricted to `window`. */
export async function openEvents(staged: StagedArchive, window: TimeWindow, options: OpenEventsOptions = {}): Promise<EventsDb> {
  const threads = options.threads ?? availableParallelism();
  const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
  let connection: DuckDBConnection | undefined;
  try {
    connection = await instance.connect();
    await useUtc(connection);
    const read = await countRecords(connection, staged.files, window, options.prefetch);
    await connection.run(`CREATE VIEW events AS ${eventsQuery(read.holding, window, read.duplicates > 0)}`);
    const stats: ReadStats = {
      files: read.files.length,
      records: read.records,
      duplicates: read.duplicates,
      malformedLines: read.malformedLines,
      foreignRecords: read.foreignRecords,
      skippedObjects: [...staged.skipped, ...read.skipped],
    };
    const conn = connection;
    return {
      connection: conn,
      stats,
      close: () => {
        conn.closeSync();
        instance.closeSync();
      },
    };
  } catch (err) {
    connection?.closeSync();
    instance.closeSync();
    throw err;
  }
}

/**
 * Session time zone UTC. Time zones are DuckDB's ICU extension; where it is not built in (the
 * Node bindings load no extension offline), TIMESTAMPTZ values already read and print as UTC.
 */
async function useUtc(connection: DuckDBConnection): Promise<void> {
  try {
    await connection.run("SET TimeZone = 'UTC'");
  } catch {
    // no ICU: UTC is the only zone
  }
}

/**
 * `read_json` over `files`' NDJSON and JSON arrays, `read_parquet` over their Parquet files
 * (mapped to the same columns: columns.ts), `columns` (all by default), as one relation; with
 * `withFilename`, a `filename` column too. `records = true`: with a single column DuckDB would
 * otherwise take each whole line for it.
 */
function source(files: readonly StagedFile[], columns?: readonly string[], withFilename = false): string {
  const parts: string[] = [];
  const parquet = files.filter((f) => isParquet(f));
  const ndjson = files.filter((f) => !isJsonArray(f) && !isParquet(f));
  const arrays = files.filter((f) => isJsonArray(f));
  const list = (group: readonly StagedFile[]): string => `[${group.map((f) => sqlString(f.path)).join(', ')}]`;
  const cols = columnsArgument(columns);
  const filename = withFilename ? ', filename = true' : '';
  for (const [group, format] of [
    [ndjson, 'newline_delimited'],
    [arrays, 'array'],
  ] as const) {
    if (group.length === 0) continue;
    parts.push(`SELECT * FROM read_json(${list(group)}, columns = ${cols}, format = '${format}', records = true, ignore_errors = true${filename})`);
  }
  if (parquet.length > 0) {
    // union_by_name: a file written before a column existed reads it as NULL.
    parts.push(`SELECT ${parquetSelectList(columns)}${withFilename ? ', filename' : ''} FROM read_parquet(${list(parquet)}, union_by_name = true${filename})`);
  }
  return parts.join(' UNION ALL BY NAME ');
}

function windowCondition(window: TimeWindow): string {
  const from = sqlString(new Date(window.fromMs).toISOString());
  const to = sqlString(new Date(window.toMs).toISOString());
  return `"time" >= CAST(${from} AS TIMESTAMPTZ) AND "time" < CAST(${to} AS TIMESTAMPTZ)`;
}

/** The view's query: the window's records, once per `id` when `dedupe`. */
function eventsQuery(files: readonly StagedFile[], window: TimeWindow, dedupe: boolean): string {
  if (files.length === 0) return emptyEventsRelation();
  const rows = `SELECT ${eventsSelectList()} FROM (${source(files)})`;
  const where = `schema = ${sqlString(RECORD_SCHEMA)} AND ${windowCondition(window)}`;
  return `SELECT * FROM (${rows}) WHERE ${where}${dedupe ? ' QUALIFY row_number() OVER (PARTITION BY id) = 1' : ''}`;
}

interface ReadCount {
  /** The files read (all but those left out). */
  files: StagedFile[];
  /** The files holding a record of the window: what `events` reads. */
  holding: StagedFile[];
  records: number;
  duplicates: number;
  malformedLines: number;
  foreignRecords: number;
  skipped: SkippedObject[];
}

const COUNT_COLUMNS = ['schema', 'id', 'firstTimestamp', 'lastTimestamp', 'eventTime'];

/**
 * The counting pass. Leaves out (and reports) files DuckDB cannot read or that turn out truncated,
 * and counts lines that are not records exactly by looking at the files where DuckDB saw them.
 */
async function countRecords(connection: DuckDBConnection, staged: readonly StagedFile[], window: TimeWindow, prefetch?: Prefetch): Promise<ReadCount> {
  let files = [...staged];
  const skipped: SkippedObject[] = [];
  const skip = (file: StagedFile, reason: string): void => {
    skipped.push({ key: file.key, code: 'EVENT_INVALID', reason });
    files = files.filter((f) => f !== file);
  };
  for (;;) {
    if (files.length === 0) {
      if (prefetch !== undefined) {
        await connection.run(
          `CREATE OR REPLACE TEMP TABLE ${prefetch.table} AS SELECT ${prefetch.select} FROM (${emptyEventsRelation()}) WHERE ${prefetch.where}`,
          prefetch.params,
        );
      }
      return { files, holding: files, records: 0, duplicates: 0, malformedLines: 0, foreignRecords: 0, skipped };
    }
    const counts = await withUnreadableLeftOut(connection, files, skip, (fs) =>
      prefetch === undefined ? countQuery(connection, fs, window) : scanQuery(connection, fs, window, prefetch),
    );
    if (counts === null) continue;
    let malformedLines = 0;
    let foreignRecords = counts.foreign;
    let retry = false;
    if (counts.notRecords > 0) {
      for (const path of await filesWithNotRecords(connection, files)) {
        const file = files.find((f) => f.path === path);
        if (file === undefined) continue;
        const seen = await inspectFile(file);
        if (!seen.ok) {
          skip(file, seen.reason);
          retry = true;
          continue;
        }
        malformedLines += seen.malformed;
        foreignRecords += seen.noSchema;
      }
    }
    if (retry) continue;
    if (prefetch !== undefined) await keepPrefetched(connection, prefetch, counts.inWindow > counts.ids);
    const holding = counts.holding === undefined ? files : files.filter((f) => counts.holding!.has(f.path));
    return { files, holding, records: counts.ids, duplicates: counts.inWindow - counts.ids, malformedLines, foreignRecords, skipped };
  }
}

interface Counts {
  /** Rows with no `schema` string: lines that are not JSON objects, objects without `schema`. */
  notRecords: number;
  /** Rows whose `schema` is another one. */
  foreign: number;
  /** `k8stream.event/v1` rows inside the window, and their distinct ids. */
  inWindow: number;
  ids: number;
  /** The paths of the files holding such rows (unknown after a prefetch: every file then). */
  holding?: Set<string>;
}

async function countQuery(connection: DuckDBConnection, files: readonly StagedFile[], window: TimeWindow): Promise<Counts> {
  const v1 = `schema = ${sqlString(RECORD_SCHEMA)}`;
  const inWindow = `${v1} AND ${windowCondition(window)}`;
  const sql = `SELECT
      count(*) FILTER (WHERE schema IS NULL) AS not_records,
      count(*) FILTER (WHERE schema IS NOT NULL AND schema <> ${sqlString(RECORD_SCHEMA)}) AS foreign_records,
      count(*) FILTER (WHERE ${inWindow}) AS in_window,
      count(DISTINCT id) FILTER (WHERE ${inWindow}) AS ids,
      list(DISTINCT filename) FILTER (WHERE ${inWindow}) AS holding
    FROM (SELECT *, ${TIME_EXPRESSION} AS "time" FROM (${source(files, COUNT_COLUMNS, true)}))`;
  const reader = await connection.runAndReadAll(sql);
  const row = reader.getRowsJS()[0]!;
  const n = (i: number): number => Number(row[i]);
  const holding = new Set(((row[4] ?? []) as unknown[]).map(String));
  return { notRecords: n(0), foreign: n(1), inWindow: n(2), ids: n(3), holding };
}

const SCAN = 'k8stream_scan';
const SCAN_COLUMNS = 'k8s_kind, k8s_id, k8s_keep';

/**
 * The counting read fused with a prefetch: one table with, for every row, what it is (0: not a
 * record, 1: a record inside the window, 2: one outside it, 3: another schema) and, inside the
 * window, its id; plus the prefetch's columns for the rows it wants (NULL elsewhere: the reader
 * converts every row's columns anyway, only what is kept costs memory). The counts come from it.
 */
async function scanQuery(connection: DuckDBConnection, files: readonly StagedFile[], window: TimeWindow, prefetch: Prefetch): Promise<Counts> {
  const v1 = `schema = ${sqlString(RECORD_SCHEMA)}`;
  const inWindow = `${v1} AND ${windowCondition(window)}`;
  const kind = `CASE WHEN schema IS NULL THEN 0 WHEN ${inWindow} THEN 1 WHEN ${v1} THEN 2 ELSE 3 END::UTINYINT`;
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${SCAN} AS
     WITH r AS (SELECT ${eventsSelectList()} FROM (${source(files)})),
          s AS (SELECT ${kind} AS k8s_kind, CASE WHEN ${inWindow} THEN id END AS k8s_id,
                       coalesce(${inWindow} AND (${prefetch.where}), false) AS k8s_keep, ${prefetch.select} FROM r)
     SELECT ${SCAN_COLUMNS}, CASE WHEN k8s_keep THEN COLUMNS(* EXCLUDE (${SCAN_COLUMNS})) END FROM s`,
    prefetch.params,
  );
  const reader = await connection.runAndReadAll(`SELECT
      count(*) FILTER (WHERE k8s_kind = 0),
      count(*) FILTER (WHERE k8s_kind = 3),
      count(*) FILTER (WHERE k8s_kind = 1),
      count(DISTINCT k8s_id)
    FROM ${SCAN}`);
  const row = reader.getRows()[0]!;
  const n = (i: number): number => Number(row[i]);
  return { notRecords: n(0), foreign: n(1), inWindow: n(2), ids: n(3) };
}

/** The prefetched rows, once per id, into the caller's table; the scan table is dropped. */
async function keepPrefetched(connection: DuckDBConnection, prefetch: Prefetch, dedupe: boolean): Promise<void> {
  await connection.run(
    `CREATE OR REPLACE TEMP TABLE ${prefetch.table} AS SELECT COLUMNS(* EXCLUDE (${SCAN_COLUMNS})) FROM ${SCAN} WHERE k8s_keep${dedupe ? ' QUALIFY row_number() OVER (PARTITION BY k8s_id) = 1' : ''}`,
  );
  await connection.run(`DROP TABLE ${SCAN}`);
}

/** The paths of the files with rows that are not records (a truncated object's cut line is one). */
async function filesWithNotRecords(connection: DuckDBConnection, files: readonly StagedFile[]): Promise<string[]> {
  const sql = `SELECT DISTINCT filename FROM (${source(files, ['schema'], true)}) WHERE schema IS NULL`;
  const reader = await connection.runAndReadAll(sql);
  return reader.getRows().map((r) => String(r[0]));
}

/**
 * Runs `query` over `files`; when DuckDB fails on a file it cannot read at all, reports it through
 * `skip` and answers null (the caller retries without it). A failure naming no file is probed
 * file by file; one that no single file explains is an internal error.
 */
async function withUnreadableLeftOut<T>(
  connection: DuckDBConnection,
  files: readonly StagedFile[],
  skip: (file: StagedFile, reason: string) => void,
  query: (files: readonly StagedFile[]) => Promise<T>,
): Promise<T | null> {
  try {
    return await query(files);
  } catch (err) {
    const message = errorMessage(err);
    const named = fileNamedIn(message, files);
    if (named !== undefined) {
      skip(named, await reasonFor(named, message));
      return null;
    }
    let found = false;
    for (const file of files) {
      try {
        await connection.runAndReadAll(`SELECT count(*) FROM (${source([file], ['schema'])})`);
      } catch (fileErr) {
        skip(file, await reasonFor(file, errorMessage(fileErr)));
        found = true;
      }
    }
    if (found) return null;
    throw new K8streamError('INTERNAL', `reading the archive's batch files failed: ${message}`, { cause: err });
  }
}

/** Why DuckDB could not read `file`: the exact look's reason when it has one, else DuckDB's words. */
async function reasonFor(file: StagedFile, duckdbMessage: string): Promise<string> {
  const seen = await inspectFile(file);
  if (!seen.ok) return seen.reason;
  return duckdbMessage.replaceAll(file.path, file.key).split('\n')[0]!;
}
