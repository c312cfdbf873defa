/**
 * The `archive` source: replays what k8stream archived (a file-sink directory, `s3://` or
 * `gs://`) through the transforms into the sinks, and ends when the window is done.
 *
 *   open the reader (the sink plugins' own `archive()` readers, as the forensics commands do)
 *   → the key template and the partitions of the window (one per hour and cluster, in order)
 *   → per partition: list it, then per object in key order: read, decode, check, yield
 *
 * Records are already `k8stream.event/v1`: they travel as `SourceItem.record`, keeping their ids
 * (an idempotent sink overwrites instead of duplicating) and their enrichment. Pulling is
 * backpressure: an object is read only when the pipeline asks for more.
 *
 * Resume (`state.dir`): the last chunk of each object carries the position `{ key: <object key>,
 * rv: '1' }`; once every record of the object is delivered, the ledger saves it, and a restart
 * skips the objects saved as done (a crash re-sends at most the objects in flight, never a
 * finished partition).
 *
 * Bad objects (unreadable, undecodable, foreign to the layout) and entries that are no record
 * of a known schema are dead-lettered as source notices naming the object key; the rest goes
 * on. A run where nothing at all could be read fails with `ARCHIVE_UNAVAILABLE`.
 */
import path from 'node:path';
import { K8streamError, errorMessage } from '../../errors.js';
import type { SourceConfig } from '../../config/types.js';
import type { ResumePoint } from '../../checkpoint/position.js';
import { openArchive } from '../../forensics/archive/open.js';
import { assertNotEmpty, checkWindow, guarded, plan, templateOf } from '../../forensics/archive/stage.js';
import type { ArchiveOptions } from '../../forensics/archive/stage.js';
import { DEFAULT_LOOK_BACK_MS, compileLayout, inWindow } from '../../forensics/archive/layout.js';
import type { ArchiveLayout, KeyMatch } from '../../forensics/archive/layout.js';
import { readWithRetries } from '../../forensics/archive/fetch.js';
import { recordTimestamp } from '../../record/map.js';
import { RECORD_SCHEMA } from '../../record/types.js';
import type { EventRecord } from '../../record/types.js';
import type { Source, SourceChunk, SourceContext, SourceItem, SourceNotice } from '../types.js';
import { decodeFailure, decodeObject } from './decode.js';
import type { DecodedObject } from './decode.js';

/** `source.archive`. */
export type ArchiveSourceConfig = NonNullable<SourceConfig['archive']>;

/** Objects read ahead of the one being replayed. */
export const DEFAULT_PREFETCH = 4;

/** One object read: its records, or the notice that dead-letters it. */
type Loaded = { decoded: DecodedObject } | { notice: SourceNotice };

/** Largest chunk the archive source yields. */
export const ARCHIVE_MAX_CHUNK = 256;

/** The position value of a finished object. */
const DONE = '1';

export interface ArchiveSourceOptions {
  /** The config file's directory: a relative `location` is resolved against it. */
  dir: string;
  env?: NodeJS.ProcessEnv;
  /** The saved resume point (objects already replayed), read when the stream starts. */
  resumeFrom?: () => ResumePoint | undefined;
  /** Objects read ahead of the one being replayed (memory: that many decoded objects). @default 4 */
  prefetch?: number;
  /** Tries per object read. @default 3 */
  attempts?: number;
  /** Wait before the second read try, doubled after. @default 200 */
  retryDelayMs?: number;
}

/** What one run of the source did, for the summary log line and tests. */
export interface ArchiveCounters {
  partitions: number;
  partitionsDone: number;
  objects: number;
  /** Objects read and decoded (some of their entries may still have been rejected). */
  objectsRead: number;
  /** Objects skipped because a previous run finished them (`state.dir`). */
  objectsResumed: number;
  /** Objects dead-lettered whole (unreadable, undecodable, foreign). */
  objectsFailed: number;
  records: number;
  /** Entries dead-lettered (no record, unknown schema). */
  entriesRejected: number;
  /** Records of the objects read whose timestamp lies outside the window. */
  outsideWindow: number;
}

export interface ArchiveSource extends Source {
  readonly kind: 'archive';
  /** What the resume point belongs to: `archive <location>` (a state.dir of another archive is ignored). */
  readonly identity: string;
  counters(): Readonly<ArchiveCounters>;
}

/** The resume identity of an archive location (the API server's place in a Kubernetes resume point). */
export function archiveIdentity(config: ArchiveSourceConfig, dir: string): string {
  const loc = config.location;
  return `archive ${/^[a-z][a-z0-9+.-]*:\/\//i.test(loc) ? loc.replace(/\/+$/, '') : path.resolve(dir, loc)}`;
}

/**
 * Creates the archive source. Nothing is read until `stream()` is pulled; a location that cannot
 * be opened surfaces there (`ARGUMENT_INVALID`, `ARCHIVE_UNAVAILABLE`).
 *
 * @throws K8streamError `CONFIG_INVALID` when the window is empty or not a date-time.
 */
export function createArchiveSource(config: ArchiveSourceConfig, options: ArchiveSourceOptions): ArchiveSource {
  const window = { fromMs: Date.parse(config.from), toMs: Date.parse(config.to) };
  try {
    checkWindow(window);
  } catch {
    throw new K8streamError('CONFIG_INVALID', `source.archive: the window ${config.from} to ${config.to} is empty: "to" must come after "from"`, {
      path: 'source.archive.to',
    });
  }
  const counters: ArchiveCounters = {
    partitions: 0,
    partitionsDone: 0,
    objects: 0,
    objectsRead: 0,
    objectsResumed: 0,
    objectsFailed: 0,
    records: 0,
    entriesRejected: 0,
    outsideWindow: 0,
  };
  return {
    kind: 'archive',
    identity: archiveIdentity(config, options.dir),
    counters: () => counters,
    stream: (ctx) => replayArchive(config, window, options, counters, ctx),
  };
}

const PARQUET = '.parquet';

/**
 * The key's place in the layout. A Parquet object matches as its NDJSON name would (the layouts'
 * `{ext}` predates Parquet), and is decoded as Parquet.
 */
function matchObject(layout: ArchiveLayout, key: string, cluster: string | undefined): KeyMatch | null {
  if (key.endsWith(PARQUET) && key.length > PARQUET.length && !key.endsWith(`/${PARQUET}`)) {
    const m = layout.match(`${key.slice(0, -PARQUET.length)}.ndjson`, cluster);
    return m === null ? null : { ...m, extension: PARQUET };
  }
  return layout.match(key, cluster);
}

/** A whole object dead-lettered: its key is the entry, the reason names it too. */
function objectNotice(key: string, code: string, message: string): SourceNotice {
  return { kind: 'rejected', input: { archiveKey: key }, error: { code, message: `${key}: ${message}` }, id: key };
}

async function* replayArchive(
  config: ArchiveSourceConfig,
  window: { fromMs: number; toMs: number },
  options: ArchiveSourceOptions,
  counters: ArchiveCounters,
  ctx: SourceContext,
): AsyncGenerator<SourceChunk> {
  const { signal, logger } = ctx;
  const done = options.resumeFrom?.() ?? {};
  const archiveOptions: ArchiveOptions = {
    archive: config.location,
    cwd: options.dir,
    env: options.env ?? process.env,
    window,
    signal,
    ...(config.cluster !== null ? { cluster: config.cluster } : {}),
    ...(config.endpoint !== null ? { endpoint: config.endpoint } : {}),
    ...(config.region !== null ? { region: config.region } : {}),
    ...(config.forcePathStyle ? { forcePathStyle: true } : {}),
    ...(config.layout !== null ? { layout: config.layout } : {}),
  };
  const opened = await openArchive(archiveOptions);
  const { reader } = opened;
  try {
    const template = await templateOf(reader, archiveOptions, opened.detectLayout);
    const layout = compileLayout(template, reader.templateValues);
    const wanted = config.cluster ?? undefined;
    const { partitions } = await plan(reader, layout, wanted, archiveOptions);
    counters.partitions = partitions.length;
    logger.info('archive source started', { archive: reader.describe(), from: config.from, to: config.to, partitions: partitions.length, resumed: Object.keys(done).length });

    let chunk: SourceItem[] = [];
    let notices: SourceNotice[] = [];
    const take = (position?: { key: string; rv: string }): SourceChunk => {
      const out = Object.assign(chunk, notices.length > 0 ? { notices } : {}, position !== undefined ? { position } : {}) as SourceChunk;
      chunk = [];
      notices = [];
      return out;
    };
    const full = (): boolean => chunk.length + notices.length >= ARCHIVE_MAX_CHUNK;
    const seen = new Set<string>();
    const prefetch = Math.max(1, options.prefetch ?? DEFAULT_PREFETCH);
    /** Reads and decodes one object; never rejects (a failure is the object's dead-letter notice). */
    const load = async (key: string, extension: string): Promise<Loaded> => {
      let body: Uint8Array;
      try {
        body = await readWithRetries(reader, key, { attempts: options.attempts ?? 3, retryDelayMs: options.retryDelayMs ?? 200, signal });
      } catch (err) {
        return { notice: objectNotice(key, 'ARCHIVE_READ_FAILED', errorMessage(err)) };
      }
      try {
        return { decoded: await decodeObject(body, extension) };
      } catch (err) {
        return { notice: objectNotice(key, 'EVENT_INVALID', `cannot decode: ${decodeFailure(err)}`) };
      }
    };

    for (const partition of partitions) {
      if (signal.aborted) return;
      const listing = await guarded(reader, `listing ${partition}`, signal, () => reader.list(partition, { signal }));
      const objects = listing.objects.filter((o) => !seen.has(o.key)).sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      // The partition's work, in key order: the objects of the window not finished by an earlier run.
      const work: { key: string; match: KeyMatch | null }[] = [];
      for (const object of objects) {
        seen.add(object.key);
        const match = matchObject(layout, object.key, wanted);
        if (match !== null && !inWindow(match, window, DEFAULT_LOOK_BACK_MS)) continue;
        counters.objects++;
        if (done[object.key] !== undefined) counters.objectsResumed++;
        else work.push({ key: object.key, match });
      }
      // Reads run up to `prefetch` objects ahead of the one being yielded (in order; memory: that many objects).
      const loads = new Map<number, Promise<Loaded>>();
      const startLoads = (from: number): void => {
        for (let i = from; i < Math.min(work.length, from + prefetch); i++) {
          const item = work[i]!;
          if (!loads.has(i) && item.match !== null) loads.set(i, load(item.key, item.match.extension));
        }
      };
      let partitionRecords = 0;
      for (let i = 0; i < work.length; i++) {
        const { key } = work[i]!;
        startLoads(i);
        const loaded = loads.get(i);
        loads.delete(i);
        let records: EventRecord[] = [];
        if (loaded === undefined) {
          counters.objectsFailed++;
          notices.push(objectNotice(key, 'EVENT_INVALID', `not a batch of the layout ${template} (a foreign object under the archive)`));
        } else {
          const result = await loaded;
          if (signal.aborted) return;
          if ('notice' in result) {
            counters.objectsFailed++;
            notices.push(result.notice);
          } else {
            counters.objectsRead++;
            records = result.decoded.records;
            for (const p of result.decoded.problems) {
              counters.entriesRejected++;
              notices.push({ kind: 'rejected', input: p.input, error: { code: 'EVENT_INVALID', message: `${key}: ${p.message}` }, id: `${key}#${p.index}` });
            }
          }
        }
        const now = Date.now();
        for (const record of records) {
          const ts = recordTimestamp(record);
          const at = ts === null ? Number.NaN : Date.parse(ts);
          if (!Number.isNaN(at) && (at < window.fromMs || at >= window.toMs)) {
            counters.outsideWindow++;
            continue;
          }
          chunk.push({ type: record.action, object: record as unknown as Record<string, unknown>, receivedAt: now, record });
          counters.records++;
          partitionRecords++;
          if (full()) yield take();
          if (signal.aborted) return;
        }
        // The object's last chunk: once it is delivered, the object is done for a restart.
        yield take({ key, rv: DONE });
        if (signal.aborted) return;
      }
      counters.partitionsDone++;
      logger.info('archive partition replayed', { partition, objects: objects.length, records: partitionRecords, done: `${counters.partitionsDone}/${partitions.length}` });
    }

    if (counters.records === 0 && counters.objectsResumed === 0) {
      if (counters.objects === 0) await assertNotEmpty(reader, layout, signal);
      const between = `between ${config.from} and ${config.to}`;
      const why =
        counters.objects === 0
          ? `no archived batch ${between} (partitions listed: ${partitions.length})`
          : counters.objectsRead === 0
            ? `none of the ${counters.objects} archived objects ${between} could be read (each is in the dead letter)`
            : counters.entriesRejected > 0
              ? `the ${counters.objectsRead} readable objects ${between} hold no ${RECORD_SCHEMA} record (${counters.entriesRejected} entries dead-lettered)`
              : `no archived record ${between} (the ${counters.objectsRead} objects read hold records outside the window only)`;
      throw new K8streamError('ARCHIVE_UNAVAILABLE', `${reader.describe()}: nothing to replay: ${why}`, {
        path: 'source.archive',
        hint: 'check source.archive.location, from, to and cluster',
      });
    }
    logger.info('archive source finished', { ...counters });
  } finally {
    await reader.close?.().catch(() => undefined);
  }
}
