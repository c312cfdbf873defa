/**
 * The SQL side of a timeline: the records about the subject, read from the DuckDB view `events`
 * (the window's `k8stream.event/v1` records, deduplicated, with `time`) in three queries, each
 * one pass over `events` plus a small join:
 *
 *   1. `podRows`: every record of the pods behind the subject (a service's pods, a workload's
 *      pods, the pods that ran on a node);
 *   2. `objectRows`: records of the other objects the pods lead to (owners, workloads, nodes,
 *      the Service with its Endpoints/EndpointSlices);
 *   3. `watchGaps`: every `WatchGap` marker of the window with the latest record before it.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Subject } from '../types.js';

/** One record as the timeline needs it. Times are milliseconds since the epoch. */
export interface TimelineRow {
  id: string;
  uid: string;
  /** `time`: lastTimestamp, else eventTime, else firstTimestamp. */
  timeMs: number;
  /** firstTimestamp, else eventTime, else `time`. */
  firstMs: number;
  type: string;
  reason: string;
  message: string;
  count: number;
  /** The involved object. */
  kind: string;
  namespace: string;
  name: string;
  /** `enrichment.workload` (kind and name; same namespace as the object), or null. */
  workload: { kind: string; name: string } | null;
  /** `enrichment.owners`, from the direct owner up. */
  owners: { kind: string; name: string }[];
  /** The node: `enrichment.node.name`, else `source.host`; null when neither is set. */
  node: string | null;
}

/** A `WatchGap` marker and the latest record strictly before it (null: none in the window). */
export interface MarkerRow {
  id: string;
  timeMs: number;
  message: string;
  previousMs: number | null;
}

/** What to fetch besides the pods: objects by `Kind/namespace/name`, nodes by name. */
export interface ObjectQuery {
  /** Exact objects (`Deployment/shop/web`, `Service/shop/web`). */
  objects: string[];
  /** Node names. */
  nodes: string[];
  /** Workloads (`Deployment/shop/web`): non-pod objects whose owner chain or workload names one (a ReplicaSet without pods). */
  under: string[];
  /** A service's EndpointSlices: `namespace` and the service name they are named after (`NAME-xxxxx`). */
  slicesOf?: { namespace: string; name: string };
}

const COLUMNS = `id, uid, epoch_ms("time") AS t, epoch_ms(coalesce(firstTimestamp, eventTime, "time")) AS ft, "type", reason, message, "count",
  involvedObject.kind AS okind, involvedObject.namespace AS ons, involvedObject.name AS oname,
  enrichment.workload.kind AS wkind, enrichment.workload.name AS wname,
  list_transform(enrichment.owners, lambda o: {'kind': o.kind, 'name': o.name}) AS owners,
  coalesce(nullif(enrichment.node.name, ''), nullif("source".host, '')) AS node`;

/** `Kind/namespace/name` of the involved object, in SQL. */
const OBJECT_KEY = `involvedObject.kind || '/' || involvedObject.namespace || '/' || involvedObject.name`;

const IS_MARKER = `(reason = 'WatchGap' AND involvedObject.kind = 'K8stream')`;

/** Which pods a subject covers, as a predicate over Pod records (named parameters). */
function podPredicate(subject: Subject): { where: string; params: Record<string, DuckDBValue> } {
  switch (subject.kind) {
    case 'service':
      return {
        where: `involvedObject.namespace = $ns AND len(list_filter(enrichment.services, lambda s: s.namespace = $ns AND s.name = $name)) > 0`,
        params: { ns: subject.namespace, name: subject.name },
      };
    case 'workload':
      return {
        where: `involvedObject.namespace = $ns AND ((enrichment.workload.kind = $kind AND enrichment.workload.name = $name)
          OR len(list_filter(enrichment.owners, lambda o: o.kind = $kind AND o.name = $name)) > 0)`,
        params: { ns: subject.namespace, kind: subject.workloadKind, name: subject.name },
      };
    case 'node':
      return { where: `coalesce(nullif(enrichment.node.name, ''), nullif("source".host, '')) = $node`, params: { node: subject.name } };
  }
}

/** Every record of the pods the subject covers (all of a pod's records, once one of them matches). */
export async function podRows(connection: DuckDBConnection, subject: Subject): Promise<TimelineRow[]> {
  const { where, params } = podPredicate(subject);
  const sql = `WITH pods AS (SELECT DISTINCT involvedObject.namespace AS ns, involvedObject.name AS name FROM events WHERE involvedObject.kind = 'Pod' AND ${where})
    SELECT ${COLUMNS} FROM events SEMI JOIN pods ON involvedObject.namespace = pods.ns AND involvedObject.name = pods.name
    WHERE involvedObject.kind = 'Pod'`;
  return rows(connection, sql, params);
}

/** Records of the objects named by `query` (never Pods, never WatchGap markers). */
export async function objectRows(connection: DuckDBConnection, query: ObjectQuery): Promise<TimelineRow[]> {
  // Lists travel as JSON text: an empty JS list has no DuckDB item type to bind.
  const keys = (values: string[]) => JSON.stringify(values);
  const clauses = [
    `(involvedObject.kind <> 'Node' AND list_contains(from_json($objects, '["VARCHAR"]'), ${OBJECT_KEY}))`,
    `(involvedObject.kind = 'Node' AND list_contains(from_json($nodes, '["VARCHAR"]'), involvedObject.name))`,
    `(involvedObject.kind <> 'Node' AND len(from_json($under, '["VARCHAR"]')) > 0 AND (
       list_contains(from_json($under, '["VARCHAR"]'), enrichment.workload.kind || '/' || involvedObject.namespace || '/' || enrichment.workload.name)
       OR list_has_any(from_json($under, '["VARCHAR"]'), list_transform(enrichment.owners, lambda o: o.kind || '/' || involvedObject.namespace || '/' || o.name))))`,
  ];
  const params: Record<string, DuckDBValue> = { objects: keys(query.objects), nodes: keys(query.nodes), under: keys(query.under) };
  if (query.slicesOf) {
    clauses.push(`(involvedObject.kind = 'EndpointSlice' AND involvedObject.namespace = $sliceNs AND regexp_full_match(involvedObject.name, $slicePattern))`);
    params['sliceNs'] = query.slicesOf.namespace;
    params['slicePattern'] = `${escapeRegex(query.slicesOf.name)}-[a-z0-9]{5}`;
  }
  const sql = `SELECT ${COLUMNS} FROM events WHERE involvedObject.kind <> 'Pod' AND NOT ${IS_MARKER} AND (${clauses.join(' OR ')})`;
  return rows(connection, sql, params);
}

/** Every WatchGap marker of the window, in time order, with the latest record (any) strictly before it. */
export async function watchGaps(connection: DuckDBConnection): Promise<MarkerRow[]> {
  const reader = await connection.runAndReadAll(
    `WITH markers AS (SELECT id, "time", message FROM events WHERE ${IS_MARKER})
     SELECT m.id, epoch_ms(m."time") AS t, m.message, epoch_ms(max(e."time")) AS prev
     FROM markers m LEFT JOIN events e ON e."time" < m."time"
     GROUP BY m.id, m."time", m.message ORDER BY m."time", m.id`,
  );
  return reader.getRowObjectsJson().map((r) => ({
    id: String(r['id']),
    timeMs: Number(r['t']),
    message: String(r['message'] ?? ''),
    previousMs: r['prev'] === null ? null : Number(r['prev']),
  }));
}

async function rows(connection: DuckDBConnection, sql: string, params: Record<string, DuckDBValue>): Promise<TimelineRow[]> {
  const reader = await connection.runAndReadAll(sql, params);
  return reader.getRowObjectsJson().map(toRow);
}

function toRow(r: Record<string, unknown>): TimelineRow {
  const owners = Array.isArray(r['owners']) ? (r['owners'] as { kind: unknown; name: unknown }[]) : [];
  return {
    id: String(r['id']),
    uid: String(r['uid'] ?? ''),
    timeMs: Number(r['t']),
    firstMs: Number(r['ft']),
    type: String(r['type'] ?? ''),
    reason: String(r['reason'] ?? ''),
    message: String(r['message'] ?? ''),
    count: Number(r['count'] ?? 1) || 1,
    kind: String(r['okind'] ?? ''),
    namespace: String(r['ons'] ?? ''),
    name: String(r['oname'] ?? ''),
    workload: typeof r['wkind'] === 'string' && r['wkind'] !== '' ? { kind: r['wkind'], name: String(r['wname'] ?? '') } : null,
    owners: owners.filter((o) => o && typeof o.kind === 'string').map((o) => ({ kind: String(o.kind), name: String(o.name) })),
    node: typeof r['node'] === 'string' ? r['node'] : null,
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Names of the window like the subject's, for a timeline that found nothing (a typo, the wrong
 * namespace): the same name in another namespace first, then by edit distance. At most 5,
 * written as the option takes them (`shop/web`, `deployment/shop/web`, `node-1`).
 */
export async function similarNames(connection: DuckDBConnection, subject: Subject): Promise<string[]> {
  const candidates =
    subject.kind === 'service'
      ? `SELECT s.namespace || '/' || s.name AS n FROM (SELECT unnest(enrichment.services) AS s FROM events)
         UNION SELECT involvedObject.namespace || '/' || involvedObject.name FROM events WHERE involvedObject.kind = 'Service'`
      : subject.kind === 'workload'
        ? `SELECT involvedObject.namespace || '/' || involvedObject.name AS n FROM events WHERE involvedObject.kind = $kind
           UNION SELECT involvedObject.namespace || '/' || enrichment.workload.name FROM events WHERE enrichment.workload.kind = $kind`
        : `SELECT involvedObject.name AS n FROM events WHERE involvedObject.kind = 'Node'
           UNION SELECT enrichment.node.name FROM events UNION SELECT "source".host FROM events`;
  const target = subject.kind === 'node' ? subject.name : `${subject.namespace}/${subject.name}`;
  const name = subject.name;
  const reader = await connection.runAndReadAll(
    `WITH names AS (${candidates})
     SELECT n FROM names
     WHERE n IS NOT NULL AND n <> '' AND n <> $target
       AND (split_part(n, '/', 2) = $name OR levenshtein(n, $target) <= greatest(2, length($target) // 3) OR contains(n, $name))
     ORDER BY split_part(n, '/', 2) = $name DESC, levenshtein(n, $target), n LIMIT 5`,
    { target, name, ...(subject.kind === 'workload' ? { kind: subject.workloadKind } : {}) },
  );
  const prefix = subject.kind === 'workload' ? `${subject.workloadKind.toLowerCase()}/` : '';
  return reader.getRowObjectsJson().map((r) => prefix + String(r['n']));
}
