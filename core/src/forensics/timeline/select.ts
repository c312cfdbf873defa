/**
 * The SQL side of a timeline. `events` is a view over the archive's batch files: every query of
 * it reads them all again, so the subject's candidate records are read once into a temporary
 * table (`stageRows`: the subject's namespace, every Node record and the WatchGap markers — for a
 * node, the pods that ran on it), and the rest runs on that table:
 *
 *   - `podRows`: every record of the pods behind the subject (a service's pods, a workload's
 *     pods, the pods that ran on a node);
 *   - `objectRows`: records of the other objects the pods lead to (owners, workloads, nodes, the
 *     Service with its Endpoints/EndpointSlices);
 *   - `watchGaps`: the WatchGap markers, with the latest record of the window before each (one
 *     more read of `events`, of its timestamps only, and only when there are markers).
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { Prefetch } from '../engine/index.js';
import type { Subject } from '../types.js';

/** One record as the timeline needs it. Times are milliseconds since the epoch. */
export interface TimelineRow {
  id: string;
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
  /** `enrichment.workload` (same namespace as the object), or null; null on pod rows (see PodSummary). */
  workload: OwnerName | null;
  /** `enrichment.owners`, from the direct owner up; empty on pod rows (see PodSummary). */
  owners: OwnerName[];
}

/** An owner or workload, by kind and name (the namespace is the object's). */
export interface OwnerName {
  kind: string;
  name: string;
}

/** What a pod's records say about it: its owner chain, its workload, the nodes it ran on. */
export interface PodSummary {
  namespace: string;
  name: string;
  /** The longest owner chain any of its records carries (the latest on a tie: an early lookup may have failed). */
  chain: OwnerName[];
  /** The latest workload its records name, or null. */
  workload: OwnerName | null;
  /** `enrichment.node.name`, else `source.host`, of its records. */
  nodes: string[];
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

/** The staged candidate records of one timeline: a temporary table, dropped by `drop()`. */
export interface StagedRows {
  connection: DuckDBConnection;
  table: string;
  drop(): Promise<void>;
}

let tables = 0;

const IS_MARKER = `(reason = 'WatchGap' AND involvedObject.kind = 'K8stream')`;
/** The node a record places its pod on: enrichment first, then the reporting kubelet's host. */
const NODE_OF = `coalesce(nullif(enrichment.node.name, ''), nullif("source".host, ''))`;

/**
 * The columns kept, computed from the record's fields; owners and workload as `Kind/name` text
 * (names and kinds hold no `/` or `,`). `hit`: a Pod record that puts its pod on the timeline.
 */
function stagedColumns(hit: string): string {
  return `id, "time", epoch_ms("time")::DOUBLE AS t, epoch_ms(coalesce(firstTimestamp, eventTime, "time"))::DOUBLE AS ft, "type", reason, message, "count"::DOUBLE AS n,
    involvedObject.kind AS okind, involvedObject.namespace AS ons, involvedObject.name AS oname,
    enrichment.workload.kind || '/' || enrichment.workload.name AS w,
    array_to_string(list_transform(enrichment.owners, lambda o: o.kind || '/' || o.name), ',') AS owners,
    len(enrichment.owners) AS depth,
    ${NODE_OF} AS node, ${IS_MARKER} AS marker, (involvedObject.kind = 'Pod' AND ${hit}) AS hit`;
}

/** What to keep of `events` for a subject (named parameters). */
function candidates(subject: Subject): { hit: string; where: string; params: Record<string, DuckDBValue> } {
  const around = `involvedObject.namespace = $ns OR involvedObject.kind = 'Node' OR ${IS_MARKER}`;
  switch (subject.kind) {
    case 'service':
      return {
        hit: `coalesce(len(list_filter(enrichment.services, lambda s: s.namespace = $ns AND s.name = $name)) > 0, false)`,
        where: around,
        params: { ns: subject.namespace, name: subject.name },
      };
    case 'workload':
      return {
        hit: `coalesce((enrichment.workload.kind = $kind AND enrichment.workload.name = $name)
          OR len(list_filter(enrichment.owners, lambda o: o.kind = $kind AND o.name = $name)) > 0, false)`,
        where: around,
        params: { ns: subject.namespace, kind: subject.workloadKind, name: subject.name },
      };
    case 'node':
      // Two reads: which pods ran on the node, then all of their records.
      return {
        hit: 'true',
        where: `(involvedObject.kind = 'Pod' AND involvedObject.namespace || '/' || involvedObject.name IN (
            SELECT DISTINCT involvedObject.namespace || '/' || involvedObject.name FROM events WHERE involvedObject.kind = 'Pod' AND ${NODE_OF} = $node))
          OR (involvedObject.kind = 'Node' AND involvedObject.name = $node) OR ${IS_MARKER}`,
        params: { node: subject.name },
      };
  }
}

/**
 * The staging read as an engine prefetch (done by the read that counts: one read of the archive
 * instead of two), or null for a node (its candidates read `events` itself).
 */
export function stagePrefetch(subject: Subject): Prefetch | null {
  if (subject.kind === 'node') return null;
  const { hit, where, params } = candidates(subject);
  return { table: `timeline_rows_${++tables}`, select: stagedColumns(hit), where, params };
}

/** Reads the subject's candidate records of `events` into a temporary table (or takes the one `prefetched` filled). */
export async function stageRows(connection: DuckDBConnection, subject: Subject, prefetched?: string): Promise<StagedRows> {
  const drop = (table: string) => async () => void (await connection.run(`DROP TABLE IF EXISTS ${table}`));
  if (prefetched !== undefined) return { connection, table: prefetched, drop: drop(prefetched) };
  const table = `timeline_rows_${++tables}`;
  const { hit, where, params } = candidates(subject);
  await connection.run(`CREATE TEMP TABLE ${table} AS SELECT ${stagedColumns(hit)} FROM events WHERE ${where}`, params);
  return { connection, table, drop: async () => void (await connection.run(`DROP TABLE IF EXISTS ${table}`)) };
}

const ROW_COLUMNS = 'id, t, ft, "type", reason, message, n, okind, ons, oname, w, owners';
/** A pod's owners come from its summary: its rows leave them out (tens of thousands of rows to convert). */
const POD_ROW_COLUMNS = 'id, t, ft, "type", reason, message, n, okind, ons, oname, NULL AS w, NULL AS owners';

/** The pods the subject covers, each summed up from all of its records. */
export async function podSummaries(rows: StagedRows): Promise<PodSummary[]> {
  const reader = await rows.connection.runAndReadAll(
    `SELECT ons, oname, arg_max(owners, (depth, t)) AS chain, arg_max(w, t) FILTER (WHERE w IS NOT NULL) AS w, list(DISTINCT node) FILTER (WHERE node IS NOT NULL) AS nodes
     FROM ${rows.table} SEMI JOIN (SELECT DISTINCT ons AS pns, oname AS pname FROM ${rows.table} WHERE hit) ON ons = pns AND oname = pname
     WHERE okind = 'Pod' GROUP BY ons, oname ORDER BY ons, oname`,
  );
  return reader.getRowObjectsJson().map((r) => ({
    namespace: String(r['ons']),
    name: String(r['oname']),
    chain: ownerList(r['chain']),
    workload: ownerName(r['w']),
    nodes: Array.isArray(r['nodes']) ? (r['nodes'] as unknown[]).map(String).sort() : [],
  }));
}

/** Every record of the pods the subject covers (all of a pod's records, once one of them puts it there). */
export async function podRows(rows: StagedRows): Promise<TimelineRow[]> {
  return read(
    rows.connection,
    `SELECT ${POD_ROW_COLUMNS} FROM ${rows.table} SEMI JOIN (SELECT DISTINCT ons AS pns, oname AS pname FROM ${rows.table} WHERE hit) ON ons = pns AND oname = pname
     WHERE okind = 'Pod'`,
    {},
  );
}

/** Records of the objects named by `query` (never Pods, never WatchGap markers). */
export async function objectRows(rows: StagedRows, query: ObjectQuery): Promise<TimelineRow[]> {
  // Lists travel as JSON text: an empty JS list has no DuckDB item type to bind.
  const list = (name: string) => `from_json($${name}, '["VARCHAR"]')`;
  const clauses = [
    `(okind <> 'Node' AND list_contains(${list('objects')}, okind || '/' || ons || '/' || oname))`,
    `(okind = 'Node' AND list_contains(${list('nodes')}, oname))`,
    // `Kind/name` → `Kind/namespace/name`: the first slash only (regexp_replace without 'g').
    `(okind <> 'Node' AND (list_contains(${list('under')}, regexp_replace(w, '/', '/' || ons || '/'))
       OR list_has_any(${list('under')}, list_transform(string_split(owners, ','), lambda o: regexp_replace(o, '/', '/' || ons || '/')))))`,
  ];
  const params: Record<string, DuckDBValue> = { objects: JSON.stringify(query.objects), nodes: JSON.stringify(query.nodes), under: JSON.stringify(query.under) };
  if (query.slicesOf) {
    clauses.push(`(okind = 'EndpointSlice' AND ons = $sliceNs AND regexp_full_match(oname, $slicePattern))`);
    params['sliceNs'] = query.slicesOf.namespace;
    params['slicePattern'] = `${escapeRegex(query.slicesOf.name)}-[a-z0-9]{5}`;
  }
  return read(rows.connection, `SELECT ${ROW_COLUMNS} FROM ${rows.table} WHERE okind <> 'Pod' AND NOT marker AND (${clauses.join(' OR ')})`, params);
}

/** Every WatchGap marker of the window, in time order, with the latest record (any) strictly before it. */
export async function watchGaps(rows: StagedRows): Promise<MarkerRow[]> {
  const { connection, table } = rows;
  const markers = await connection.runAndReadAll(`SELECT count(*) AS n FROM ${table} WHERE marker`);
  if (Number(markers.getRowObjectsJson()[0]?.['n'] ?? 0) === 0) return [];
  const reader = await connection.runAndReadAll(
    `WITH markers AS (SELECT id, "time", t, message FROM ${table} WHERE marker)
     SELECT m.id, m.t, m.message, epoch_ms(max(e."time")) AS prev
     FROM markers m LEFT JOIN (SELECT "time" FROM events) e ON e."time" < m."time"
     GROUP BY m.id, m.t, m.message ORDER BY m.t, m.id`,
  );
  return reader.getRowObjectsJson().map((r) => ({
    id: String(r['id']),
    timeMs: Number(r['t']),
    message: String(r['message'] ?? ''),
    previousMs: r['prev'] === null ? null : Number(r['prev']),
  }));
}

async function read(connection: DuckDBConnection, sql: string, params: Record<string, DuckDBValue>): Promise<TimelineRow[]> {
  const reader = await connection.runAndReadAll(sql, params);
  // Column by column: plain strings and numbers, no per-row object conversion (tens of thousands of rows).
  const [id, t, ft, type, reason, message, n, okind, ons, oname, w, owners] = reader.getColumns() as unknown[][];
  const out: TimelineRow[] = new Array<TimelineRow>(reader.currentRowCount);
  for (let i = 0; i < out.length; i++) {
    out[i] = {
      id: String(id![i]),
      timeMs: t![i] as number,
      firstMs: (ft![i] as number | null) ?? (t![i] as number),
      type: str(type![i]),
      reason: str(reason![i]),
      message: str(message![i]),
      count: (n![i] as number | null) || 1,
      kind: str(okind![i]),
      namespace: str(ons![i]),
      name: str(oname![i]),
      workload: ownerName(w![i]),
      owners: ownerList(owners![i]),
    };
  }
  return out;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** `Kind/name` → an owner; null for NULL or empty. */
function ownerName(v: unknown): OwnerName | null {
  if (typeof v !== 'string' || v === '') return null;
  const slash = v.indexOf('/');
  return slash > 0 ? { kind: v.slice(0, slash), name: v.slice(slash + 1) } : null;
}

/** `Kind/name,Kind/name` → owners. */
function ownerList(v: unknown): OwnerName[] {
  if (typeof v !== 'string' || v === '') return [];
  return v.split(',').flatMap((o) => ownerName(o) ?? []);
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
