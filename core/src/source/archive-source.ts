/**
 * The light half of the `archive` source, loaded by every `k8stream run`: its config, window,
 * resume identity, counters and progress line. The replay itself (`archive/index.ts`, which
 * brings the forensics archive readers and Parquet) is imported only when the stream starts, so
 * a run with another source never loads it (issue 14: about 2.3 MB of idle RSS).
 */
import path from 'node:path';
import { K8streamError } from '../errors.js';
import type { SourceConfig } from '../config/types.js';
import type { ResumePoint } from '../checkpoint/position.js';
import { iso, parseTime } from '../forensics/time-args.js';
import { rewrittenLine } from '../util/rewritten-line.js';
import type { Source, SourceChunk, SourceContext } from './types.js';

/** The resume value of a finished partition (`{ <partition>: '0' }`; `n`: its first n objects are done). */
export const PARTITION_DONE = '0';

/** `source.archive`, resolved (the string form and `source.from/to/cluster` folded in). */
export type ArchiveSourceConfig = NonNullable<SourceConfig['archive']>;

export interface ArchiveSourceOptions {
  /** The config file's directory: a relative `location` is resolved against it. */
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** The saved resume point (partitions and objects already replayed), read when the stream starts. */
  resumeFrom?: () => ResumePoint | undefined;
  /** Objects read ahead of the one being replayed (memory: that many decoded objects). @default 4 */
  prefetch?: number;
  /** Tries per object read. @default 3 */
  attempts?: number;
  /** Wait before the second read try, doubled after. @default 200 */
  retryDelayMs?: number;
  /** The time relative `from`/`to` count from (tests pin it). @default Date.now() when the source is created */
  now?: number;
}

/** What one run of the source did, for the summary, the metrics and the progress line. */
export interface ArchiveCounters {
  partitions: number;
  /** Partitions finished by this run, or skipped as finished by an earlier one. */
  partitionsDone: number;
  /** Partitions skipped without listing: an earlier run finished them (`state.dir`). */
  partitionsResumed: number;
  objects: number;
  /** Objects read and decoded (some of their entries may still have been rejected). */
  objectsRead: number;
  /** Objects of a partition being resumed, skipped because an earlier run finished them. */
  objectsResumed: number;
  /** Objects dead-lettered whole (unreadable, undecodable, foreign). */
  objectsFailed: number;
  records: number;
  /** Entries dead-lettered (no record, unknown schema). */
  entriesRejected: number;
  /** Records of the objects read whose timestamp lies outside the window. */
  outsideWindow: number;
}

export function emptyArchiveCounters(): ArchiveCounters {
  return {
    partitions: 0,
    partitionsDone: 0,
    partitionsResumed: 0,
    objects: 0,
    objectsRead: 0,
    objectsResumed: 0,
    objectsFailed: 0,
    records: 0,
    entriesRejected: 0,
    outsideWindow: 0,
  };
}

/** The replay window, resolved once: ms since the epoch, and as written. */
export interface ArchiveWindow {
  fromMs: number;
  toMs: number;
  from: string;
  to: string;
}

export interface ArchiveSource extends Source {
  readonly kind: 'archive';
  /** What the resume point belongs to: `archive <location>` (a state.dir of another archive is ignored). */
  readonly identity: string;
  /** The window, resolved when the source was created. */
  readonly window: ArchiveWindow;
  counters(): Readonly<ArchiveCounters>;
}

/** Whether `source` is the archive source. */
export function isArchiveSource(source: Source): source is ArchiveSource {
  return source.kind === 'archive';
}

/** The resume identity of an archive location (the API server's place in a Kubernetes resume point). */
export function archiveIdentity(config: Pick<ArchiveSourceConfig, 'location'>, dir: string): string {
  const loc = config.location;
  return `archive ${/^[a-z][a-z0-9+.-]*:\/\//i.test(loc) ? loc.replace(/\/+$/, '') : path.resolve(dir, loc)}`;
}

/**
 * `from` and `to` as instants: RFC 3339, a date (UTC midnight), or relative to `now` (`-7d`).
 *
 * @throws K8streamError `CONFIG_INVALID` naming `source.from`/`source.to` when a time is not one
 * of those, or the window is empty.
 */
export function resolveArchiveWindow(config: Pick<ArchiveSourceConfig, 'from' | 'to'>, now: number): ArchiveWindow {
  const at = (field: 'from' | 'to'): number => {
    try {
      return parseTime(`source.${field}`, config[field], { now });
    } catch (err) {
      throw new K8streamError('CONFIG_INVALID', (err as Error).message, { path: `source.${field}`, cause: err });
    }
  };
  const window = { fromMs: at('from'), toMs: at('to'), from: config.from, to: config.to };
  if (window.toMs <= window.fromMs) {
    throw new K8streamError(
      'CONFIG_INVALID',
      `source.to: the window ${iso(window.fromMs)} (from ${JSON.stringify(config.from)}) to ${iso(window.toMs)} (to ${JSON.stringify(config.to)}) is empty: "to" must come after "from"`,
      { path: 'source.to' },
    );
  }
  return window;
}

/**
 * Creates the archive source. The window is resolved here, once; nothing is read (nor the
 * replay code loaded) until `stream()` is pulled; a location that cannot be opened surfaces
 * there (`ARGUMENT_INVALID`, `ARCHIVE_UNAVAILABLE`).
 *
 * @throws K8streamError `CONFIG_INVALID` when the window is empty or a time is invalid.
 */
export function createArchiveSource(config: ArchiveSourceConfig, options: ArchiveSourceOptions): ArchiveSource {
  const window = resolveArchiveWindow(config, options.now ?? Date.now());
  const counters = emptyArchiveCounters();
  return {
    kind: 'archive',
    identity: archiveIdentity(config, options.dir),
    window,
    counters: () => counters,
    stream: (ctx) => lazyReplay(config, window, options, counters, ctx),
  };
}

async function* lazyReplay(
  config: ArchiveSourceConfig,
  window: ArchiveWindow,
  options: ArchiveSourceOptions,
  counters: ArchiveCounters,
  ctx: SourceContext,
): AsyncGenerator<SourceChunk> {
  const { replayArchive } = await import('./archive/index.js');
  yield* replayArchive(config, window, options, counters, ctx);
}

/** The progress line's text: `archive 3/720 partitions · 41 objects · 20,500 records · 1,830 rec/s`. */
export function archiveProgressText(c: Readonly<ArchiveCounters>, elapsedMs: number): string {
  const rate = elapsedMs > 0 ? Math.round((c.records * 1000) / elapsedMs) : 0;
  const n = (v: number): string => v.toLocaleString('en-US');
  const failed = c.objectsFailed > 0 ? ` (${n(c.objectsFailed)} failed)` : '';
  return `archive ${n(c.partitionsDone)}/${n(c.partitions)} partitions · ${n(c.objectsRead + c.objectsFailed)} objects${failed} · ${n(c.records)} records · ${n(rate)} rec/s`;
}

export interface ArchiveProgress {
  /** Rewrites the line, unless it was written less than the interval ago. */
  update(): void;
  /** Writes the last counts and ends the line. */
  done(): void;
}

/**
 * A progress line on `out` (give it only a TTY: the CLI passes stderr when it is one), rewritten
 * in place with `\r` at most every `intervalMs`, finished with a newline (util/rewritten-line.ts).
 */
export function archiveProgress(out: NodeJS.WritableStream, counters: () => Readonly<ArchiveCounters>, options: { intervalMs?: number; now?: () => number } = {}): ArchiveProgress {
  const now = options.now ?? Date.now;
  const startedAt = now();
  const line = rewrittenLine(out, { ...options, now });
  const text = (): string => archiveProgressText(counters(), now() - startedAt);
  return {
    update: () => line.update(text),
    done: () => line.done(text()),
  };
}
