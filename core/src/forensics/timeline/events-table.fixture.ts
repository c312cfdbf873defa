/**
 * Test fixture: a real DuckDB database whose table `events` holds the given records with the
 * engine's shape (the `k8stream.event/v1` fields as typed columns, timestamps TIMESTAMPTZ, plus
 * `time`), read from an NDJSON file with DuckDB's own `read_json`. And a record builder.
 */
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RECORD_SCHEMA, emptyEnrichment } from '../../record/types.js';
import type { Enrichment, EventRecord, InvolvedObject } from '../../record/types.js';
import type { ReadStats } from '../types.js';

const OBJECT = 'STRUCT(kind VARCHAR, name VARCHAR, namespace VARCHAR, uid VARCHAR, apiVersion VARCHAR, fieldPath VARCHAR)';
const OWNER = 'STRUCT(kind VARCHAR, name VARCHAR, uid VARCHAR, apiVersion VARCHAR)';

/** The columns of `k8stream.event/v1`, as DuckDB types. */
export const EVENT_COLUMNS: Record<string, string> = {
  schema: 'VARCHAR',
  id: 'VARCHAR',
  cluster: 'VARCHAR',
  uid: 'VARCHAR',
  resourceVersion: 'VARCHAR',
  firstTimestamp: 'TIMESTAMPTZ',
  lastTimestamp: 'TIMESTAMPTZ',
  eventTime: 'TIMESTAMPTZ',
  count: 'BIGINT',
  type: 'VARCHAR',
  reason: 'VARCHAR',
  message: 'VARCHAR',
  action: 'VARCHAR',
  namespace: 'VARCHAR',
  involvedObject: OBJECT,
  source: 'STRUCT(component VARCHAR, host VARCHAR)',
  reportingController: 'VARCHAR',
  reportingInstance: 'VARCHAR',
  apiVersion: 'VARCHAR',
  eventAction: 'VARCHAR',
  related: OBJECT,
  series: 'STRUCT(count BIGINT, lastObservedTime TIMESTAMPTZ)',
  enrichment:
    `STRUCT(labels MAP(VARCHAR, VARCHAR), annotations MAP(VARCHAR, VARCHAR), owners ${OWNER}[], workload ${OWNER}, ` +
    'node STRUCT(name VARCHAR, addresses STRUCT(type VARCHAR, address VARCHAR)[]), pod STRUCT(ip VARCHAR, hostIP VARCHAR, phase VARCHAR, startTime TIMESTAMPTZ), ' +
    'services STRUCT(name VARCHAR, namespace VARCHAR)[], errors STRUCT(lookup VARCHAR, message VARCHAR)[])',
};

export interface TestEventsDb {
  connection: DuckDBConnection;
  stats: ReadStats;
  close(): Promise<void>;
}

/** A database with `events` holding `records` (deduplicated by id, as the engine does). */
export async function eventsDb(records: readonly EventRecord[]): Promise<TestEventsDb> {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-timeline-'));
  const file = join(dir, 'events.ndjson');
  await writeFile(file, records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  const columns = `{${Object.entries(EVENT_COLUMNS)
    .map(([name, type]) => `'${name}': '${type}'`)
    .join(', ')}}`;
  await connection.run(
    `CREATE TABLE events AS SELECT *, coalesce(lastTimestamp, eventTime, firstTimestamp) AS "time"
     FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', columns = ${columns})
     QUALIFY row_number() OVER (PARTITION BY id) = 1`,
  );
  await rm(dir, { recursive: true, force: true });
  const unique = new Set(records.map((r) => r.id)).size;
  return {
    connection,
    stats: { files: 1, records: unique, duplicates: records.length - unique, malformedLines: 0, foreignRecords: 0, skippedObjects: [] },
    close: async () => {
      connection.closeSync();
      instance.closeSync();
    },
  };
}

/** What a test says about a record; the rest gets plausible defaults. */
export interface RecordSpec {
  uid: string;
  /** @default 1 */
  rv?: number;
  /** lastTimestamp (ISO). */
  at: string;
  /** @default at */
  first?: string;
  type?: 'Normal' | 'Warning';
  reason: string;
  message?: string;
  count?: number;
  object: Pick<InvolvedObject, 'kind' | 'name'> & { namespace?: string };
  host?: string;
  enrichment?: Partial<Enrichment>;
}

/** A `k8stream.event/v1` record. */
export function record(spec: RecordSpec): EventRecord {
  const rv = String(spec.rv ?? 1);
  return {
    schema: RECORD_SCHEMA,
    id: `${spec.uid}:${rv}`,
    cluster: 'test',
    uid: spec.uid,
    resourceVersion: rv,
    firstTimestamp: spec.first ?? spec.at,
    lastTimestamp: spec.at,
    eventTime: null,
    count: spec.count ?? 1,
    type: spec.type ?? 'Normal',
    reason: spec.reason,
    message: spec.message ?? spec.reason,
    action: 'ADDED',
    namespace: spec.object.namespace || 'default',
    involvedObject: { kind: spec.object.kind, name: spec.object.name, namespace: spec.object.namespace ?? '', uid: `${spec.object.name}-uid`, apiVersion: 'v1', fieldPath: '' },
    source: { component: spec.host ? 'kubelet' : 'controller', host: spec.host ?? '' },
    reportingController: '',
    reportingInstance: '',
    apiVersion: 'v1',
    eventAction: '',
    related: null,
    series: null,
    enrichment: { ...emptyEnrichment(), ...spec.enrichment },
  };
}
