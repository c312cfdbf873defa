// 50,000 replayed events through the real pipeline into the GCS JSON-API test server, behind a
// proxy that serves a schedule of 503, 500 and connection resets on the batch uploads. The GCS
// sink turns the client's own retries off, so every fault is retried by the core; read back
// with `@google-cloud/storage`, the archive holds exactly the input.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGcsServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import type { GcsTestServer } from '../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { listKeys, readAllRecords, testStorage } from '../../plugins/sink-gcs/src/read-back.fixture.js';
import { gcsFaults, mixedFaults, startScheduleProxy } from './helpers/schedule-proxy.fixture.js';
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
let server: GcsTestServer;
let proxy: ScheduleProxy;
let storage: Storage;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-gcs-pipeline-'));
  ({ file, events: input } = await writeReplayFile(dir, N));
  server = await startGcsServer({ buckets: [BUCKET] });
  // Only batch uploads are faulted (the healthcheck probe goes through untouched).
  proxy = await startScheduleProxy({
    target: server.url,
    faults: mixedFaults(ROUNDS),
    matches: (method, url) => method === 'POST' && url.startsWith('/upload/') && url.includes('.ndjson.gz'),
    render: gcsFaults,
  });
  storage = testStorage(server.url);
});

afterAll(async () => {
  await proxy?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('GCS sink in the real pipeline, with injected faults', () => {
  it('archives every record exactly once despite 503s, 500s and resets', async () => {
    const summary = await runReplay(dir, file, {
      use: 'gcs',
      batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
      config: { bucket: BUCKET, apiEndpoint: proxy.endpoint, projectId: 'test-project', prefix: 'events' },
    });

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
    // Every upload was one multipart request (small bodies), none resumable.
    const uploads = server.requests.filter((r) => r.uploadType !== undefined && r.query.name?.endsWith('.ndjson.gz'));
    expect(uploads).toHaveLength(N / BATCH);
    expect(new Set(uploads.map((r) => r.uploadType))).toEqual(new Set(['multipart']));

    const records = (await readAllRecords(storage, BUCKET)) as { id: string; cluster: string }[];
    expect(records).toHaveLength(N);
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(N);
    expect([...ids].sort()).toEqual(input.map((e) => e.id).sort());
    expect(records.every((r) => r.cluster === CLUSTER)).toBe(true);

    const keys = await listKeys(storage, BUCKET);
    expect(keys).toHaveLength(N / BATCH);
    const layout = /^events\/cluster=cloud-test\/dt=(\d{4}-\d{2}-\d{2})\/hour=(\d{2})\/([^/]+)\.ndjson\.gz$/;
    for (const key of keys) expect(key).toMatch(layout);
    expect(new Set(keys.map((k) => layout.exec(k)![1]))).toEqual(new Set(['2026-11-27']));
    expect(new Set(keys.map((k) => layout.exec(k)![2]))).toEqual(new Set(['12']));
    expect(new Set(keys.map((k) => layout.exec(k)![3])).size).toBe(N / BATCH);

    // Headers and the batch metadata, as the client sees them.
    for (const key of keys.slice(0, 5)) {
      const [meta] = await storage.bucket(BUCKET).file(key).getMetadata();
      expect(meta.contentType).toBe('application/x-ndjson');
      expect(meta.contentEncoding).toBe('gzip');
      expect(meta.metadata?.['k8stream-records']).toBe(String(BATCH));
      expect(meta.metadata?.['k8stream-cluster']).toBe(CLUSTER);
    }
  });
});
