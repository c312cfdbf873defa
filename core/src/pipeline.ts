/**
 * The whole path of an event, in one screen:
 *
 *   source ──▶ toRecord ──▶ filter ──▶ enrich ──▶ transforms ──▶ router ──▶ per-sink dispatcher
 *
 * Everything that batches, retries, buffers or times out lives in `dispatch/`. This loop only
 * moves records and honours backpressure: when a sink's queue is full, `push` returns a
 * promise and the loop stops pulling from the source until it resolves. A few chunks are
 * enriched and transformed ahead (those steps wait on lookups and worker threads), but records
 * reach the sinks strictly in source order.
 */
import { toRecord } from './record/map.js';
import { recordTimestamp } from './record/map.js';
import { recordJson } from './record/serialized.js';
import type { EventRecord } from './record/types.js';
import type { Source, SourceChunk, SourceNotice } from './source/types.js';
import type { TransformStage } from './transform/types.js';
import { deadLetterError, deadLetterRecord } from './sink-kit/dead-letter.js';
import type { DeadLetterError } from './sink-kit/dead-letter.js';
import type { DeadLetter, DeadLetterRecord, DispatchItem, SinkDispatcher } from './dispatch/types.js';
import type { Router } from './filter/router.js';
import type { CheckpointLedger, ChunkHandle } from './checkpoint/checkpoints.js';
import type { Logger } from './util/logger.js';

export interface PipelineOptions {
  cluster: string;
  source: Source;
  filter: (record: EventRecord) => boolean;
  /** Fills `record.enrichment` in place; failures go to `enrichment.errors`, never reject. */
  enrich?: (records: EventRecord[]) => Promise<void>;
  transform: TransformStage;
  /** One dispatcher per sink, in config order. */
  sinks: readonly SinkDispatcher[];
  /** Which of `sinks` (indexes) a record goes to: `createRouter` over the sinks' `match`. */
  route: Router;
  deadLetter: DeadLetter;
  logger: Logger;
  /** Emit DELETED watch events too (default false). */
  emitDeleted?: boolean;
  /**
   * The checkpoint ledger: records which chunks are fully handled (every delivery acked,
   * dead-lettered or on disk), for the resume point. Unset: no ledger is kept.
   */
  checkpoints?: CheckpointLedger;
  /** Called after every chunk with the running counters (read-only for the callee). */
  onProgress?: (counters: Readonly<PipelineCounters>) => void;
}

/**
 * What the pipeline did with what it pulled. Every entry received lands in exactly one of
 * `records`, `filtered`, `invalid`, `deletedSkipped`, `bookmarks` and `watchErrorEntries`
 * (see {@link receivedParts}); `transformed`, `unrouted` and `routed` follow the records on.
 */
export interface PipelineCounters {
  /** Entries pulled from the source: events, and the non-event entries a source passes on (`SourceNotice`). */
  received: number;
  /** Entries that are no valid event (dead-lettered): not mappable to a record, or rejected by the source. */
  invalid: number;
  /** Records dropped by the source filter. */
  filtered: number;
  /** DELETED notifications skipped. */
  deletedSkipped: number;
  /** Watch BOOKMARK entries passed on by the source (replay files). */
  bookmarks: number;
  /** Watch ERROR entries passed on by the source (replay files), skipped. */
  watchErrorEntries: number;
  /** Records that passed the source filter, handed to enrichment and transforms. */
  records: number;
  /** Records after transforms (drops/fan-out applied). */
  transformed: number;
  /** Records that no sink's `match` accepted. */
  unrouted: number;
  /** Record deliveries handed to sinks (one record to two sinks counts 2). */
  routed: number;
}

/** All counters at zero (a run that never pulled anything reports these). */
export function emptyPipelineCounters(): PipelineCounters {
  return { received: 0, invalid: 0, filtered: 0, deletedSkipped: 0, bookmarks: 0, watchErrorEntries: 0, records: 0, transformed: 0, unrouted: 0, routed: 0 };
}

/** The parts `received` splits into; they add up to it. */
export function receivedParts(c: Readonly<PipelineCounters>): number {
  return c.records + c.filtered + c.invalid + c.deletedSkipped + c.bookmarks + c.watchErrorEntries;
}

/** Chunks prepared (enriched, transformed) ahead of the one being delivered. */
const PREPARE_AHEAD = 4;

/** Pull from the source until it ends or `signal` aborts. Returns the counters. */
export async function runPipeline(options: PipelineOptions, signal: AbortSignal): Promise<PipelineCounters> {
  const { cluster, source, filter, transform, sinks, route, deadLetter, logger } = options;
  const counters = emptyPipelineCounters();

  const ledger = options.checkpoints;

  /** Source chunk → records after map, filter, enrich and transforms (async work overlaps). */
  const prepare = async (chunk: SourceChunk): Promise<EventRecord[]> => {
    const records: EventRecord[] = [];
    const invalid: DeadLetterRecord[] = [];
    for (const item of chunk) {
      counters.received++;
      if (item.record !== undefined) {
        if (filter(item.record)) {
          counters.records++;
          records.push(item.record);
        } else counters.filtered++;
        continue;
      }
      if (item.type === 'DELETED' && !options.emitDeleted) {
        counters.deletedSkipped++;
        continue;
      }
      let record: EventRecord;
      try {
        record = toRecord(item.object, { cluster, action: item.type });
      } catch (err) {
        counters.invalid++;
        invalid.push(sourceDeadLetter(item.object, deadLetterError(err, 'EVENT_INVALID')));
        continue;
      }
      if (filter(record)) {
        counters.records++;
        records.push(record);
      } else counters.filtered++;
    }
    if (chunk.notices) countNotices(chunk.notices, invalid);
    if (invalid.length > 0) {
      logger.warn('events could not be mapped to records; dead-lettered', { count: invalid.length, first: invalid[0]!.error.message });
      await deadLetter.write(invalid);
    }
    if (options.enrich && records.length > 0) await options.enrich(records);
    return records.length === 0 ? records : transform.apply(records);
  };

  /** Counts a chunk's non-event entries; the rejected ones join `invalid` for the dead letter. */
  const countNotices = (notices: readonly SourceNotice[], invalid: DeadLetterRecord[]): void => {
    for (const notice of notices) {
      counters.received++;
      switch (notice.kind) {
        case 'bookmark':
          counters.bookmarks++;
          break;
        case 'watch-error':
          counters.watchErrorEntries++;
          break;
        case 'rejected':
          counters.invalid++;
          invalid.push(sourceDeadLetter(notice.input, notice.error, notice.id));
          break;
      }
    }
  };

  /** Hands one chunk's records to the sinks, in order, honouring backpressure. */
  const deliver = async (out: EventRecord[], handle: ChunkHandle | undefined, synced: boolean, versionOrdered: boolean): Promise<void> => {
    counters.transformed += out.length;
    for (const record of out) {
      const json = recordJson(record);
      const bytes = Buffer.byteLength(json, 'utf8');
      const timestamp = recordTimestamp(record);
      const targets = route(record);
      if (targets.length === 0) {
        counters.unrouted++;
        continue;
      }
      for (let i = 0; i < targets.length; i++) {
        counters.routed++;
        // The queue keeps the JSON text only: one representation per queued record. `record` is
        // read while pushing only (a Parquet batch's columns come from it, not from parsing `json`).
        const item: DispatchItem = { id: record.id, json, bytes, record, timestamp };
        if (handle !== undefined) {
          const hold = handle.hold();
          item.done = hold.done;
          item.persisted = hold.persisted;
          item.checkpoint = handle.seq;
          // at-most-once may commit part of the chunk, up to the newest version sent; only where
          // the position is that version (a watch). An archive's records keep their cluster's
          // versions, unrelated to its positions (objects done in a partition).
          if (versionOrdered) item.resourceVersion = record.resourceVersion;
        }
        const wait = sinks[targets[i]!]!.push(item);
        if (wait) await wait;
      }
    }
    handle?.seal();
    // The initial list is complete: its last records need not wait for the batches' maxAgeMs.
    if (synced) for (const sink of sinks) sink.flush();
    options.onProgress?.(counters);
  };

  // Chunks are enriched and transformed as they arrive, up to PREPARE_AHEAD ahead of the one
  // being delivered; a delivery loop (the pump) hands them to the sinks strictly in source order.
  const ahead: { out: Promise<EventRecord[]>; handle: ChunkHandle | undefined; synced: boolean; versionOrdered: boolean }[] = [];
  let pumping = false;
  let failure: { error: unknown } | null = null;
  let wake: (() => void) | null = null;
  const woken = (): Promise<void> => new Promise<void>((resolve) => (wake = resolve));
  const notify = (): void => {
    const w = wake;
    wake = null;
    w?.();
  };
  // A delivery failure must stop the run even while the source is quiet (a live watch): it
  // aborts the source, whose stream then ends.
  const stopSource = new AbortController();
  const sourceSignal = AbortSignal.any([signal, stopSource.signal]);
  const startPump = (): void => {
    if (pumping) return;
    pumping = true;
    void (async () => {
      try {
        while (ahead.length > 0 && failure === null) {
          const head = ahead[0]!;
          await deliver(await head.out, head.handle, head.synced, head.versionOrdered);
          ahead.shift();
          notify();
        }
      } catch (error) {
        failure = { error };
        stopSource.abort();
      } finally {
        // Synchronous with the last check above: a chunk pushed after it starts a new pump.
        pumping = false;
        notify();
      }
    })();
  };

  for await (const chunk of source.stream({ signal: sourceSignal, logger })) {
    if (failure !== null) break;
    const out = prepare(chunk);
    out.catch(() => undefined); // awaited in order by the pump; a failure surfaces there
    ahead.push({ out, handle: ledger?.begin(chunk.position), synced: chunk.synced === true, versionOrdered: chunk[0]?.record === undefined });
    startPump();
    while (ahead.length >= PREPARE_AHEAD && failure === null) await woken();
    if (failure !== null || signal.aborted) break;
  }
  while ((ahead.length > 0 || pumping) && failure === null) {
    startPump();
    await woken();
  }
  if (failure !== null) throw (failure as { error: unknown }).error;
  return counters;
}

/** The dead-letter record of a raw entry that is no valid event. */
function sourceDeadLetter(raw: unknown, error: DeadLetterError, given?: string): DeadLetterRecord {
  const meta = (raw as { metadata?: { uid?: unknown; resourceVersion?: unknown } } | null)?.metadata;
  const id = given ?? (typeof meta?.uid === 'string' ? `${meta.uid}:${String(meta.resourceVersion ?? '')}` : 'unknown');
  return deadLetterRecord({ stage: 'source', component: 'record', id, error, record: raw });
}
