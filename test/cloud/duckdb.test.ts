// The analytics check: the S3 archive written by the real pipeline, downloaded with the SDK into
// a local directory that keeps the key paths, is read by a real query engine (DuckDB, offline:
// its httpfs extension cannot be fetched here) as hive-partitioned gzip NDJSON, and the counts
// per namespace and reason, and per partition, are the input's.
import { GetObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { DuckDBInstance } from '@duckdb/node-api';
import type { DuckDBConnection } from '@duckdb/node-api';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
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

let dir: string;
let archive: string;
let input: InputEvent[];
let s3: { server: FauxqsServer; endpoint: string };
let client: S3Client;
let db: DuckDBInstance;
let sql: DuckDBConnection;

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
  s3 = await startS3([BUCKET]);
  client = testClient(s3.endpoint);
  const summary = await runReplay(dir, join(dir, 'events.ndjson'), {
    use: 's3',
    batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
    config: { bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix: 'events' },
  });
  // eslint-disable-next-line vitest/no-standalone-expect -- the set-up checks its own run before every test reads the archive
  expect(summary.sinks[0]!.stats.eventsSent).toBe(N);
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
    const keys = await downloadArchive(archive);
    expect(keys).toHaveLength(N / BATCH);
    const source = `read_json_auto('${archive}/**/*.ndjson.gz', hive_partitioning = true, hive_types_autocast = false)`;

    const byReason = await query(`SELECT namespace, reason, count(*)::INTEGER AS n FROM ${source} GROUP BY ALL ORDER BY ALL`);
    const expected = countBy(input, (e) => `${e.namespace}|${e.reason}`);
    expect(Object.fromEntries(byReason.map((r) => [`${String(r.namespace)}|${String(r.reason)}`, r.n]))).toEqual(expected);
    // 7 namespaces × 5 reasons, every combination present.
    expect(byReason).toHaveLength(35);

    const totals = await query(`SELECT count(*)::INTEGER AS n, count(DISTINCT id)::INTEGER AS ids FROM ${source}`);
    expect(totals).toEqual([{ n: N, ids: N }]);

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
});
