/**
 * The Prometheus metrics of one run. Counters and gauges are read at scrape time from the
 * stats the runtime already keeps (dispatcher stats, pipeline counters, the Kubernetes
 * source's counters, enricher and resume-keeper stats) in each metric's `collect()`, so nothing
 * is counted twice. Only what no component counts is recorded here, through hooks: histograms
 * (send duration, lag, transform duration), API requests by verb/resource/code, transform
 * errors by kind, heartbeats.
 *
 * Every label value is bounded (sink/transform names from the config, verbs, resource plurals,
 * status codes); never a pod, event or object name.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DispatchStats } from '../dispatch/types.js';
import type { PipelineCounters } from '../pipeline.js';
import type { KubernetesSource } from '../source/kubernetes/events-source.js';
import { failuresByReason } from '../kube/listwatch.js';
import type { EnricherStats } from '../enrich/enricher.js';
import type { TransformCounters } from '../transform/stage.js';
import type { KubeResponseInfo } from './kube-request.js';
import { kubeRequestLabels } from './kube-request.js';
import type { ArchiveCounters } from '../source/archive-source.js';

/** The running parts metrics are read from; each is null/empty until the runtime hands it over. */
export interface MetricSources {
  /** `replay` or `kubernetes`: the `source` label of the event counters. */
  sourceType: string;
  pipeline: Readonly<PipelineCounters> | null;
  sinks: Map<string, { buffer: 'memory' | 'disk'; stats: () => DispatchStats }>;
  kube: KubernetesSource | null;
  enricher: { stats(): EnricherStats } | null;
  resume: { readonly saves: number; readonly saveErrors: number } | null;
  transforms: (() => Record<string, TransformCounters>) | null;
  /** Set only with leader election. */
  leader: (() => boolean) | null;
  ready: () => boolean;
}

export type TransformErrorKind = 'trap' | 'timeout' | 'error' | 'invalid_output';

/** What hooks record into. */
export interface MetricRecorders {
  sendDuration(sink: string, seconds: number): void;
  lag(sink: string, seconds: number): void;
  transformCalls(transform: string, calls: number, seconds: number): void;
  transformError(transform: string, kind: TransformErrorKind): void;
  kubeResponse(info: KubeResponseInfo): void;
  heartbeat(result: 'ok' | 'error'): void;
}

export interface OpsMetrics extends MetricRecorders {
  readonly registry: Registry;
  /** The text exposition of every metric (the process metrics included). */
  scrape(): Promise<string>;
  readonly contentType: string;
}

const SEND_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const LAG_BUCKETS = [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
const TRANSFORM_BUCKETS = [0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.1, 0.5, 1];

/**
 * Process metrics (CPU, memory, event loop lag, GC…) are registered once per process in their
 * own registry: prom-client's collectors are process-wide and cannot be stopped.
 */
let processRegistry: Registry | null = null;
function processMetrics(): Registry {
  if (processRegistry === null) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'k8stream_' });
  }
  return processRegistry;
}

/** A counter whose value is read at scrape time (`reset` then the current cumulative values). */
function readCounter<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Iterable<[Partial<Record<L, string>>, number]>,
): Counter<L> {
  return new Counter<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect(this: Counter<L>) {
      this.reset();
      for (const [labels, value] of read()) if (value > 0 || labelNames.length > 0) this.inc(labels as Record<L, string>, value);
    },
  });
}

function readGauge<L extends string>(
  registry: Registry,
  name: string,
  help: string,
  labelNames: readonly L[],
  read: () => Iterable<[Partial<Record<L, string>>, number]>,
): Gauge<L> {
  return new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect(this: Gauge<L>) {
      this.reset();
      for (const [labels, value] of read()) this.set(labels as Record<L, string>, value);
    },
  });
}

export function createOpsMetrics(src: MetricSources, info: { version: string; now?: () => number }): OpsMetrics {
  const registry = new Registry();
  const now = info.now ?? Date.now;
  const p = 'k8stream_';

  new Gauge({ name: `${p}build_info`, help: 'Always 1; labels: k8stream and Node.js versions.', labelNames: ['version', 'node'], registers: [registry] }).set(
    { version: info.version, node: process.versions.node },
    1,
  );

  // Pipeline counters.
  const pipeline = (field: keyof PipelineCounters) => () =>
    src.pipeline === null ? [] : [[{ source: src.sourceType }, src.pipeline[field]] as [Record<'source', string>, number]];
  readCounter(registry, `${p}events_received_total`, "Entries pulled from the source: events, and a replay file's BOOKMARK and ERROR entries.", ['source'], pipeline('received'));
  readCounter(registry, `${p}events_records_total`, 'Records that passed the source filter (handed to transforms and sinks).', ['source'], pipeline('records'));
  readCounter(registry, `${p}events_filtered_total`, 'Records dropped by the source filter.', ['source'], pipeline('filtered'));
  readCounter(registry, `${p}events_deleted_skipped_total`, 'DELETED notifications skipped (source.emitDeleted: false).', ['source'], pipeline('deletedSkipped'));
  readCounter(
    registry,
    `${p}events_invalid_total`,
    'Entries that are no valid event: not mappable to a record, or not an Event at all (dead-lettered).',
    ['source'],
    pipeline('invalid'),
  );
  readCounter(
    registry,
    `${p}events_bookmarks_total`,
    'BOOKMARK entries of a replay file (a live watch counts its own in watch_bookmarks_total).',
    ['source'],
    pipeline('bookmarks'),
  );
  readCounter(registry, `${p}events_watch_error_entries_total`, 'Watch ERROR entries of a replay file, skipped.', ['source'], pipeline('watchErrorEntries'));
  readCounter(registry, `${p}events_emitted_total`, 'Records after transforms (drops and fan-out applied).', ['source'], pipeline('transformed'));
  readCounter(registry, `${p}events_unrouted_total`, "Records that no sink's match accepted.", ['source'], pipeline('unrouted'));

  // Transforms.
  const perTransform = (field: keyof TransformCounters) => () =>
    Object.entries(src.transforms?.() ?? {}).map(([name, c]) => [{ transform: name }, c[field] ?? 0] as [Record<'transform', string>, number]);
  readCounter(registry, `${p}transform_calls_total`, 'Records given to the transform.', ['transform'], perTransform('calls'));
  readCounter(registry, `${p}transform_dropped_total`, 'Records the transform dropped itself (empty output).', ['transform'], perTransform('drops'));
  readGauge(
    registry,
    `${p}transform_breaker_open`,
    "1 while the transform's circuit breaker is open or half-open (events take its onError path without calling it), else 0.",
    ['transform'],
    perTransform('breakerOpen'),
  );
  readCounter(
    registry,
    `${p}transform_breaker_trips_total`,
    "Times the transform's circuit breaker opened (a failed probe re-opening it included).",
    ['transform'],
    perTransform('trips'),
  );
  readCounter(
    registry,
    `${p}transform_short_circuited_total`,
    'Records given the onError policy without calling the transform, its circuit breaker being open (also counted in transform_errors_total).',
    ['transform'],
    perTransform('shortCircuited'),
  );
  const transformErrors = new Counter({
    name: `${p}transform_errors_total`,
    help: 'Failed transform calls by kind (trap, timeout, error, invalid_output), whatever the onError policy.',
    labelNames: ['transform', 'kind'],
    registers: [registry],
  });
  const transformDuration = new Histogram({
    name: `${p}transform_duration_seconds`,
    help: 'Time per transform call, in the worker (each call of a worker batch counts the batch average).',
    labelNames: ['transform'],
    buckets: TRANSFORM_BUCKETS,
    registers: [registry],
  });

  // Sinks (the dead-letter destination is the sink named "deadletter").
  const sinks =
    <L extends string>(read: (s: DispatchStats, buffer: 'memory' | 'disk') => [Partial<Record<L, string>>, number][]) =>
    () => {
      const out: [Partial<Record<L | 'sink', string>>, number][] = [];
      for (const [name, s] of src.sinks) for (const [labels, v] of read(s.stats(), s.buffer)) out.push([{ ...labels, sink: name } as Partial<Record<L | 'sink', string>>, v]);
      return out;
    };
  const perSink = (f: (s: DispatchStats) => number) => sinks((s) => [[{}, f(s)]]);
  readGauge(
    registry,
    `${p}sink_queue_events`,
    'Events pushed to the sink and not yet acked, dead-lettered or given up.',
    ['sink', 'buffer'],
    sinks((s, buffer) => [[{ buffer }, s.queuedEvents]]),
  );
  readGauge(
    registry,
    `${p}sink_queue_bytes`,
    'Bytes of those events (disk buffer: segment bytes).',
    ['sink', 'buffer'],
    sinks((s, buffer) => [[{ buffer }, s.queuedBytes]]),
  );
  readCounter(
    registry,
    `${p}sink_batches_sent_total`,
    'Batches the sink acked.',
    ['sink'],
    perSink((s) => s.batchesSent),
  );
  readCounter(
    registry,
    `${p}sink_events_sent_total`,
    'Events the sink acked.',
    ['sink'],
    perSink((s) => s.eventsSent),
  );
  readCounter(
    registry,
    `${p}sink_bytes_sent_total`,
    'Encoded (compressed) bytes the sink acked.',
    ['sink'],
    perSink((s) => s.bytesSent),
  );
  readCounter(
    registry,
    `${p}sink_retries_total`,
    'Send attempts after the first one.',
    ['sink'],
    perSink((s) => s.retries),
  );
  readCounter(
    registry,
    `${p}sink_permanent_failures_total`,
    'Batches the sink rejected permanently.',
    ['sink'],
    perSink((s) => s.permanentFailures),
  );
  readCounter(
    registry,
    `${p}sink_deadlettered_total`,
    'Events handed to the dead-letter destination.',
    ['sink'],
    perSink((s) => s.deadLettered),
  );
  readCounter(
    registry,
    `${p}sink_dropped_total`,
    'Events lost: given up without delivery, or deleted by a disk buffer (overflow: drop-oldest).',
    ['sink'],
    perSink((s) => s.failedEvents + (s.droppedEvents ?? 0)),
  );
  const sendDuration = new Histogram({
    name: `${p}sink_send_duration_seconds`,
    help: 'Duration of acked sends (the successful attempt).',
    labelNames: ['sink'],
    buckets: SEND_BUCKETS,
    registers: [registry],
  });
  const lag = new Histogram({
    name: `${p}sink_lag_seconds`,
    help: 'Event timestamp to sink ack, per acked event with a timestamp.',
    labelNames: ['sink'],
    buckets: LAG_BUCKETS,
    registers: [registry],
  });
  // One child per sink, looked up once: `observe({ sink }, v)` hashes the labels on every event.
  const lagChildren = new Map<string, { observe(v: number): void }>();
  const lagOf = (sink: string): { observe(v: number): void } => {
    let child = lagChildren.get(sink);
    if (child === undefined) {
      child = lag.labels({ sink });
      lagChildren.set(sink, child);
    }
    return child;
  };

  // The Kubernetes source (no samples with a replay source).
  const kube = (f: (c: ReturnType<KubernetesSource['counters']>) => number) => () => (src.kube === null ? [] : [[{}, f(src.kube.counters())] as [Record<never, string>, number]]);
  readCounter(
    registry,
    `${p}watch_restarts_total`,
    'Watch reconnects after a stream ended normally.',
    [],
    kube((c) => c.restarts),
  );
  readCounter(
    registry,
    `${p}watch_relists_total`,
    'Re-lists after 410 Gone or repeated empty answers.',
    [],
    kube((c) => c.relists),
  );
  readCounter(
    registry,
    `${p}watch_gaps_total`,
    'Gap marker records emitted (history possibly lost).',
    [],
    kube((c) => c.gaps),
  );
  readCounter(
    registry,
    `${p}watch_bookmarks_total`,
    'BOOKMARK events received.',
    [],
    kube((c) => c.bookmarks),
  );
  readCounter(
    registry,
    `${p}watch_errors_total`,
    'Failed list/watch attempts by reason (throttled, expired, server_error, client_error, reset, stall, empty, invalid, other).',
    ['reason'],
    () => (src.kube === null ? [] : Object.entries(failuresByReason(src.kube.counters())).map(([reason, n]) => [{ reason: reason }, n] as [Record<'reason', string>, number])),
  );
  readCounter(
    registry,
    `${p}source_throttled_total`,
    'List/watch requests answered 429 (each waited its Retry-After).',
    [],
    kube((c) => c.throttled),
  );
  readGauge(registry, `${p}watch_up`, '1 when every events watch is open, else 0.', [], () => (src.kube === null ? [] : [[{}, src.kube.state().watching ? 1 : 0]]));
  // Per watch (`watch`: the namespace, or `*` for the cluster-wide one), computed at scrape time.
  const perWatch = (f: (w: ReturnType<KubernetesSource['state']>['watches'][number], nowMs: number) => number | null) => () => {
    if (src.kube === null) return [];
    const nowMs = now();
    const out: [Record<'watch', string>, number][] = [];
    for (const w of src.kube.state().watches) {
      const v = f(w, nowMs);
      if (v !== null) out.push([{ watch: w.watch }, v]);
    }
    return out;
  };
  readGauge(
    registry,
    `${p}source_last_event_age_seconds`,
    'Seconds since the last event or bookmark arrived on the watch (since it started, before the first).',
    ['watch'],
    perWatch((w, nowMs) => (w.lastDataAt === null ? null : Math.max(0, nowMs - w.lastDataAt) / 1000)),
  );
  readGauge(
    registry,
    `${p}source_consecutive_failures`,
    'Failed list/watch attempts of the watch since its last healthy list+watch cycle.',
    ['watch'],
    perWatch((w) => w.consecutiveFailures),
  );
  readGauge(
    registry,
    `${p}source_next_retry_timestamp_seconds`,
    'When the watch retries next (Unix time), while it waits to retry; 0 otherwise.',
    ['watch'],
    perWatch((w) => (w.nextRetryAt === null ? 0 : w.nextRetryAt / 1000)),
  );
  const kubeRequests = new Counter({
    name: `${p}kube_requests_total`,
    help: 'Kubernetes API requests by verb, resource plural and HTTP status ("error": no answer).',
    labelNames: ['verb', 'resource', 'code'],
    registers: [registry],
  });

  // Enrichment, leader election, resume point, heartbeat, readiness.
  const enrich = (f: (s: EnricherStats) => number) => () => (src.enricher === null ? [] : [[{}, f(src.enricher.stats())] as [Record<never, string>, number]]);
  readCounter(
    registry,
    `${p}enrich_cache_hits_total`,
    'Enrichment lookups answered from the cache.',
    [],
    enrich((s) => s.hits),
  );
  readCounter(
    registry,
    `${p}enrich_cache_misses_total`,
    'Enrichment lookups that needed an API request.',
    [],
    enrich((s) => s.misses),
  );
  if (src.leader !== null) {
    const leading = src.leader;
    readGauge(registry, `${p}leader`, '1 while this replica leads, 0 on standby.', [], () => [[{}, leading() ? 1 : 0]]);
  }
  readCounter(registry, `${p}resume_saves_total`, 'Resume point saves.', [], () => (src.resume === null ? [] : [[{}, src.resume.saves]]));
  readCounter(registry, `${p}resume_save_errors_total`, 'Failed resume point saves.', [], () => (src.resume === null ? [] : [[{}, src.resume.saveErrors]]));
  const heartbeats = new Counter({ name: `${p}heartbeats_total`, help: 'Heartbeat pings by result (ok, error).', labelNames: ['result'], registers: [registry] });
  readGauge(registry, `${p}ready`, '1 when /readyz answers ready, else 0.', [], () => [[{}, src.ready() ? 1 : 0]]);

  return {
    registry,
    contentType: registry.contentType,
    async scrape() {
      const [own, proc] = await Promise.all([registry.metrics(), processMetrics().metrics()]);
      return `${own}\n${proc}`;
    },
    sendDuration: (sink, seconds) => sendDuration.observe({ sink }, seconds),
    lag: (sink, seconds) => lagOf(sink).observe(seconds),
    transformCalls(transform, calls, seconds) {
      if (calls <= 0) return;
      const each = seconds / calls;
      for (let i = 0; i < calls; i++) transformDuration.observe({ transform }, each);
    },
    transformError: (transform, kind) => transformErrors.inc({ transform, kind }),
    kubeResponse: (info) => kubeRequests.inc(kubeRequestLabels(info)),
    heartbeat: (result) => heartbeats.inc({ result }),
  };
}

/**
 * The `archive` source's metrics, added to a run's registry when `source.type` is `archive`
 * (read at scrape time from the source's counters; no samples before the source exists):
 *
 * - `k8stream_archive_objects_total{result}`: objects read, resumed (skipped inside a partition an
 *   earlier run had begun) and failed (dead-lettered whole);
 * - `k8stream_archive_records_total`: records replayed (handed to the pipeline);
 * - `k8stream_archive_entries_rejected_total`: entries of readable objects dead-lettered;
 * - `k8stream_archive_partitions{state}`: partitions of the window (`total`), finished (`done`, those an
 *   earlier run finished included) and skipped as finished by an earlier run (`resumed`).
 */
export function registerArchiveMetrics(registry: Registry, counters: () => Readonly<ArchiveCounters> | null): void {
  const p = 'k8stream_';
  const read =
    <L extends string>(f: (c: Readonly<ArchiveCounters>) => [Partial<Record<L, string>>, number][]) =>
    () => {
      const c = counters();
      return c === null ? [] : f(c);
    };
  readCounter(
    registry,
    `${p}archive_objects_total`,
    'Archived objects of the window by result: read, resumed (finished by an earlier run), failed (dead-lettered whole).',
    ['result'],
    read((c) => [
      [{ result: 'read' }, c.objectsRead],
      [{ result: 'resumed' }, c.objectsResumed],
      [{ result: 'failed' }, c.objectsFailed],
    ]),
  );
  readCounter(
    registry,
    `${p}archive_records_total`,
    'Archived records replayed into the pipeline.',
    [],
    read((c) => [[{}, c.records]]),
  );
  readCounter(
    registry,
    `${p}archive_entries_rejected_total`,
    'Entries of readable archived objects that are no record (dead-lettered).',
    [],
    read((c) => [[{}, c.entriesRejected]]),
  );
  readGauge(
    registry,
    `${p}archive_partitions`,
    'Partitions (hour × cluster listings) of the archive window: total, done (finished, by this run or an earlier one), resumed (skipped: an earlier run finished them).',
    ['state'],
    read((c) => [
      [{ state: 'total' }, c.partitions],
      [{ state: 'done' }, c.partitionsDone],
      [{ state: 'resumed' }, c.partitionsResumed],
    ]),
  );
}
