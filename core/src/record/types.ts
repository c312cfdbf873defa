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
  /** events.k8s.io/v1 `note`/series/related are folded into message/count; `apiVersion` tells where it came from. */
  apiVersion: string;
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
