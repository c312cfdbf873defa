/**
 * The versioned record every sink receives. Flat enough for Athena/BigQuery/DuckDB.
 * A breaking change is a new schema string; additive optional fields keep `v1`.
 */
export const RECORD_SCHEMA = 'k8stream.event/v1' as const;

export type EventAction = 'ADDED' | 'MODIFIED' | 'DELETED' | 'SYNC';

export interface InvolvedObject {
  kind: string;
  name: string;
  namespace: string;
  uid: string;
  apiVersion: string;
  fieldPath: string;
}

/** An events-API series: the event recurred `count` times, the last at `lastObservedTime`. */
export interface EventSeries {
  /** series.count as sent (0 when the series has none). */
  count: number;
  /** series.lastObservedTime (UTC, ISO-8601), or null. */
  lastObservedTime: string | null;
}

export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
  apiVersion: string;
}

export interface Enrichment {
  /** Labels of the involved object. */
  labels: Record<string, string>;
  /** Annotations of the involved object. */
  annotations: Record<string, string>;
  /** Owner chain from the direct owner up to the top workload. */
  owners: OwnerRef[];
  /** The top workload (Deployment, StatefulSet, DaemonSet, Job, CronJob), if any. */
  workload: OwnerRef | null;
  node: { name: string; addresses: { type: string; address: string }[] } | null;
  pod: { ip: string; hostIP: string; phase: string; startTime: string | null } | null;
  /** Services whose selectors match the pod ("services are pets"). */
  services: { name: string; namespace: string }[];
  /** Lookups that failed; the event is still delivered. */
  errors: { lookup: string; message: string }[];
}

export interface EventRecord {
  schema: typeof RECORD_SCHEMA;
  /** Deterministic: `${uid}:${resourceVersion}` so retries and replays are idempotent. */
  id: string;
  cluster: string;
  uid: string;
  resourceVersion: string;
  /** ISO-8601 timestamps (UTC). `lastTimestamp` is the latest occurrence. */
  firstTimestamp: string | null;
  lastTimestamp: string | null;
  eventTime: string | null;
  count: number;
  type: string;
  reason: string;
  message: string;
  action: EventAction;
  namespace: string;
  involvedObject: InvolvedObject;
  source: { component: string; host: string };
  reportingController: string;
  reportingInstance: string;
  /** The declared apiVersion: `v1`, `events.k8s.io/v1`, `events.k8s.io/v1beta1` (events-API `note` is in `message`). */
  apiVersion: string;
  /**
   * The Event's own `action` (what was done or failed: `Binding`, `Scheduling`, …); '' when absent.
   * Not to be confused with `action`, the watch verb. Added within v1: older records lack it.
   */
  eventAction: string;
  /** The Event's `related` object (a second object the event is about), or null. Added within v1. */
  related: InvolvedObject | null;
  /** The Event's `series`, or null. Added within v1. */
  series: EventSeries | null;
  enrichment: Enrichment;
}

export function emptyEnrichment(): Enrichment {
  return {
    labels: {},
    annotations: {},
    owners: [],
    workload: null,
    node: null,
    pod: null,
    services: [],
    errors: [],
  };
}

/** A record some stage gave up on, with why: what the dead-letter destination receives (`k8stream.deadletter/v1`). */
export interface DeadLetterRecord {
  schema: 'k8stream.deadletter/v1';
  id: string;
  time: string;
  stage: 'sink' | 'transform' | 'source';
  /** Sink or transform name. */
  component: string;
  error: { code: string; message: string };
  /** The original record (or raw input for source failures). */
  record: unknown;
}
