// 50,000 replayed events through the real pipeline into fauxqs, behind a proxy that serves a
// schedule of 503 SlowDown, 500 InternalError and connection resets. The SDK makes one attempt
// per request, so every fault is retried by the core; read back with the SDK, the archive holds
// exactly the input: none lost, none duplicated.
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { FauxqsServer } from 'fauxqs';
import { TEST_CREDENTIALS, listKeys, readAllRecords, startS3, testClient } from '../../plugins/sink-s3/src/s3.fixture.js';
import { mixedFaults, s3Faults, startScheduleProxy } from './helpers/schedule-proxy.fixture.js';
import type { ScheduleProxy } from './helpers/schedule-proxy.fixture.js';
import { CLUSTER, runReplay, writeReplayFile } from './helpers/pipeline.fixture.js';
import type { InputEvent } from './helpers/pipeline.fixture.js';

const N = 50_000;
const BATCH = 1000;
const BUCKET = 'k8stream-archive';
const ROUNDS = 10; // 10 × (503, 500, reset) = 30 faults

let dir: string;
let file: string;
let input: InputEvent[];
let s3: { server: FauxqsServer; endpoint: string };
let proxy: ScheduleProxy;
let client: S3Client;

beforeAll(async () => {
  vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
  dir = await mkdtemp(join(tmpdir(), 'k8stream-s3-pipeline-'));
  ({ file, events: input } = await writeReplayFile(dir, N));
  s3 = await startS3([BUCKET]);
  // Only batch uploads are faulted (the healthcheck probe goes through untouched).
  proxy = await startScheduleProxy({
    target: s3.endpoint,
    faults: mixedFaults(ROUNDS),
    matches: (method, url) => method === 'PUT' && url.includes('.ndjson.gz'),
    render: s3Faults,
  });
  client = testClient(s3.endpoint);
});

afterAll(async () => {
  vi.unstubAllEnvs();
  client?.destroy();
  await proxy?.close();
  await s3?.server.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('S3 sink in the real pipeline, with injected faults', () => {
  it('archives every record exactly once despite 503s, 500s and resets', async () => {
    const summary = await runReplay(dir, file, {
      use: 's3',
      batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
      config: { bucket: BUCKET, region: 'us-east-1', endpoint: proxy.endpoint, forcePathStyle: true, prefix: 'events', maxAttempts: 1 },
    });

    // Every scheduled fault was served, each to a different upload, and the core retried each one.
    expect(proxy.served).toEqual({ '503': ROUNDS, '500': ROUNDS, reset: ROUNDS });
    expect(proxy.remaining()).toBe(0);
    expect(proxy.eligible()).toBe(N / BATCH + 3 * ROUNDS);
    const stats = summary.sinks[0]!.stats;
    expect(summary.counters.received).toBe(N);
    expect(stats.eventsSent).toBe(N);
    expect(stats.batchesSent).toBe(N / BATCH);
    expect(stats.deadLettered).toBe(0);
    expect(stats.retries).toBe(3 * ROUNDS);
    expect(summary.sinks[0]!.flushed).toBe(true);
    await expect(readdir(join(dir, 'deadletter')).catch(() => [])).resolves.toEqual([]);

    // Read back with the SDK: exactly the input ids, none twice.
    const records = (await readAllRecords(client, BUCKET)) as { id: string; cluster: string }[];
    expect(records).toHaveLength(N);
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(N);
    expect([...ids].sort()).toEqual(input.map((e) => e.id).sort());
    expect(records.every((r) => r.cluster === CLUSTER)).toBe(true);

    // Key layout: events/cluster=<c>/dt=YYYY-MM-DD/hour=HH/<batchId>.ndjson.gz, one per batch.
    const keys = await listKeys(client, BUCKET);
    expect(keys).toHaveLength(N / BATCH);
    const layout = /^events\/cluster=cloud-test\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^/]+)\.ndjson\.gz$/;
    for (const key of keys) expect(key).toMatch(layout);
    // The events span 12:00:00-12:08:20 on 2026-11-27 (benchEvent: 10 ms apart).
    expect(new Set(keys.map((k) => layout.exec(k)![1]))).toEqual(new Set(['2026-11-27']));
    expect(new Set(keys.map((k) => layout.exec(k)![2]))).toEqual(new Set(['12']));
    expect(new Set(keys.map((k) => layout.exec(k)![3])).size).toBe(N / BATCH);

    // Headers on the objects.
    for (const key of keys.slice(0, 5)) {
      const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
      expect(head.ContentType).toBe('application/x-ndjson');
      expect(head.ContentEncoding).toBe('gzip');
    }
  });
});
