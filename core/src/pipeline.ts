/**
 * The whole path of an event, in one screen:
 *
 *   source ──▶ toRecord ──▶ filter ──▶ enrich ──▶ transforms ──▶ router ──▶ per-sink dispatcher
 *
 * Everything that batches, retries, buffers or times out lives in `dispatch/`. This loop only
 * moves records and honours backpressure: when a sink's queue is full, `push` returns a
 * promise and the loop stops pulling from the source until it resolves.
 */
import { K8streamError, errorMessage } from './errors.js';
import { toRecord } from './record/map.js';
import { recordTimestamp } from './record/map.js';
import type { EventRecord } from './record/types.js';
import type { Source } from './source/types.js';
import type { TransformStage } from './transform/types.js';
import type { DeadLetter, DeadLetterRecord, DispatchItem, SinkDispatcher } from './dispatch/types.js';
import type { CheckpointTracker } from './delivery/checkpoints.js';
import type { Logger } from './util/logger.js';

export interface Route {
  dispatcher: SinkDispatcher;
  matches: (record: EventRecord) => boolean;
}

export interface PipelineOptions {
  cluster: string;
  source: Source;
  filter: (record: EventRecord) => boolean;
  /** Fills `record.enrichment` in place; failures go to `enrichment.errors`, never reject. */
  enrich?: (records: EventRecord[]) => Promise<void>;
  transform: TransformStage;
  routes: Route[];
  deadLetter: DeadLetter;
  logger: Logger;
  /** Emit DELETED watch events too (default false). */
  emitDeleted?: boolean;
  /**
   * Tracks which chunks are fully handled (every delivery acked, dead-lettered or on disk), for
   * the resume point. Unset: nothing is tracked.
   */
  checkpoints?: CheckpointTracker;
  /** Called after every chunk with the live counters (read-only for the callee). */
  onProgress?: (counters: Readonly<PipelineCounters>) => void;
}

export interface PipelineCounters {
  /** Raw events pulled from the source. */
  received: number;
  /** Events that could not be mapped to a record (dead-lettered). */
  invalid: number;
  /** Records dropped by the source filter. */
  filtered: number;
  /** DELETED notifications skipped. */
  deletedSkipped: number;
  /** Records after transforms (drops/fan-out applied). */
  transformed: number;
  /** Records that no sink's `match` accepted. */
  unrouted: number;
  /** Record deliveries handed to sinks (one record to two sinks counts 2). */
  routed: number;
}

/** Pull from the source until it ends or `signal` aborts. Returns the counters. */
export async function runPipeline(options: PipelineOptions, signal: AbortSignal): Promise<PipelineCounters> {
  const { cluster, source, filter, transform, routes, deadLetter, logger } = options;
  const counters: PipelineCounters = {
    received: 0, invalid: 0, filtered: 0, deletedSkipped: 0, transformed: 0, unrouted: 0, routed: 0,
  };

  const tracker = options.checkpoints;
  for await (const chunk of source.stream({ signal, logger })) {
    const handle = tracker?.begin(chunk.position);
    const records: EventRecord[] = [];
    const invalid: DeadLetterRecord[] = [];
    for (const item of chunk) {
      counters.received++;
      if (item.type === 'DELETED' && !options.emitDeleted) {
        counters.deletedSkipped++;
        continue;
      }
      let record: EventRecord;
      try {
        record = toRecord(item.object, { cluster, action: item.type });
      } catch (err) {
        counters.invalid++;
        invalid.push(sourceDeadLetter(item.object, err));
        continue;
      }
      if (filter(record)) records.push(record);
      else counters.filtered++;
    }
    if (invalid.length > 0) {
      logger.warn('events could not be mapped to records; dead-lettered', { count: invalid.length });
      await deadLetter.write(invalid);
    }

    if (options.enrich && records.length > 0) await options.enrich(records);
    const out = records.length === 0 ? records : await transform.apply(records);
    counters.transformed += out.length;

    for (const record of out) {
      const json = JSON.stringify(record);
      const timestamp = recordTimestamp(record);
      let delivered = false;
      for (const route of routes) {
        if (!route.matches(record)) continue;
        delivered = true;
        counters.routed++;
        const item: DispatchItem = { id: record.id, record, json, timestamp };
        if (handle !== undefined) {
          const hold = handle.hold();
          item.done = hold.done;
          item.persisted = hold.persisted;
          item.checkpoint = handle.seq;
        }
        const wait = route.dispatcher.push(item);
        if (wait) await wait;
      }
      if (!delivered) counters.unrouted++;
    }
    handle?.seal();
    options.onProgress?.(counters);
    if (signal.aborted) break;
  }
  return counters;
}

function sourceDeadLetter(raw: unknown, err: unknown): DeadLetterRecord {
  const meta = (raw as { metadata?: { uid?: unknown; resourceVersion?: unknown } } | null)?.metadata;
  const id = typeof meta?.uid === 'string' ? `${meta.uid}:${String(meta.resourceVersion ?? '')}` : 'unknown';
  return {
    schema: 'k8stream.deadletter/v1',
    id,
    time: new Date().toISOString(),
    stage: 'source',
    component: 'record',
    error: {
      code: err instanceof K8streamError ? err.code : 'EVENT_INVALID',
      message: errorMessage(err),
    },
    record: raw,
  };
}
