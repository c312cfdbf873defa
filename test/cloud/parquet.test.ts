// Parquet batches (`encoding.format: parquet`) through the real pipeline into the S3 test server
// (AWS SDK) and the GCS test server (GCS client), read back by two independent readers: DuckDB
// (`read_parquet` with hive partitioning, as docs/querying.md reads the archive) and hyparquet
// (the core's `decodeBody`), and by the core's own synchronous decoder of its files
// (`parquet/decode.ts`, what `batch.records` reads). Each must give exactly the records the same pipeline writes as gzip
// NDJSON: every id and field, nulls, nested groups, enrichment, non-ASCII text and a 2 MiB message.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Storage } from '@google-cloud/storage';
import { DuckDBInstance } from '@duckdb/node-api';
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FauxqsServer } from 'fauxqs';
import { decodeBody } from '../../core/src/dispatch/encode.js';
import { decodeBatchFile } from '../../core/src/dispatch/parquet/decode.js';
import { TEST_CREDENTIALS, listKeys, readAllRecords, startS3, testClient } from '../../plugins/sink-s3/src/s3.fixture.js';
import { startGcsServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { listKeys as listGcsKeys, testStorage } from '../../plugins/sink-gcs/src/read-back.fixture.js';
import { runReplay, writeReplayFile } from './helpers/pipeline.fixture.js';

const N = 3000;
const HOURS = 2;
const BATCH = 400;
const PARQUET = 'k8stream-parquet';
const NDJSON = 'k8stream-ndjson';

/** Events beyond the benchmark ones: non-ASCII text, a 2 MiB message, an events-API event with a series and a related object. */
const SPECIAL = [
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { uid: 'pq000000-0001-4e00-8000-000000000001', resourceVersion: '800001', namespace: 'équipe-ü', creationTimestamp: '2026-11-27T13:10:00Z' },
    firstTimestamp: '2026-11-27T13:10:00Z',
    lastTimestamp: '2026-11-27T13:10:00Z',
    count: 3,
    reason: 'BackOff',
    type: 'Warning',
    message: 'Back-off "app" — Größe ✓ 🚀\nzweite Zeile\u2028 日本語',
    involvedObject: { kind: 'Pod', namespace: 'équipe-ü', name: 'pöd-0', uid: 'p-ü', apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
    source: { component: 'kubelet', host: 'node-ü' },
  },
  {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { uid: 'pq000000-0002-4e00-8000-000000000002', resourceVersion: '800002', namespace: 'team-0', creationTimestamp: '2026-11-27T13:11:00Z' },
    firstTimestamp: '2026-11-27T13:11:00Z',
    lastTimestamp: '2026-11-27T13:11:00Z',
    reason: 'Huge',
    type: 'Normal',
    message: `${'é'.repeat(1024 * 1024)}`, // 2 MiB of UTF-8
    involvedObject: { kind: 'Pod', namespace: 'team-0', name: 'big', uid: 'p-big', apiVersion: 'v1' },
  },
  {
    apiVersion: 'events.k8s.io/v1beta1',
    kind: 'Event',
    metadata: { uid: 'pq000000-0003-4e00-8000-000000000003', resourceVersion: '800003', namespace: 'team-1', creationTimestamp: '2026-11-27T13:12:00Z' },
    eventTime: '2026-11-27T13:12:00.000001Z',
    series: { count: 6, lastObservedTime: '2026-11-27T13:15:10.500000Z' },
    action: 'Scheduling',
    reason: 'FailedScheduling',
    type: 'Warning',
    note: '0/3 nodes are available',
    regarding: { kind: 'Pod', namespace: 'team-1', name: 'db-0', uid: 'p1', apiVersion: 'v1' },
    related: { kind: 'PersistentVolumeClaim', namespace: 'team-1', name: 'data-db-0', uid: 'c1', apiVersion: 'v1' },
    reportingController: 'default-scheduler',
    reportingInstance: 'default-scheduler-cp-1',
  },
];
const TOTAL = N + SPECIAL.length;

type Rec = Record<string, unknown> & { id: string };
const byId = (a: Rec, b: Rec) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

let dir: string;
let s3: { server: FauxqsServer; endpoint: string };
let client: S3Client;
let gcs: GcsTestServer;
let storage: Storage;
/** What the pipeline writes, read back from its gzip NDJSON archive: the reference. */
let reference: Rec[];

/** Every object of an S3 bucket downloaded under its key path below `root`. */
async function downloadS3(bucket: string, root: string): Promise<string[]> {
  const keys = await listKeys(client, bucket);
  for (const key of keys) {
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(got.ContentType).toBe('application/vnd.apache.parquet');
    expect(got.ContentEncoding).toBeUndefined();
    const to = join(root, ...key.split('/'));
    await mkdir(dirname(to), { recursive: true });
    await writeFile(to, await got.Body!.transformToByteArray());
  }
  return keys;
}

/** The records of a downloaded Parquet archive as DuckDB reads them, each turned back into the record's JSON form. */
async function duckRecords(root: string): Promise<Rec[]> {
  const db = await DuckDBInstance.create(':memory:');
  const sql = await db.connect();
  try {
    const iso = (col: string) => `strftime(${col}, '%Y-%m-%dT%H:%M:%S.%gZ')`;
    const source = `read_parquet('${root}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false)`;
    // The partition columns are there (cluster= is also a record column, with the same value).
    const parts = (await sql.runAndReadAll(`SELECT DISTINCT dt, hour FROM ${source} ORDER BY ALL`)).getRowObjectsJson();
    expect(parts).toEqual([
      { dt: '2026-11-27', hour: '12' },
      { dt: '2026-11-27', hour: '13' },
    ]);
    const rows = (
      await sql.runAndReadAll(
        `SET TimeZone = 'UTC';
         SELECT to_json(t)::VARCHAR AS j FROM (
           SELECT * EXCLUDE (dt, hour, _extra, _absent) REPLACE (
             ${iso('firstTimestamp')} AS firstTimestamp, ${iso('lastTimestamp')} AS lastTimestamp, ${iso('eventTime')} AS eventTime,
             CASE WHEN series IS NULL THEN NULL ELSE {'count': series.count, 'lastObservedTime': ${iso('series.lastObservedTime')}} END AS series)
           FROM ${source} WHERE _extra IS NULL AND _absent IS NULL) t`,
      )
    ).getRowObjectsJson();
    return rows.map((r) => JSON.parse(String(r.j)) as Rec).sort(byId);
  } finally {
    sql.closeSync();
    db.closeSync();
  }
}

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
  dir = await mkdtemp(join(tmpdir(), 'k8stream-parquet-'));
  await writeReplayFile(dir, N, HOURS);
  await appendFile(join(dir, 'events.ndjson'), SPECIAL.map((object) => `${JSON.stringify({ type: 'ADDED', object })}\n`).join(''));
  s3 = await startS3([PARQUET, NDJSON]);
  client = testClient(s3.endpoint);
  gcs = await startGcsServer({ buckets: [PARQUET] });
  storage = testStorage(gcs.url);
  const s3Sink = (bucket: string) => ({ bucket, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix: 'events' });
  const runs = [
    () => runReplay(join(dir, 'ndjson'), join(dir, 'events.ndjson'), { use: 's3', batch: { maxEvents: BATCH, maxAgeMs: 60_000 }, config: s3Sink(NDJSON) }),
    () =>
      runReplay(join(dir, 's3'), join(dir, 'events.ndjson'), {
        use: 's3',
        batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
        encoding: { format: 'parquet', compression: 'zstd' },
        config: s3Sink(PARQUET),
      }),
    () =>
      runReplay(join(dir, 'gcs'), join(dir, 'events.ndjson'), {
        use: 'gcs',
        batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
        encoding: { format: 'parquet', compression: 'snappy' },
        config: { bucket: PARQUET, apiEndpoint: gcs.url, projectId: 'test-project', prefix: 'events' },
      }),
  ];
  for (const runOnce of runs) {
    const summary = await runOnce();
    // eslint-disable-next-line vitest/no-standalone-expect -- the set-up checks its own runs before the tests read them
    expect(summary.sinks[0]!.stats.eventsSent).toBe(TOTAL);
  }
  reference = ((await readAllRecords(client, NDJSON)) as Rec[]).sort(byId);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  client?.destroy();
  await s3?.server.stop();
  await gcs?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('Parquet archives written by the real pipeline', () => {
  it('the reference holds every input event once, the special ones as they were sent', () => {
    expect(reference).toHaveLength(TOTAL);
    expect(new Set(reference.map((r) => r.id)).size).toBe(TOTAL);
    const special = reference.filter((r) => r.id.startsWith('pq'));
    expect(special.map((r) => (r.message as string).length)).toEqual([SPECIAL[0]!.message!.length, 1024 * 1024, SPECIAL[2]!.note!.length]);
    expect(special[2]).toMatchObject({ series: { count: 6, lastObservedTime: '2026-11-27T13:15:10.500Z' }, related: { name: 'data-db-0' }, eventTime: '2026-11-27T13:12:00.000Z' });
  });

  it('S3 (zstd inside): DuckDB, hyparquet and the own decoder each read back exactly the records', async () => {
    const root = join(dir, 's3-archive');
    const keys = await downloadS3(PARQUET, root);
    expect(keys.length).toBeGreaterThanOrEqual(Math.ceil(TOTAL / BATCH));
    for (const key of keys) expect(key).toMatch(/^events\/cluster=cloud-test\/dt=2026-11-27\/hour=1[23]\/[^/]+\.parquet$/);
    expect(await duckRecords(root)).toStrictEqual(reference);

    const viaHyparquet: Rec[] = [];
    const viaOwnDecoder: Rec[] = []; // what batch.records gives a sink
    for (const key of keys) {
      const got = await client.send(new GetObjectCommand({ Bucket: PARQUET, Key: key }));
      const body = await got.Body!.transformToByteArray();
      viaHyparquet.push(...((await decodeBody(body, { format: 'parquet', compression: 'zstd' })) as Rec[]));
      viaOwnDecoder.push(...(decodeBatchFile(body) as Rec[]));
    }
    expect(viaHyparquet.sort(byId)).toStrictEqual(reference);
    expect(viaOwnDecoder.sort(byId)).toStrictEqual(reference);
  });

  it('GCS (snappy inside): DuckDB, hyparquet and the own decoder each read back exactly the records', async () => {
    const root = join(dir, 'gcs-archive');
    const keys = await listGcsKeys(storage, PARQUET, 'events/');
    const viaHyparquet: Rec[] = [];
    const viaOwnDecoder: Rec[] = []; // what batch.records gives a sink
    for (const key of keys) {
      expect(key).toMatch(/\.parquet$/);
      const file = storage.bucket(PARQUET).file(key);
      const [meta] = await file.getMetadata();
      expect(meta.contentType).toBe('application/vnd.apache.parquet');
      const [data] = await file.download();
      const to = join(root, ...key.split('/'));
      await mkdir(dirname(to), { recursive: true });
      await writeFile(to, data);
      viaHyparquet.push(...((await decodeBody(data, { format: 'parquet', compression: 'snappy' })) as Rec[]));
      viaOwnDecoder.push(...(decodeBatchFile(data) as Rec[]));
    }
    expect(viaHyparquet.sort(byId)).toStrictEqual(reference);
    expect(viaOwnDecoder.sort(byId)).toStrictEqual(reference);
    expect(await duckRecords(root)).toStrictEqual(reference);
  });
});
