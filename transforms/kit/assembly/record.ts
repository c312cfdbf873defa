/**
 * The `k8stream.event/v1` record as typed AssemblyScript classes (json-as). Mirrors
 * `core/src/record/types.ts` and `core/schema/event.v1.schema.json`, fields in the same order,
 * so a decoded and re-encoded record is byte-identical to what the core produced.
 *
 * Fields a later v1 adds are unknown to this kit version and dropped by `replace`/`fanOut`;
 * `keep()` passes the input through untouched.
 */
import { JSON } from "json-as";

/** The schema string of every v1 record. */
export const RECORD_SCHEMA = "k8stream.event/v1";

/** The object the event is about. */
@json
export class InvolvedObject {
  kind: string = "";
  name: string = "";
  namespace: string = "";
  uid: string = "";
  apiVersion: string = "";
  fieldPath: string = "";
}

/** An events-API series: the event recurred `count` times, the last at `lastObservedTime`. */
@json
export class EventSeries {
  count: i64 = 0;
  /** ISO-8601 UTC, or null. */
  lastObservedTime: string | null = null;
}

/** Reporting component and host. */
@json
export class EventSource {
  component: string = "";
  host: string = "";
}

/** One link of the owner chain (and the top workload). */
@json
export class OwnerRef {
  kind: string = "";
  name: string = "";
  uid: string = "";
  apiVersion: string = "";
}

/** A node address (InternalIP, ExternalIP, Hostname, …). */
@json
export class NodeAddress {
  type: string = "";
  address: string = "";
}

/** The node the object runs on. */
@json
export class NodeInfo {
  name: string = "";
  addresses: NodeAddress[] = [];
}

/** Pod status for pod events. */
@json
export class PodInfo {
  ip: string = "";
  hostIP: string = "";
  phase: string = "";
  startTime: string | null = null;
}

/** A service whose selector matches the pod. */
@json
export class ServiceRef {
  name: string = "";
  namespace: string = "";
}

/** A lookup that failed while enriching (the event is still delivered). */
@json
export class EnrichmentError {
  lookup: string = "";
  message: string = "";
}

/** Context looked up by k8stream. */
@json
export class Enrichment {
  /** Labels of the involved object (insertion order is kept on output). */
  labels: Map<string, string> = new Map<string, string>();
  /** Annotations of the involved object. */
  annotations: Map<string, string> = new Map<string, string>();
  /** Owner chain from the direct owner up to the top workload. */
  owners: OwnerRef[] = [];
  /** The top workload (Deployment, StatefulSet, DaemonSet, Job, CronJob), if any. */
  workload: OwnerRef | null = null;
  node: NodeInfo | null = null;
  pod: PodInfo | null = null;
  /** Services whose selectors match the pod. */
  services: ServiceRef[] = [];
  /** Lookups that failed. */
  errors: EnrichmentError[] = [];
}

/** One Kubernetes Event as k8stream delivers it (`k8stream.event/v1`). */
@json
export class EventRecord {
  schema: string = RECORD_SCHEMA;
  /** Deterministic `<uid>:<resourceVersion>`. */
  id: string = "";
  cluster: string = "";
  uid: string = "";
  resourceVersion: string = "";
  /** ISO-8601 UTC timestamps, or null. */
  firstTimestamp: string | null = null;
  lastTimestamp: string | null = null;
  eventTime: string | null = null;
  count: i64 = 1;
  /** Normal or Warning. */
  type: string = "";
  reason: string = "";
  /** May span lines. */
  message: string = "";
  /** ADDED, MODIFIED, DELETED or SYNC. */
  action: string = "";
  namespace: string = "";
  involvedObject: InvolvedObject = new InvolvedObject();
  source: EventSource = new EventSource();
  reportingController: string = "";
  reportingInstance: string = "";
  apiVersion: string = "";
  /** The Event's own action (Binding, Scheduling, …); "" when absent. Not the watch verb (`action`). */
  eventAction: string = "";
  /** A second object the event is about, or null. */
  related: InvolvedObject | null = null;
  /** The Event's series, or null. */
  series: EventSeries | null = null;
  enrichment: Enrichment = new Enrichment();

  /** A deep copy (for fan-out). */
  clone(): EventRecord {
    return JSON.parse<EventRecord>(JSON.stringify<EventRecord>(this));
  }

  /** The time the event is about: lastTimestamp, else eventTime, else firstTimestamp. */
  time(): string | null {
    const last = this.lastTimestamp;
    if (last !== null) return last;
    const ev = this.eventTime;
    if (ev !== null) return ev;
    return this.firstTimestamp;
  }

  /** The label `key` of the involved object, or null. */
  label(key: string): string | null {
    const labels = this.enrichment.labels;
    return labels.has(key) ? labels.get(key) : null;
  }

  /** The annotation `key` of the involved object, or null. */
  annotation(key: string): string | null {
    const annotations = this.enrichment.annotations;
    return annotations.has(key) ? annotations.get(key) : null;
  }
}
