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
 * Resume (`state.dir`): one entry per partition, whatever its size. The last chunk of each object
 * carries the position `{ key: <partition>, rv: <n> }`: the first n objects of the partition's
 * listing (in key order) are done once it is delivered; the last chunk of the partition carries
 * `rv: '0'`, "finished" (the ledger acknowledges chunks in order, so each value replaces the one
 * before). A restart skips finished partitions without listing them, and within the unfinished
 * one skips its first n objects: a crash re-sends at most the objects in flight, never a
 * finished partition. (Entries of the older per-object form, `{ <object key>: '1' }`, are still
 * honoured.)
 *
 * Bad objects (unreadable, undecodable, foreign to the layout) and entries that are no record
 * of a known schema are dead-lettered as source notices naming the object key; the rest goes
 * on. A run where nothing at all could be read fails with `ARCHIVE_UNAVAILABLE`.
 */
import { K8streamError, errorMessage } from '../../errors.js';
import { openArchive } from '../../forensics/archive/open.js';
import { assertNotEmpty, guarded, plan, templateOf } from '../../forensics/archive/stage.js';
import type { ArchiveOptions } from '../../forensics/archive/stage.js';
import { DEFAULT_LOOK_BACK_MS, compileLayout, inWindow } from '../../forensics/archive/layout.js';
import type { ArchiveLayout, KeyMatch } from '../../forensics/archive/layout.js';
import { readWithRetries } from '../../forensics/archive/fetch.js';
import { recordTimestamp } from '../../record/map.js';
import { RECORD_SCHEMA } from '../../record/types.js';
import type { EventRecord } from '../../record/types.js';
import type { SourceChunk, SourceContext, SourceItem, SourceNotice } from '../types.js';
import { PARTITION_DONE } from '../archive-source.js';
import type { ArchiveCounters, ArchiveSourceConfig, ArchiveSourceOptions, ArchiveWindow } from '../archive-source.js';
import { decodeFailure, decodeObject } from './decode.js';
import type { DecodedObject } from './decode.js';

/** Objects read ahead of the one being replayed. */
export const DEFAULT_PREFETCH = 4;

/** One object read: its records, or the notice that dead-letters it. */
type Loaded = { decoded: DecodedObject } | { notice: SourceNotice };

/** Largest chunk the archive source yields. */
export const ARCHIVE_MAX_CHUNK = 256;

/** The resume value of an object of the older per-object form. */
const LEGACY_OBJECT_DONE = '1';

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

/** Replays the archive (see the module doc); `counters` are updated as it goes. */
export async function* replayArchive(
  config: ArchiveSourceConfig,
  window: ArchiveWindow,
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
    window: { fromMs: window.fromMs, toMs: window.toMs },
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
    const finished = partitions.filter((p) => done[p] === PARTITION_DONE).length;
    logger.info('archive source started', {
      archive: reader.describe(),
      from: new Date(window.fromMs).toISOString(),
      to: new Date(window.toMs).toISOString(),
      ...(window.from !== new Date(window.fromMs).toISOString() || window.to !== new Date(window.toMs).toISOString() ? { window: `${window.from} → ${window.to}` } : {}),
      partitions: partitions.length,
      resumed: finished,
    });

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
      if (done[partition] === PARTITION_DONE) {
        // Finished by an earlier run: not listed again.
        counters.partitionsResumed++;
        counters.partitionsDone++;
        continue;
      }
      const listing = await guarded(reader, `listing ${partition}`, signal, () => reader.list(partition, { signal }));
      const listed = [...listing.objects].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      // The first `skip` objects of the listing were finished by an earlier run.
      const saved = Number(done[partition] ?? 0);
      const skip = Number.isSafeInteger(saved) && saved > 0 ? Math.min(saved, listed.length) : 0;
      // The partition's work, in key order: the objects of the window not finished by an earlier run.
      // `at`: the object's place in the listing, its resume value once done.
      const work: { key: string; match: KeyMatch | null; at: number }[] = [];
      listed.forEach((object, index) => {
        if (seen.has(object.key)) return;
        seen.add(object.key);
        const match = matchObject(layout, object.key, wanted);
        if (match !== null && !inWindow(match, window, DEFAULT_LOOK_BACK_MS)) return;
        counters.objects++;
        if (index < skip || done[object.key] === LEGACY_OBJECT_DONE) counters.objectsResumed++;
        else work.push({ key: object.key, match, at: index + 1 });
      });
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
        const { key, at } = work[i]!;
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
        // The object's last chunk: once it is delivered, the first `at` objects of the partition are done for a restart
        // (the partition's last object: the whole partition, below).
        if (i < work.length - 1) {
          yield take({ key: partition, rv: String(at) });
          if (signal.aborted) return;
        }
      }
      // The partition's last chunk (possibly only this position): once delivered, one entry says "finished".
      yield take({ key: partition, rv: PARTITION_DONE });
      if (signal.aborted) return;
      counters.partitionsDone++;
      logger.info('archive partition replayed', { partition, objects: listed.length, records: partitionRecords, done: `${counters.partitionsDone}/${partitions.length}` });
    }

    if (counters.records === 0 && counters.objectsResumed === 0 && counters.partitionsResumed === 0) {
      if (counters.objects === 0) await assertNotEmpty(reader, layout, signal);
      const show = (text: string, ms: number): string => (Date.parse(text) === ms ? text : `${text} (${new Date(ms).toISOString()})`);
      const between = `between ${show(window.from, window.fromMs)} and ${show(window.to, window.toMs)}`;
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
        hint: 'check source.archive (the location), source.from, source.to and source.cluster',
      });
    }
    logger.info('archive source finished', { ...counters });
  } finally {
    await reader.close?.().catch(() => undefined);
  }
}
