/** Reading back the GCS sink's objects through its `archive` hook, with the real Storage client against the JSON-API test server. */
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveReader, Batch } from '@k8stream/core';
import { makeTestBatch, sampleRecord, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createGcsSink } from './index.js';
import { startGcsServer } from './gcs-server.fixture.js';

const server = await startGcsServer();
afterAll(() => server.close());
beforeEach(() => server.reset(['events']));

const sink = createGcsSink();
const ctx = () => testSinkContext({ name: 'archive', configDir: '/etc/k8stream' });
const raw = (extra: Record<string, unknown> = {}) => ({ bucket: 'events', prefix: 'k8s', apiEndpoint: server.url, ...extra });

function batchAt(iso: string, i: number, compression: 'gzip' | 'zstd' | 'none' = 'gzip'): Promise<Batch<unknown>> {
  const records = [0, 1].map((k) => {
    const time = new Date(Date.parse(iso) + k * 1000).toISOString();
    return sampleRecord(i * 10 + k, { cluster: 'demo', firstTimestamp: time, lastTimestamp: time });
  });
  return makeTestBatch(records, { format: 'ndjson', compression }, { sink: 'archive', cluster: 'demo' });
}

async function writeAndOpen(config: Record<string, unknown>, batches: Batch<unknown>[]): Promise<ArchiveReader> {
  const validated = sink.validate(config);
  const instance = await sink.create(validated, ctx());
  for (const b of batches) await instance.send(b, testSendContext());
  await instance.close?.();
  return sink.archive!(validated, ctx());
}

const keyOf = (b: Batch<unknown>) => `k8s/cluster=demo/dt=${b.minTimestamp!.slice(0, 10)}/hour=${b.minTimestamp!.slice(11, 13)}/${b.id}${b.extension}`;

describe('gcs sink: archive reader', () => {
  it('lists what the sink wrote in key order and reads each object back as stored (gzip stays gzip)', async () => {
    const batches = [await batchAt('2026-12-08T11:20:00Z', 1), await batchAt('2026-12-08T09:05:00Z', 2, 'zstd'), await batchAt('2026-12-09T00:00:00Z', 3, 'none')];
    const reader = await writeAndOpen(raw(), batches);
    expect(reader.template).toBe('{prefix}/cluster={cluster}/dt={yyyy}-{MM}-{dd}/hour={HH}/{batchId}{ext}');
    expect(reader.templateValues).toEqual({ prefix: 'k8s' });
    expect(reader.describe()).toBe('gs://events/k8s');
    const keys = batches.map(keyOf).sort();
    const listed = await reader.list('k8s/');
    expect(listed.objects.map((o) => o.key)).toEqual(keys);
    expect(listed.objects.map((o) => o.size)).toEqual(keys.map((k) => batches.find((b) => keyOf(b) === k)!.body.byteLength));
    for (const b of batches) expect(await reader.read(keyOf(b))).toEqual(b.body);
    expect(await reader.list('k8s/cluster=', { delimiter: '/' })).toEqual({ objects: [], prefixes: ['k8s/cluster=demo/'] });
    expect(await reader.list('k8s/cluster=demo/dt=2026-12-08/', { delimiter: '/' })).toEqual({
      objects: [],
      prefixes: ['k8s/cluster=demo/dt=2026-12-08/hour=09/', 'k8s/cluster=demo/dt=2026-12-08/hour=11/'],
    });
  });

  it('returns every page of a long listing', async () => {
    const keys = Array.from({ length: 1203 }, (_, i) => `k8s/many/${String(i).padStart(5, '0')}.ndjson`);
    for (const name of keys) server.putObject('events', { name, data: Buffer.from('x'), contentType: 'application/x-ndjson', contentEncoding: undefined, metadata: {} });
    const reader = await writeAndOpen(raw(), []);
    expect((await reader.list('k8s/many/')).objects.map((o) => o.key)).toEqual(keys);
    expect(server.requests.filter((r) => r.query.pageToken !== undefined)).toHaveLength(1);
  });

  it('fails with ARCHIVE_UNAVAILABLE naming a missing bucket or a denied listing', async () => {
    const missing = await sink.archive!(sink.validate(raw({ bucket: 'no-such-bucket' })), ctx());
    await expect(missing.list('k8s/')).rejects.toMatchObject({
      code: 'ARCHIVE_UNAVAILABLE',
      message: 'gcs archive gs://no-such-bucket/k8s: bucket "no-such-bucket" does not exist',
    });
    server.inject({ method: 'GET', pathIncludes: '/b/events/o', status: 403, times: 1 });
    const denied = await sink.archive!(sink.validate(raw()), ctx());
    await expect(denied.list('k8s/')).rejects.toMatchObject({
      code: 'ARCHIVE_UNAVAILABLE',
      message: expect.stringMatching(/^gcs archive gs:\/\/events\/k8s: not allowed to list gs:\/\/events\/k8s\/: HTTP 403/),
    });
    server.inject({ method: 'GET', pathIncludes: '/b/events/o', status: 503, times: 1 });
    await expect(denied.list('k8s/')).rejects.toMatchObject({ code: 'ARCHIVE_READ_FAILED', message: expect.stringContaining('listing gs://events/k8s/ failed: HTTP 503') });
  });

  it('fails a read with ARCHIVE_READ_FAILED naming the key', async () => {
    const reader = await writeAndOpen(raw(), []);
    await expect(reader.read('k8s/gone.ndjson.gz')).rejects.toMatchObject({
      code: 'ARCHIVE_READ_FAILED',
      message: expect.stringMatching(/^gcs archive gs:\/\/events\/k8s: cannot read gs:\/\/events\/k8s\/gone\.ndjson\.gz: HTTP 404/),
    });
  });
});
