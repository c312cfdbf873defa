/**
 * Maps a raw Kubernetes Event (`core/v1`, or the events API `events.k8s.io/v1` or `/v1beta1`,
 * plain JSON or client-node objects with `Date` timestamps) to the `k8stream.event/v1` record. Pure: no IO, no clock.
 *
 * Rule for bad input: a field that is absent or `null` gets its default; a field present with
 * the wrong type makes the whole event invalid (`EVENT_INVALID`, naming the field), so the
 * pipeline can dead-letter it instead of delivering a half-guessed record.
 */
import { K8streamError } from '../errors.js';
import { latestTimestamp, normalizeTimestamp } from './timestamp.js';
import { RECORD_SCHEMA, emptyEnrichment } from './types.js';
import type { EventAction, EventRecord, EventSeries, InvolvedObject } from './types.js';

export { normalizeTimestamp } from './timestamp.js';

/** What the caller knows that the event itself does not carry. */
export interface RecordContext {
  /** Cluster name from the config (`cluster`). */
  cluster: string;
  /** Watch action (or `SYNC` for the initial list). */
  action: EventAction;
}

type Obj = Record<string, unknown>;

/** The events API group: `events.k8s.io/v1` and `/v1beta1` share their field names. */
const EVENTS_API_GROUP = 'events.k8s.io/';
/** The apiVersion recorded for an events-API event that does not declare one. */
const EVENTS_API = 'events.k8s.io/v1';

/**
 * Builds the record for one raw Event. `id` is `${metadata.uid}:${metadata.resourceVersion}`,
 * so the same version of the same event always gets the same id (retries and replays are
 * idempotent). Timestamps become ISO-8601 UTC strings with millisecond precision.
 *
 * @throws K8streamError `EVENT_INVALID` when `raw` is not an object, `metadata.uid` or
 *   `metadata.resourceVersion` is missing, or a field has the wrong type.
 */
export function toRecord(raw: unknown, ctx: RecordContext): EventRecord {
  if (!isObj(raw)) {
    throw invalid('', `expected an Event object, got ${describe(raw)}`);
  }
  const r = new Reader(raw);
  const uid = r.str(P.uid);
  if (uid === '') throw invalid('metadata.uid', 'is required (the record id is built from it)');
  const resourceVersion = r.str(P.resourceVersion);
  if (resourceVersion === '') {
    throw invalid('metadata.resourceVersion', 'is required (the record id is built from it)', uid);
  }

  // The events API (events.k8s.io/v1, v1beta1) renames most fields; `regarding` or `note` give it away when apiVersion is absent.
  const declared = r.str(P.apiVersion);
  const isEventsApi = declared.startsWith(EVENTS_API_GROUP) || (declared === '' && (r.has(P.regarding) || r.has(P.note)));
  const apiVersion = declared !== '' ? declared : isEventsApi ? EVENTS_API : 'v1';
  const f = isEventsApi ? EVENTS_V1 : CORE_V1;

  const involvedObject = r.object(f.object);
  const related = r.has(P.relatedObject) ? r.object(P.related) : null;

  const eventTime = r.time(P.eventTime);
  const created = r.time(P.creationTimestamp);
  const observed = r.time(P.seriesLastObserved);
  const first = r.time(f.firstTimestamp);
  const last = r.time(f.lastTimestamp);
  const series: EventSeries | null = r.has(P.series) ? { count: r.int(P.seriesCount) ?? 0, lastObservedTime: observed } : null;

  let count = 1;
  for (const path of COUNT_PATHS) {
    const c = r.int(path);
    if (c !== null && c > count) count = c;
  }

  return {
    schema: RECORD_SCHEMA,
    id: `${uid}:${resourceVersion}`,
    cluster: ctx.cluster,
    uid,
    resourceVersion,
    firstTimestamp: first ?? eventTime ?? created,
    // The latest occurrence: a stale (deprecated)lastTimestamp must not hide a later series observation.
    lastTimestamp: latestTimestamp(last, observed, eventTime, first) ?? created,
    eventTime,
    count,
    type: r.str(P.type),
    reason: r.str(P.reason),
    message: r.str(f.message),
    action: ctx.action,
    namespace: r.str(P.namespace) || involvedObject.namespace,
    involvedObject,
    source: { component: r.str(f.sourceComponent), host: r.str(f.sourceHost) },
    reportingController: r.str(f.reportingController),
    reportingInstance: r.str(P.reportingInstance),
    apiVersion,
    eventAction: r.str(P.action),
    related,
    series,
    enrichment: emptyEnrichment(),
  };
}

/** A field path, split once at load (`metadata.uid` → ["metadata", "uid"]). */
type Path = readonly string[];
const path = (dotted: string): Path => Object.freeze(dotted.split('.'));

/** Paths both Event APIs share. */
const P = {
  uid: path('metadata.uid'),
  resourceVersion: path('metadata.resourceVersion'),
  namespace: path('metadata.namespace'),
  creationTimestamp: path('metadata.creationTimestamp'),
  apiVersion: path('apiVersion'),
  eventTime: path('eventTime'),
  series: path('series'),
  seriesCount: path('series.count'),
  seriesLastObserved: path('series.lastObservedTime'),
  action: path('action'),
  relatedObject: path('related'),
  related: objectPaths('related'),
  type: path('type'),
  reason: path('reason'),
  reportingInstance: path('reportingInstance'),
  regarding: path('regarding'),
  note: path('note'),
};

/** Paths of an object reference (involvedObject, regarding, related). */
function objectPaths(object: string) {
  return {
    kind: path(`${object}.kind`),
    name: path(`${object}.name`),
    namespace: path(`${object}.namespace`),
    uid: path(`${object}.uid`),
    apiVersion: path(`${object}.apiVersion`),
    fieldPath: path(`${object}.fieldPath`),
  };
}
type ObjectPaths = ReturnType<typeof objectPaths>;

/** Paths whose names differ between core/v1 and the events API. */
function apiPaths(object: string, source: string, firstTimestamp: string, lastTimestamp: string, message: string, reportingController: string) {
  return {
    object: objectPaths(object),
    sourceComponent: path(`${source}.component`),
    sourceHost: path(`${source}.host`),
    firstTimestamp: path(firstTimestamp),
    lastTimestamp: path(lastTimestamp),
    message: path(message),
    reportingController: path(reportingController),
  };
}
const CORE_V1 = apiPaths('involvedObject', 'source', 'firstTimestamp', 'lastTimestamp', 'message', 'reportingComponent');
const EVENTS_V1 = apiPaths('regarding', 'deprecatedSource', 'deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'note', 'reportingController');
/** Occurrence counts in either API; the record's count is the largest (at least 1). */
const COUNT_PATHS: readonly Path[] = [path('count'), path('series.count'), path('deprecatedCount')];

/** The time an event is "about": its latest occurrence, else when it happened, else when first seen. */
export function recordTimestamp(rec: EventRecord): string | null {
  return rec.lastTimestamp ?? rec.eventTime ?? rec.firstTimestamp;
}

/** Typed, path-aware access into the raw event; every wrong type becomes EVENT_INVALID. */
class Reader {
  constructor(private readonly raw: Obj) {}

  has(path: Path): boolean {
    const v = this.get(path);
    return v !== undefined && v !== null;
  }

  str(path: Path): string {
    const v = this.get(path);
    if (typeof v === 'string') return v;
    if (v === undefined || v === null) return '';
    throw this.wrong(path, 'a string', v);
  }

  /** An object reference (every field a string, absent ones ''). */
  object(o: ObjectPaths): InvolvedObject {
    return {
      kind: this.str(o.kind),
      name: this.str(o.name),
      namespace: this.str(o.namespace),
      uid: this.str(o.uid),
      apiVersion: this.str(o.apiVersion),
      fieldPath: this.str(o.fieldPath),
    };
  }

  int(path: Path): number | null {
    const v = this.get(path);
    if (v === undefined || v === null) return null;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.wrong(path, 'a number', v);
    return Math.trunc(v);
  }

  time(path: Path): string | null {
    const v = this.get(path);
    if (v === undefined || v === null || v === '') return null;
    const iso = normalizeTimestamp(v);
    if (iso === null) throw this.wrong(path, 'an RFC 3339 timestamp', v);
    return iso;
  }

  private get(path: Path): unknown {
    let cur: unknown = this.raw;
    for (let i = 0; i < path.length; i++) {
      if (cur === undefined || cur === null) return undefined;
      if (!isObj(cur)) throw this.wrong(path.slice(0, i), 'an object', cur);
      cur = cur[path[i]!];
    }
    return cur;
  }

  private wrong(path: Path, expected: string, got: unknown): K8streamError {
    const uid = (this.raw['metadata'] as Obj | undefined)?.['uid'];
    return invalid(path.join('.'), `expected ${expected}, got ${describe(got)}`, typeof uid === 'string' ? uid : undefined);
  }
}

function invalid(field: string, problem: string, uid?: string): K8streamError {
  const where = field === '' ? 'Kubernetes Event' : `Kubernetes Event field ${field}`;
  const which = uid ? ` (event uid ${uid})` : '';
  return new K8streamError('EVENT_INVALID', `${where}: ${problem}${which}`, {
    ...(field === '' ? {} : { path: field }),
    hint: 'the event is sent to the dead-letter destination; the stream goes on',
  });
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** Short description of a value for error messages (type and a short preview, never whole objects). */
function describe(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? 'an invalid Date' : 'a Date';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v);
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}
