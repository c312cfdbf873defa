/**
 * `stageArchive` over S3 and GCS archives written by the sinks' own `send`: the S3 sink against
 * the fauxqs server with the real AWS SDK, the GCS sink against the JSON-API test server with the
 * real `@google-cloud/storage`. The readers are the sinks' `archive` hooks, found by the core's
 * plugin loader (`s3://` → `@k8stream/sink-s3`, `gs://` → `@k8stream/sink-gcs`).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { createGcsSink } from '@k8stream/sink-gcs';
import { createS3Sink } from '@k8stream/sink-s3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { startGcsServer } from '../../../../plugins/sink-gcs/src/gcs-server.fixture.js';
import { TEST_CREDENTIALS, startS3, testClient } from '../../../../plugins/sink-s3/src/s3.fixture.js';
import type { Batch } from '../../plugins/api.js';
import { encodeBatch } from '../../dispatch/body-writer.js';
import { makeTestBatch, sampleRecord, testSendContext, testSinkContext } from '../../testing/index.js';
import { stageArchive } from './index.js';
import type { ArchiveOptions } from './index.js';
import { startObjectProxy } from './object-proxy.fixture.js';

const BUCKET = 'forensics';
const s3 = await startS3([BUCKET]);
const s3Client = testClient(s3.endpoint);
const gcs = await startGcsServer();
afterAll(async () => {
  s3Client.destroy();
  await s3.server.stop();
  await gcs.close();
});

let work: string;
beforeEach(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'k8stream-stage-cloud-'));
  s3.server.emptyBucket(BUCKET);
  gcs.reset(['events']);
  // The S3 sink's default credential chain finds these (fauxqs does not check them).
  vi.stubEnv('AWS_ACCESS_KEY_ID', TEST_CREDENTIALS.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', TEST_CREDENTIALS.secretAccessKey);
  vi.stubEnv('AWS_PROFILE', undefined);
});
afterEach(async () => {
  vi.unstubAllEnvs();
  await rm(work, { recursive: true, force: true });
});

const at = (iso: string) => Date.parse(iso);
const WINDOW = { fromMs: at('2026-12-08T10:00:00Z'), toMs: at('2026-12-08T12:00:00Z') };

function batchAt(iso: string, cluster = 'demo'): Promise<Batch<unknown>> {
  const records = [0, 1, 2].map((k) => {
    const time = new Date(at(iso) + k * 60_000).toISOString();
    return sampleRecord(at(iso) / 1000 + k, { cluster, firstTimestamp: time, lastTimestamp: time });
  });
  return makeTestBatch(records, undefined, { sink: 'archive', cluster });
}

/** Two batches an hour from 07:00 to 12:59 for `demo`, one batch of `other` at 10:10. */
async function sixHours(): Promise<Batch<unknown>[]> {
  const out: Batch<unknown>[] = [];
  for (let h = 7; h < 13; h++) for (const m of ['05', '35']) out.push(await batchAt(`2026-12-08T${String(h).padStart(2, '0')}:${m}:00Z`));
  out.push(await batchAt('2026-12-08T10:10:00Z', 'other'));
  return out;
}

/** The same batch as the Parquet sinks write it (zstd inside), keeping its id. */
async function asParquet(b: Batch<unknown>): Promise<Batch<unknown>> {
  const encoding = { format: 'parquet', compression: 'zstd' } as const;
  const body = await encodeBatch(
    b.records.map((r) => JSON.stringify(r)),
    encoding,
  );
  return { ...b, encoding, body: body.body, rawBytes: body.rawBytes, contentType: body.contentType, contentEncoding: body.contentEncoding, extension: body.extension };
}

/** {@link sixHours}, every other batch as Parquet: an archive whose sink switched formats. */
async function sixHoursMixed(): Promise<Batch<unknown>[]> {
  return Promise.all((await sixHours()).map(async (b, i) => (i % 2 === 1 ? asParquet(b) : b)));
}

/** The batches of `demo` a window of 10:00–12:00 needs: 09:xx (look-back), 10:xx, 11:xx. */
const inWindow = (batches: Batch<unknown>[]) => batches.filter((b) => b.cluster === 'demo' && b.minTimestamp! >= '2026-12-08T09' && b.minTimestamp! < '2026-12-08T12');

const hiveKey = (prefix: string, b: Batch<unknown>) => `${prefix}/cluster=${b.cluster}/dt=2026-12-08/hour=${b.minTimestamp!.slice(11, 13)}/${b.id}${b.extension}`;

async function writeS3(batches: Batch<unknown>[], prefix = 'events'): Promise<void> {
  const sink = createS3Sink({ clientConfig: { credentials: TEST_CREDENTIALS } });
  const instance = await sink.create(
    sink.validate({ bucket: BUCKET, region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, prefix }),
    testSinkContext({ name: 'archive' }),
  );
  for (const b of batches) await instance.send(b, testSendContext());
  await instance.close?.();
}

async function writeGcs(batches: Batch<unknown>[]): Promise<void> {
  const sink = createGcsSink();
  const instance = await sink.create(sink.validate({ bucket: 'events', prefix: 'k8s', apiEndpoint: gcs.url }), testSinkContext({ name: 'archive' }));
  for (const b of batches) await instance.send(b, testSendContext());
  await instance.close?.();
}

const s3Options = (extra: Partial<ArchiveOptions> = {}): ArchiveOptions => ({
  archive: `s3://${BUCKET}/events`,
  endpoint: s3.endpoint,
  region: 'us-east-1',
  forcePathStyle: true,
  cwd: work,
  env: {},
  window: WINDOW,
  ...extra,
});

describe('stageArchive: S3 (--archive s3://bucket/prefix)', () => {
  it('lists only the window partitions, downloads their batches (and no foreign object) into a temporary directory', async () => {
    const batches = await sixHours();
    await writeS3(batches);
    await s3Client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'events/cluster=demo/dt=2026-12-08/hour=10/README.txt', Body: 'foreign' }));
    const staged = await stageArchive(s3Options({ cluster: 'demo' }));
    const expected = inWindow(batches);
    expect(expected).toHaveLength(6);
    expect(staged.files.map((f) => f.key)).toEqual(expected.map((b) => hiveKey('events', b)).sort());
    expect(staged.partitions).toEqual(['events/cluster=demo/dt=2026-12-08/hour=09/', 'events/cluster=demo/dt=2026-12-08/hour=10/', 'events/cluster=demo/dt=2026-12-08/hour=11/']);
    const bytes = expected.reduce((n, b) => n + b.body.byteLength, 0);
    expect(staged.stats).toEqual({ objectsListed: 7, objectsFetched: 6, bytesFetched: bytes });
    expect(staged.describe).toBe(`s3://${BUCKET}/events`);
    expect(staged.clusters).toEqual(['demo']);
    expect(staged.skipped).toEqual([]);
    const dir = path.dirname(staged.files[0]!.path);
    expect(dir.startsWith(os.tmpdir())).toBe(true);
    for (const f of staged.files) {
      const batch = expected.find((b) => hiveKey('events', b) === f.key)!;
      expect(f.path.endsWith('.ndjson.gz')).toBe(true);
      expect(f).toMatchObject({ extension: '.ndjson.gz', size: batch.body.byteLength });
      expect(new Uint8Array(await readFile(f.path))).toEqual(batch.body);
    }
    await staged.dispose();
    expect(existsSync(dir)).toBe(false);
  });

  it('stages the Parquet objects of an archive mixing Parquet and gzip NDJSON like the others, each with its extension', async () => {
    const batches = await sixHoursMixed();
    await writeS3(batches);
    const staged = await stageArchive(s3Options({ cluster: 'demo' }));
    const expected = inWindow(batches);
    expect(expected.filter((b) => b.extension === '.parquet')).toHaveLength(3);
    expect(staged.files.map((f) => [f.key, f.extension])).toEqual(expected.map((b) => [hiveKey('events', b), b.extension]).sort());
    expect(staged.stats).toEqual({ objectsListed: 6, objectsFetched: 6, bytesFetched: expected.reduce((n, b) => n + b.body.byteLength, 0) });
    for (const f of staged.files) {
      expect(f.path.endsWith(f.extension)).toBe(true);
      expect(new Uint8Array(await readFile(f.path))).toEqual(new Uint8Array(expected.find((b) => hiveKey('events', b) === f.key)!.body));
    }
    await staged.dispose();
  });

  it('discovers the clusters with one delimiter listing when --cluster is left out', async () => {
    const batches = await sixHours();
    await writeS3(batches);
    const staged = await stageArchive(s3Options({ window: { fromMs: at('2026-12-08T10:30:00Z'), toMs: at('2026-12-08T11:00:00Z') } }));
    expect(staged.clusters).toEqual(['demo', 'other']);
    expect(staged.partitions).toEqual([
      'events/cluster=demo/dt=2026-12-08/hour=09/',
      'events/cluster=demo/dt=2026-12-08/hour=10/',
      'events/cluster=other/dt=2026-12-08/hour=09/',
      'events/cluster=other/dt=2026-12-08/hour=10/',
    ]);
    expect(staged.stats.objectsFetched).toBe(5);
    await staged.dispose();
  });

  it('skips an object whose read keeps failing, with its key, and stages the rest (downloads 8 at a time at most)', async () => {
    const batches = [...(await sixHours()), ...(await Promise.all(Array.from({ length: 20 }, (_, i) => batchAt(`2026-12-08T10:${String(i + 10)}:30Z`))))];
    await writeS3(batches);
    const denied = hiveKey('events', batches[6]!);
    const proxy = await startObjectProxy(s3.endpoint, [denied]);
    try {
      const staged = await stageArchive(s3Options({ cluster: 'demo', endpoint: proxy.endpoint }));
      expect(staged.skipped).toEqual([
        { key: denied, code: 'ARCHIVE_READ_FAILED', reason: expect.stringContaining(`cannot read s3://${BUCKET}/${denied}: AccessDenied (HTTP 403)`) },
      ]);
      expect(staged.stats.objectsListed).toBe(26);
      expect(staged.stats.objectsFetched).toBe(25);
      expect(staged.files.map((f) => f.key)).not.toContain(denied);
      // Three tries, each one request (AccessDenied is not retried by the SDK).
      expect([...proxy.refused.values()]).toEqual([3]);
      expect(proxy.maxInFlight).toBeLessThanOrEqual(8);
      await staged.dispose();
    } finally {
      await proxy.close();
    }
  });

  it('fails with ARCHIVE_UNAVAILABLE naming a missing bucket, and never shows the credentials', async () => {
    const err = (await stageArchive(s3Options({ archive: 's3://no-such-bucket/events' })).catch((e: unknown) => e)) as Error & { code: string };
    expect(err.code).toBe('ARCHIVE_UNAVAILABLE');
    expect(err.message).toMatch(/^s3 archive s3:\/\/no-such-bucket\/events: bucket "no-such-bucket" does not exist/);
    expect(err.message).not.toContain(TEST_CREDENTIALS.secretAccessKey);
  });

  it('fails with ARCHIVE_UNAVAILABLE for a prefix that holds nothing, with or without --cluster', async () => {
    await writeS3(await sixHours());
    for (const cluster of ['demo', undefined]) {
      await expect(stageArchive(s3Options({ archive: `s3://${BUCKET}/evnets`, ...(cluster ? { cluster } : {}) }))).rejects.toMatchObject({
        code: 'ARCHIVE_UNAVAILABLE',
        message: `s3://${BUCKET}/evnets: holds nothing: no such prefix, or nothing was archived there yet`,
      });
    }
    // A cluster that is not there is a window without data, not a missing archive.
    const staged = await stageArchive(s3Options({ cluster: 'nope' }));
    expect(staged.files).toEqual([]);
    expect(staged.partitions).toHaveLength(3);
  });

  it('names the argument when the bucket name is invalid', async () => {
    await expect(stageArchive(s3Options({ archive: 's3://Bad_Bucket/x' }))).rejects.toMatchObject({
      code: 'ARGUMENT_INVALID',
      message: expect.stringMatching(/^--archive s3:\/\/Bad_Bucket\/x: bucket: /),
    });
  });

  it('reads the s3 sink named by --sink in a .k8streamrc, with its prefix, endpoint and the config cluster', async () => {
    const batches = await sixHours();
    await writeS3(batches, 'lake/k8s');
    await writeFile(
      path.join(work, '.k8streamrc.yaml'),
      [
        'cluster: demo',
        'sinks:',
        '  - name: lake',
        '    use: s3',
        `    config: { bucket: ${BUCKET}, prefix: lake/k8s, endpoint: "${s3.endpoint}", region: us-east-1, forcePathStyle: true }`,
        '  - use: stdout',
        '',
      ].join('\n'),
    );
    const staged = await stageArchive({ sink: 'lake', cwd: work, env: {}, window: WINDOW });
    expect(staged.describe).toBe(`s3://${BUCKET}/lake/k8s`);
    expect(staged.files.map((f) => f.key)).toEqual(
      inWindow(batches)
        .map((b) => hiveKey('lake/k8s', b))
        .sort(),
    );
    await staged.dispose();
  });
});

describe('stageArchive: GCS (--archive gs://bucket/prefix)', () => {
  const gsOptions = (extra: Partial<ArchiveOptions> = {}): ArchiveOptions => ({
    archive: 'gs://events/k8s',
    cwd: work,
    env: { STORAGE_EMULATOR_HOST: gcs.url },
    window: WINDOW,
    ...extra,
  });

  it('reaches the emulator named by STORAGE_EMULATOR_HOST and stages the window, a foreign object left out', async () => {
    const batches = await sixHours();
    await writeGcs(batches);
    gcs.putObject('events', {
      name: 'k8s/cluster=demo/dt=2026-12-08/hour=11/notes.json.txt',
      data: Buffer.from('{}'),
      contentType: 'text/plain',
      contentEncoding: undefined,
      metadata: {},
    });
    const staged = await stageArchive(gsOptions({ cluster: 'demo' }));
    const expected = inWindow(batches);
    expect(staged.files.map((f) => f.key)).toEqual(expected.map((b) => hiveKey('k8s', b)).sort());
    expect(staged.stats).toEqual({ objectsListed: 7, objectsFetched: 6, bytesFetched: expected.reduce((n, b) => n + b.body.byteLength, 0) });
    expect(staged.describe).toBe('gs://events/k8s');
    for (const f of staged.files) expect(new Uint8Array(await readFile(f.path))).toEqual(expected.find((b) => hiveKey('k8s', b) === f.key)!.body);
    await staged.dispose();
  });

  it('stages the Parquet objects of a mixed archive like the others', async () => {
    const batches = await sixHoursMixed();
    await writeGcs(batches);
    const staged = await stageArchive(gsOptions({ cluster: 'demo' }));
    const expected = inWindow(batches);
    expect(staged.files.map((f) => [f.key, f.extension])).toEqual(expected.map((b) => [hiveKey('k8s', b), b.extension]).sort());
    expect(staged.files.filter((f) => f.extension === '.parquet')).toHaveLength(3);
    for (const f of staged.files) expect(new Uint8Array(await readFile(f.path))).toEqual(new Uint8Array(expected.find((b) => hiveKey('k8s', b) === f.key)!.body));
    await staged.dispose();
  });

  it('retries a failing read (three tries), then skips it with its key', async () => {
    const batches = await sixHours();
    await writeGcs(batches);
    const flaky = hiveKey('k8s', inWindow(batches)[0]!);
    const broken = hiveKey('k8s', inWindow(batches)[1]!);
    gcs.inject({ method: 'GET', pathIncludes: encodeURIComponent(flaky), status: 503, times: 2 });
    gcs.inject({ method: 'GET', pathIncludes: encodeURIComponent(broken), status: 500 });
    const staged = await stageArchive(gsOptions({ cluster: 'demo', endpoint: gcs.url, env: {} }));
    expect(staged.skipped).toEqual([{ key: broken, code: 'ARCHIVE_READ_FAILED', reason: expect.stringContaining(`cannot read gs://events/${broken}: HTTP 500`) }]);
    expect(staged.files.map((f) => f.key)).toContain(flaky);
    expect(staged.stats.objectsFetched).toBe(5);
    expect(gcs.requests.filter((r) => r.path.includes(encodeURIComponent(broken)))).toHaveLength(3);
    await staged.dispose();
  });

  it('fails with ARCHIVE_UNAVAILABLE for a missing bucket, and ARCHIVE_READ_FAILED (no partial answer) when a listing fails', async () => {
    await expect(stageArchive(gsOptions({ archive: 'gs://nothing-here/k8s', cluster: 'demo' }))).rejects.toMatchObject({
      code: 'ARCHIVE_UNAVAILABLE',
      message: 'gcs archive gs://nothing-here/k8s: bucket "nothing-here" does not exist',
    });
    await writeGcs(await sixHours());
    gcs.inject({ method: 'GET', pathIncludes: '/b/events/o', status: 503, times: 1 });
    await expect(stageArchive(gsOptions({ cluster: 'demo' }))).rejects.toMatchObject({
      code: 'ARCHIVE_READ_FAILED',
      message: expect.stringContaining('listing gs://events/k8s/cluster=demo/'),
    });
  });
});
