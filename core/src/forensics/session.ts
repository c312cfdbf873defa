/**
 * A forensics session, shared by `query`, `timeline` and `report`: the parsed options → the time
 * window → the staged archive → the DuckDB view `events`, plus the one summary line on stderr
 * (`read 12 objects in 3 partitions: 1,234 records (5 repeats dropped, …)`), and the "no data"
 * line naming the archive and the partitions looked at when the window holds no record.
 */
import { stageArchive } from './archive/index.js';
import type { ArchiveOptions } from './archive/index.js';
import { openEvents } from './engine/index.js';
import type { EventsDb, OpenEventsOptions, Prefetch } from './engine/index.js';
import type { ParsedCommand } from './options.js';
import { iso, parseTimeWindow } from './time-args.js';
import type { ReadStats, StagedArchive, TimeWindow } from './types.js';
import { groupDigits } from '../util/format.js';

export interface SessionIo {
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal?: AbortSignal;
}

export interface SessionOptions {
  /** The current time (ms), for relative times; tests pin it. @default Date.now() */
  now?: number;
  /** Stages the archive. @default the archive part's stageArchive */
  stage?: (options: ArchiveOptions) => Promise<StagedArchive>;
  /** DuckDB threads. @default the number of cores */
  threads?: number;
  /** Rows to copy into a temporary table during the counting read (see engine `Prefetch`). */
  prefetch?: Prefetch;
}

export interface Session {
  staged: StagedArchive;
  db: EventsDb;
  window: TimeWindow;
  /** Closes DuckDB and removes downloaded copies. */
  dispose(): Promise<void>;
}

/** Opens the archive and the events of the window; writes the summary line (and the "no data" line). */
export async function openSession(parsed: ParsedCommand, io: SessionIo, options: SessionOptions = {}): Promise<Session> {
  const { shared } = parsed;
  const window = parseTimeWindow(shared, options.now === undefined ? {} : { now: options.now });
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  const archiveOptions: ArchiveOptions = {
    cwd: io.cwd,
    env: io.env,
    window,
    ...(shared.archive !== undefined ? { archive: shared.archive } : {}),
    ...(shared.sink !== undefined ? { sink: shared.sink } : {}),
    ...(shared.config !== undefined ? { configPath: shared.config } : {}),
    ...(shared.cluster !== undefined ? { cluster: shared.cluster } : {}),
    ...(shared.endpoint !== undefined ? { endpoint: shared.endpoint } : {}),
    ...(shared.region !== undefined ? { region: shared.region } : {}),
    ...(shared.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(shared.layout !== undefined ? { layout: shared.layout } : {}),
    ...(tty ? { progress: io.stderr } : {}),
    ...(io.signal !== undefined ? { signal: io.signal } : {}),
  };
  const staged = await (options.stage ?? stageArchive)(archiveOptions);
  let db: EventsDb;
  // On a TTY, a line while DuckDB reads (seconds for a day of a busy cluster), erased after.
  if (tty) io.stderr.write(readingLine(staged));
  try {
    const engine: OpenEventsOptions = {
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.prefetch !== undefined ? { prefetch: options.prefetch } : {}),
    };
    db = await openEvents(staged, window, engine);
  } catch (err) {
    if (tty) io.stderr.write('\r\x1b[K');
    await staged.dispose();
    throw err;
  }
  if (tty) io.stderr.write('\r\x1b[K');
  io.stderr.write(summaryLine(staged, db.stats) + '\n');
  if (db.stats.records === 0) io.stderr.write(noDataLine(staged, window) + '\n');
  return {
    staged,
    db,
    window,
    async dispose() {
      db.close();
      await staged.dispose();
    },
  };
}

/** `reading 1,000 objects (105.2 MB)…`, the TTY line while DuckDB reads. */
function readingLine(staged: StagedArchive): string {
  const bytes = staged.files.reduce((n, f) => n + f.size, 0);
  return `reading ${plural(staged.files.length, 'object')} (${(bytes / 1_000_000).toFixed(1)} MB)…`;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${groupDigits(n)} ${n === 1 ? one : many}`;

/** `read 12 objects in 3 partitions: 1,234 records (5 repeats dropped, 1 malformed line, 1 object skipped: key: reason)`. */
export function summaryLine(staged: StagedArchive, stats: ReadStats): string {
  const notes: string[] = [];
  if (stats.duplicates > 0) notes.push(`${plural(stats.duplicates, 'repeat')} dropped`);
  if (stats.malformedLines > 0) notes.push(plural(stats.malformedLines, 'malformed line'));
  if (stats.foreignRecords > 0) notes.push(`${plural(stats.foreignRecords, 'record')} of another schema left out`);
  const skipped = stats.skippedObjects;
  if (skipped.length > 0) {
    const shown = skipped.slice(0, 3).map((s) => `${s.key}: ${s.reason}`);
    const more = skipped.length > 3 ? `; and ${groupDigits(skipped.length - 3)} more` : '';
    notes.push(`${plural(skipped.length, 'object')} skipped: ${shown.join('; ')}${more}`);
  }
  const head = `read ${plural(stats.files, 'object')} in ${plural(staged.partitions.length, 'partition')}: ${plural(stats.records, 'record')}`;
  return notes.length > 0 ? `${head} (${notes.join(', ')})` : head;
}

/** The line for a window without records: the archive, the window and the partitions looked at. */
export function noDataLine(staged: StagedArchive, window: TimeWindow): string {
  const where = `no records between ${iso(window.fromMs)} and ${iso(window.toMs)} in ${staged.describe}`;
  const parts = staged.partitions;
  if (parts.length === 0) return `${where}: no partition of the archive covers the window`;
  const shown = parts.slice(0, 6).join(', ');
  const more = parts.length > 6 ? ` and ${groupDigits(parts.length - 6)} more` : '';
  return `${where}; partitions looked at: ${shown}${more} (${plural(staged.stats.objectsListed, 'object')} listed)`;
}
