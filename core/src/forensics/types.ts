/**
 * The contracts between the parts of the forensics commands (`k8stream query`, `timeline`,
 * `report`), in data-flow order:
 *
 *   arguments ─► archive/ (list, prune by partition, fetch)  ─► StagedArchive (local files)
 *             ─► engine/  (DuckDB view `events`, deduplicated) ─► EventsDb
 *             ─► timeline/ (subject → lanes, events, gaps)      ─► TimelineData
 *             ─► text output, or report/ (one self-contained HTML page)
 */

/** A half-open time window `[fromMs, toMs)`, milliseconds since the epoch (UTC). */
export interface TimeWindow {
  fromMs: number;
  toMs: number;
}

/** An object the reader left out, and why: every one is counted and reported, never silent. */
export interface SkippedObject {
  /** The archive key (`demo/2026/12/08/10/….ndjson.gz`, `events/cluster=x/dt=…/….ndjson.gz`). */
  key: string;
  /** `ARCHIVE_READ_FAILED` (fetch failed), `EVENT_INVALID` (not decodable: truncated gzip, not NDJSON/JSON). */
  code: string;
  reason: string;
}

/** A batch file ready for the engine: a local path, and the archive key it came from. */
export interface StagedFile {
  path: string;
  key: string;
  /** `.ndjson`, `.ndjson.gz`, `.ndjson.zst`, `.json`, `.json.gz`, `.json.zst`, `.parquet`. */
  extension: string;
  size: number;
}

/** What the archive part hands the engine: the window's batch files, on local disk. */
export interface StagedArchive {
  /** Where it was read from (`/abs/out`, `s3://bucket/prefix`, `gs://bucket/prefix`). */
  describe: string;
  /** Cluster names the archive holds under the window (one, unless `--cluster` was left out and several exist). */
  clusters: string[];
  /** The partitions listed (`events/cluster=demo/dt=2026-12-08/hour=10/`), for the "no data" message. */
  partitions: string[];
  files: StagedFile[];
  stats: { objectsListed: number; objectsFetched: number; bytesFetched: number };
  /** Objects that could not be fetched. */
  skipped: SkippedObject[];
  /** Removes downloaded copies (a no-op for a file archive). */
  dispose(): Promise<void>;
}

/** Counts of what the engine read. */
export interface ReadStats {
  /** Batch files read. */
  files: number;
  /** Records in the view after deduplication by `id`, inside the window. */
  records: number;
  /** Repeated records (same `id`) dropped by deduplication. */
  duplicates: number;
  /** Lines that were not JSON objects (malformed, truncated). */
  malformedLines: number;
  /** Records whose `schema` is not `k8stream.event/v1`. */
  foreignRecords: number;
  /** Objects left out (fetch failures from the archive, undecodable files from the engine). */
  skippedObjects: SkippedObject[];
}

/** What a timeline is about. */
export type Subject =
  { kind: 'service'; namespace: string; name: string } | { kind: 'workload'; workloadKind: string; namespace: string; name: string } | { kind: 'node'; name: string };

/** One row of the report: a workload, a pod (or other object) under it, a node, the service itself. */
export interface Lane {
  /** `Kind/namespace/name`, or `Node/name` for cluster-scoped objects. Unique. */
  key: string;
  role: 'service' | 'workload' | 'owner' | 'pod' | 'node' | 'other';
  kind: string;
  namespace: string;
  name: string;
  /** The key of the workload lane this one is grouped under (its own key for a workload; `nodes` for nodes; `service` for the service). */
  group: string;
}

/** One archived record on the timeline (not folded). */
export interface TimelineEvent {
  id: string;
  /** ISO-8601 UTC: `lastTimestamp`, else `eventTime`, else `firstTimestamp`. */
  time: string;
  firstTime: string;
  type: string;
  reason: string;
  message: string;
  /** The Event's own count (recurrences folded by Kubernetes). */
  count: number;
  /** The lane it is drawn on. */
  lane: string;
}

/** Consecutive records of one lane with the same type, reason and message, folded. */
export interface FoldedEntry {
  lane: string;
  type: string;
  reason: string;
  message: string;
  /** How many times it happened: the sum of the folded records' `count`. */
  count: number;
  /** Records folded. */
  records: number;
  first: string;
  last: string;
}

/** A stretch where events may be missing (a `WatchGap` marker's span). */
export interface Gap {
  from: string;
  to: string;
  message: string;
}

export interface TimelineData {
  subject: Subject;
  /** The subject as written on the command line (`service shop/web`). */
  title: string;
  window: { from: string; to: string };
  archive: string;
  clusters: string[];
  lanes: Lane[];
  /** In time order (ties by id). */
  events: TimelineEvent[];
  /** `events` folded per lane, in time order of `first`. */
  folded: FoldedEntry[];
  gaps: Gap[];
  /** Reasons by number of records, highest first (at most 10). */
  topReasons: { reason: string; type: string; records: number }[];
  warnings: number;
  stats: ReadStats & { partitions: string[]; objectsListed: number; objectsFetched: number; bytesFetched: number };
  generatedAt: string;
}
