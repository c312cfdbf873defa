/**
 * The columns of the `events` view that `k8stream query` (and the timeline) read: exactly the
 * fields of a `k8stream.event/v1` record (core/src/record/types.ts), typed, plus `time`.
 *
 * | column                | DuckDB type |
 * | --------------------- | ----------- |
 * | `schema`              | VARCHAR (always `k8stream.event/v1`) |
 * | `id`                  | VARCHAR (`uid:resourceVersion`; one row per id) |
 * | `cluster`             | VARCHAR |
 * | `uid`                 | VARCHAR |
 * | `resourceVersion`     | VARCHAR |
 * | `firstTimestamp`      | TIMESTAMPTZ |
 * | `lastTimestamp`       | TIMESTAMPTZ |
 * | `eventTime`           | TIMESTAMPTZ |
 * | `count`               | BIGINT |
 * | `type`                | VARCHAR (`Normal`, `Warning`, or `WatchGap` markers) |
 * | `reason`              | VARCHAR |
 * | `message`             | VARCHAR |
 * | `action`              | VARCHAR (the watch verb: `ADDED`, `MODIFIED`, `DELETED`, `SYNC`) |
 * | `namespace`           | VARCHAR |
 * | `involvedObject`      | STRUCT(kind, name, namespace, uid, apiVersion, fieldPath VARCHAR) |
 * | `source`              | STRUCT(component, host VARCHAR) |
 * | `reportingController` | VARCHAR |
 * | `reportingInstance`   | VARCHAR |
 * | `apiVersion`          | VARCHAR |
 * | `eventAction`         | VARCHAR (NULL in records archived before the field existed) |
 * | `related`             | STRUCT like `involvedObject`, or NULL |
 * | `series`              | STRUCT(count BIGINT, lastObservedTime TIMESTAMPTZ), or NULL |
 * | `enrichment`          | STRUCT( labels MAP(VARCHAR, VARCHAR), annotations MAP(VARCHAR, VARCHAR), owners STRUCT(kind, name, uid, apiVersion VARCHAR)[], workload STRUCT(kind, name, uid, apiVersion VARCHAR) or NULL, node STRUCT(name VARCHAR, addresses STRUCT(type, address VARCHAR)[]) or NULL, pod STRUCT(ip, hostIP, phase VARCHAR, startTime TIMESTAMPTZ) or NULL, services STRUCT(name, namespace VARCHAR)[], errors STRUCT(lookup, message VARCHAR)[] ) |
 * | `time`                | TIMESTAMPTZ: `coalesce(lastTimestamp, eventTime, firstTimestamp)`, the event's time; every row's is inside the window |
 *
 * Examples: `enrichment.workload.name`, `list_contains(enrichment.services, {'name': 'web',
 * 'namespace': 'shop'})`, `enrichment.labels['app']`, `involvedObject.kind = 'Pod'`. The session's
 * time zone is UTC.
 */

const OBJECT_REF = 'STRUCT(kind VARCHAR, name VARCHAR, namespace VARCHAR, uid VARCHAR, apiVersion VARCHAR, fieldPath VARCHAR)';
const OWNER_REF = 'STRUCT(kind VARCHAR, name VARCHAR, uid VARCHAR, apiVersion VARCHAR)';
const ENRICHMENT = [
  'labels MAP(VARCHAR, VARCHAR)',
  'annotations MAP(VARCHAR, VARCHAR)',
  `owners ${OWNER_REF}[]`,
  `workload ${OWNER_REF}`,
  'node STRUCT(name VARCHAR, addresses STRUCT(type VARCHAR, address VARCHAR)[])',
  'pod STRUCT(ip VARCHAR, hostIP VARCHAR, phase VARCHAR, startTime TIMESTAMPTZ)',
  'services STRUCT(name VARCHAR, namespace VARCHAR)[]',
  'errors STRUCT(lookup VARCHAR, message VARCHAR)[]',
].join(', ');

/** The record's fields, in the record's order, with their DuckDB types. */
export const RECORD_COLUMNS: readonly (readonly [name: string, type: string])[] = [
  ['schema', 'VARCHAR'],
  ['id', 'VARCHAR'],
  ['cluster', 'VARCHAR'],
  ['uid', 'VARCHAR'],
  ['resourceVersion', 'VARCHAR'],
  ['firstTimestamp', 'TIMESTAMPTZ'],
  ['lastTimestamp', 'TIMESTAMPTZ'],
  ['eventTime', 'TIMESTAMPTZ'],
  ['count', 'BIGINT'],
  ['type', 'VARCHAR'],
  ['reason', 'VARCHAR'],
  ['message', 'VARCHAR'],
  ['action', 'VARCHAR'],
  ['namespace', 'VARCHAR'],
  ['involvedObject', OBJECT_REF],
  ['source', 'STRUCT(component VARCHAR, host VARCHAR)'],
  ['reportingController', 'VARCHAR'],
  ['reportingInstance', 'VARCHAR'],
  ['apiVersion', 'VARCHAR'],
  ['eventAction', 'VARCHAR'],
  ['related', OBJECT_REF],
  ['series', 'STRUCT(count BIGINT, lastObservedTime TIMESTAMPTZ)'],
  ['enrichment', `STRUCT(${ENRICHMENT})`],
];

/** The column holding the event's time (`coalesce(lastTimestamp, eventTime, firstTimestamp)`). */
export const TIME_EXPRESSION = 'coalesce(lastTimestamp, eventTime, firstTimestamp)';

/** A SQL string literal. */
export function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A quoted SQL identifier. */
export function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `read_json`'s `columns` argument for `names` (all record columns by default). */
export function columnsArgument(names?: readonly string[]): string {
  const wanted = names === undefined ? RECORD_COLUMNS : RECORD_COLUMNS.filter(([n]) => names.includes(n));
  return `{${wanted.map(([n, t]) => `${sqlString(n)}: ${sqlString(t)}`).join(', ')}}`;
}

/**
 * The select list mapping a Parquet batch (core/src/dispatch/parquet/schema.ts) to the columns
 * `read_json` gives for the same records in NDJSON, `names` (all by default), same names and types:
 * `count` INT32 and `series.count` widened to BIGINT, `enrichment` (JSON text) cast to its STRUCT,
 * and a value the writer kept in `_extra` (one its column could not hold exactly: a timestamp
 * in another form, a group with other fields...) read from there as `read_json` reads it from a
 * line. `_absent` needs nothing: an absent field is NULL in both.
 */
export function parquetSelectList(names?: readonly string[]): string {
  const wanted = names === undefined ? RECORD_COLUMNS : RECORD_COLUMNS.filter(([n]) => names.includes(n));
  return wanted
    .map(([n, t]) => {
      const id = sqlIdentifier(n);
      const path = sqlString(`$.${sqlIdentifier(n)}`);
      const typed = n === 'enrichment' ? `TRY_CAST(CAST(${id} AS JSON) AS ${t})` : t === 'VARCHAR' ? id : `CAST(${id} AS ${t})`;
      const fallback = t === 'VARCHAR' ? `json_extract_string(_extra, ${path})` : `TRY_CAST(json_extract(_extra, ${path}) AS ${t})`;
      return `coalesce(${typed}, ${fallback}) AS ${id}`;
    })
    .join(', ');
}

/** The select list of `events`, in order: every record column, then `time`. */
export function eventsSelectList(): string {
  return [...RECORD_COLUMNS.map(([n]) => sqlIdentifier(n)), `${TIME_EXPRESSION} AS "time"`].join(', ');
}

/** An empty relation with the columns of `events` (no batch file to read). */
export function emptyEventsRelation(): string {
  const cols = RECORD_COLUMNS.map(([n, t]) => `CAST(NULL AS ${t}) AS ${sqlIdentifier(n)}`);
  return `SELECT ${cols.join(', ')}, CAST(NULL AS TIMESTAMPTZ) AS "time" WHERE false`;
}
