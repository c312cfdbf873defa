// The analytics check: the S3 archive written by the real pipeline, downloaded with the SDK into
// a local directory that keeps the key paths, is read by a real query engine (DuckDB, offline:
// its httpfs extension cannot be fetched here) as hive-partitioned gzip NDJSON, and the counts
// per namespace and reason, and per partition, are the input's; the events-API fields (eventAction,
// related, series) come back as columns.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FauxqsServer } from 'fauxqs';
import { TEST_CREDENTIALS, listKeys, startS3, testClient } from '../../plugins/sink-s3/src/s3.fixture.js';
import { CLUSTER, countBy, runReplay, writeReplayFile } from './helpers/pipeline.fixture.js';
import type { InputEvent } from './helpers/pipeline.fixture.js';

const N = 6000;
const HOURS = 3; // 2000 events in each of 12:00, 13:00, 14:00 on 2026-11-27
const BATCH = 250;
const BUCKET = 'k8stream-analytics';

/**
 * Events-API shapes appended after the benchmark events (in hour 14, after them): the scheduler's
 * Binding, a v1beta1 FailedScheduling with a series (its deprecatedLastTimestamp is stale) and a
 * related claim, and a core/v1 Preempted with the preemptor as related.
 */
const EVENTS_API_LINES = [
  {
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: { uid: 'ea000000-0001-4e00-8000-000000000001', resourceVersion: '900001', namespace: 'team-0', creationTimestamp: '2026-11-27T14:30:00Z' },
    eventTime: '2026-11-27T14:30:00.123456Z',
    action: 'Binding',
    reason: 'Scheduled',
    type: 'Normal',
    note: 'Successfully assigned team-0/app-0-7d9f8c6b5-xxxx0 to node-3',
    regarding: { kind: 'Pod', namespace: 'team-0', name: 'app-0-7d9f8c6b5-xxxx0', uid: 'p0', apiVersion: 'v1' },
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-cp-1',
  },
  {
    apiVersion: 'events.k8s.io/v1beta1',
    kind: 'Event',
    metadata: { uid: 'ea000000-0002-4e00-8000-000000000002', resourceVersion: '900002', namespace: 'team-1', creationTimestamp: '2026-11-27T14:31:00Z' },
    eventTime: '2026-11-27T14:31:00.000001Z',
    deprecatedFirstTimestamp: '2026-11-27T14:31:00Z',
    deprecatedLastTimestamp: '2026-11-27T14:31:00Z',
    series: { count: 6, lastObservedTime: '2026-11-27T14:35:10.500000Z' },
    action: 'Scheduling',
    reason: 'FailedScheduling',
    type: 'Warning',
    note: '0/3 nodes are available: 3 pod has unbound immediate PersistentVolumeClaims.',
    regarding: { kind: 'Pod', namespace: 'team-1', name: 'db-0', uid: 'p1', apiVersion: 'v1' },
    related: { kind: 'PersistentVolumeClaim', namespace: 'team-1', name: 'data-db-0', uid: 'c1', apiVersion: 'v1' },
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-cp-1',
  },
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { uid: 'ea000000-0003-4e00-8000-000000000003', resourceVersion: '900003', namespace: 'team-2', creationTimestamp: '2026-11-27T14:40:00Z' },
    eventTime: '2026-11-27T14:40:00.000000Z',
    firstTimestamp: null,
    lastTimestamp: null,
    action: 'Preempting',
    reason: 'Preempted',
    type: 'Normal',
    message: 'Preempted by pod p9 on node node-3',
    involvedObject: { kind: 'Pod', namespace: 'team-2', name: 'batch-7', uid: 'p2', apiVersion: 'v1' },
    related: { kind: 'Pod', namespace: 'team-0', name: 'critical-0', uid: 'p9', apiVersion: 'v1' },
    reportingComponent: 'default-scheduler',
    reportingInstance: 'default-scheduler-cp-1',
  },
];
/** What the records of EVENT_API_LINES show (lastTimestamp: the latest occurrence). */
const EVENTS_API_INPUT: InputEvent[] = [
  { id: 'ea000000-0001-4e00-8000-000000000001:900001', namespace: 'team-0', reason: 'Scheduled', type: 'Normal', lastTimestamp: '2026-11-27T14:30:00.123Z' },
  { id: 'ea000000-0002-4e00-8000-000000000002:900002', namespace: 'team-1', reason: 'FailedScheduling', type: 'Warning', lastTimestamp: '2026-11-27T14:35:10.500Z' },
  { id: 'ea000000-0003-4e00-8000-000000000003:900003', namespace: 'team-2', reason: 'Preempted', type: 'Normal', lastTimestamp: '2026-11-27T14:40:00.000Z' },
];
const TOTAL = N + EVENTS_API_LINES.length;

let dir: string;
let archive: string;
let input: InputEvent[];
let s3: { server: FauxqsServer; endpoint: string };
let client: S3Client;
let db: DuckDBInstance;
let sql: DuckDBConnection;
/** Keys of the archive's objects, downloaded under `archive`. */
let keys: string[];
/** The archive as a DuckDB table function, as docs/querying.md reads it. */
let source: string;

/** Downloads every object under its key path below `root`; returns the keys. */
async function downloadArchive(root: string): Promise<string[]> {
  const keys = await listKeys(client, BUCKET);
  for (const key of keys) {
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    const body = await got.Body!.transformToByteArray();
    const to = join(root, ...key.split('/'));
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, body);
  }
  return keys;
}

/** Rows of a query as plain JSON values (BIGINTs become strings, so counts are cast to INTEGER). */
async function query(text: string): Promise<Record<string, unknown>[]> {
  return (await sql.runAndReadAll(text)).getRowObjectsJson();
}

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
  dir = await mkdtemp(join(tmpdir(), 'k8stream-duckdb-'));
  archive = join(dir, 'archive');
  ({ events: input } = await writeReplayFile(dir, N, HOURS));
  await appendFile(join(dir, 'events.ndjson'), EVENTS_API_LINES.map((object) => `${JSON.stringify({ type: 'ADDED', object })}\n`).join(''));
  input.push(...EVENTS_API_INPUT);
  s3 = await startS3([BUCKET]);
  client = testClient(s3.endpoint);
  const summary = await runReplay(dir, join(dir, 'events.ndjson'), {
    use: 's3',
    batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
    config: { bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix: 'events' },
  });
  // eslint-disable-next-line vitest/no-standalone-expect -- the set-up checks its own run before every test reads the archive
  expect(summary.sinks[0]!.stats.eventsSent).toBe(TOTAL);
  keys = await downloadArchive(archive);
  source = `read_json_auto('${archive}/**/*.ndjson.gz', hive_partitioning = true, hive_types_autocast = false)`;
  db = await DuckDBInstance.create(':memory:');
  sql = await db.connect();
});

afterAll(async () => {
  vi.unstubAllEnvs();
  sql?.closeSync();
  db?.closeSync();
  client?.destroy();
  await s3?.server.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('DuckDB over the S3 archive', () => {
  it('counts per namespace and reason equal the input; cluster/dt/hour are partition columns', async () => {
    expect(keys).toHaveLength(Math.ceil(TOTAL / BATCH));

    const byReason = await query(`SELECT namespace, reason, count(*)::INTEGER AS n FROM ${source} GROUP BY ALL ORDER BY ALL`);
    const expected = countBy(input, (e) => `${e.namespace}|${e.reason}`);
    expect(Object.fromEntries(byReason.map((r) => [`${String(r.namespace)}|${String(r.reason)}`, r.n]))).toEqual(expected);
    // 7 namespaces × 5 reasons, every combination present, and the two events-API reasons.
    expect(byReason).toHaveLength(37);

    const totals = await query(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM ${source}`);
    expect(totals).toEqual([{ n: TOTAL, ids: TOTAL }]);

    // The partition columns come from the key path.
    const partitions = await query(
      `SELECT cluster, dt, hour, count(*)::INTEGER AS n, strftime(min(lastTimestamp::TIMESTAMP), '%H') AS first_hour FROM ${source} GROUP BY ALL ORDER BY ALL`,
    );
    const perHour = countBy(input, (e) => e.lastTimestamp.slice(11, 13));
    expect(partitions).toEqual(Object.entries(perHour).map(([hour, n]) => ({ cluster: CLUSTER, dt: '2026-11-27', hour, n, first_hour: hour })));
    expect(partitions.map((p) => p.hour)).toEqual(['12', '13', '14']);

    // Warnings per namespace, the kind of question the archive is for.
    const warnings = await query(`SELECT namespace, count(*)::INTEGER AS n FROM ${source} WHERE type = 'Warning' GROUP BY ALL ORDER BY ALL`);
    expect(Object.fromEntries(warnings.map((r) => [String(r.namespace), r.n]))).toEqual(
      countBy(
        input.filter((e) => e.type === 'Warning'),
        (e) => e.namespace,
      ),
    );
  });

  it('eventAction, related and series are columns: the events-API events show them, the others are empty and NULL', async () => {
    const rows = await query(
      `SELECT apiVersion, action, eventAction, related.kind AS related_kind, related.name AS related_name,
              series.count::INTEGER AS series_count, strftime(series.lastObservedTime::TIMESTAMP, '%H:%M:%S.%g') AS series_last,
              strftime(lastTimestamp::TIMESTAMP, '%H:%M:%S.%g') AS last
       FROM ${source} WHERE eventAction <> '' ORDER BY lastTimestamp`,
    );
    expect(rows).toEqual([
      {
        apiVersion: 'events.k8s.io/v1',
        action: 'ADDED',
        eventAction: 'Binding',
        related_kind: null,
        related_name: null,
        series_count: null,
        series_last: null,
        last: '14:30:00.123',
      },
      {
        apiVersion: 'events.k8s.io/v1beta1',
        action: 'ADDED',
        eventAction: 'Scheduling',
        related_kind: 'PersistentVolumeClaim',
        related_name: 'data-db-0',
        series_count: 6,
        series_last: '14:35:10.500',
        last: '14:35:10.500',
      },
      {
        apiVersion: 'v1',
        action: 'ADDED',
        eventAction: 'Preempting',
        related_kind: 'Pod',
        related_name: 'critical-0',
        series_count: null,
        series_last: null,
        last: '14:40:00.000',
      },
    ]);
    const plain = await query(`SELECT count(*)::INTEGER AS n FROM ${source} WHERE eventAction = '' AND related IS NULL AND series IS NULL`);
    expect(plain).toEqual([{ n: N }]);
  });
});
