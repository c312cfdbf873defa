/** Reading back the S3 sink's objects through its `archive` hook, against the fauxqs S3 server with the real AWS SDK. */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { ArchiveReader, Batch } from '@k8stream/core';
import { makeTestBatch, sampleRecord, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createS3Sink } from './index.js';
import type { S3SinkOptions } from './index.js';
import { startFaultProxy } from './fault-proxy.fixture.js';
import { TEST_CREDENTIALS, startS3, testClient } from './s3.fixture.js';

const BUCKET = 'archive-read';
const { server, endpoint } = await startS3([BUCKET]);
const client: S3Client = testClient(endpoint);
afterAll(async () => {
  client.destroy();
  await server.stop();
});
beforeEach(() => server.emptyBucket(BUCKET));

const seams: S3SinkOptions = { clientConfig: { credentials: TEST_CREDENTIALS } };
const ctx = () => testSinkContext({ name: 'archive', configDir: '/nonexistent' });
const raw = (extra: Record<string, unknown> = {}) => ({ bucket: BUCKET, region: 'us-east-1', endpoint, forcePathStyle: true, prefix: 'events/raw', ...extra });

function batchAt(iso: string, i: number): Promise<Batch<unknown>> {
  const records = [0, 1].map((k) => {
    const time = new Date(Date.parse(iso) + k * 1000).toISOString();
    return sampleRecord(i * 10 + k, { cluster: 'demo', firstTimestamp: time, lastTimestamp: time });
  });
  return makeTestBatch(records, undefined, { sink: 'archive', cluster: 'demo' });
}

/** Writes the batches with the sink's own send, then opens its reader. */
async function writeAndOpen(config: Record<string, unknown>, batches: Batch<unknown>[], options: S3SinkOptions = seams): Promise<ArchiveReader> {
  const sink = createS3Sink(options);
  const validated = sink.validate(config);
  const instance = await sink.create(validated, ctx());
  for (const b of batches) await instance.send(b, testSendContext());
  await instance.close?.();
  return sink.archive!(validated, ctx());
}

const hive = (b: Batch<unknown>) => `events/raw/cluster=demo/dt=${b.minTimestamp!.slice(0, 10)}/hour=${b.minTimestamp!.slice(11, 13)}/${b.id}.ndjson.gz`;

describe('s3 sink: archive reader', () => {
  it('lists what the sink wrote in key order and reads each object back byte for byte', async () => {
    const batches = [await batchAt('2026-12-08T11:20:00Z', 1), await batchAt('2026-12-08T09:05:00Z', 2), await batchAt('2026-12-09T00:00:00Z', 3)];
    const reader = await writeAndOpen(raw(), batches);
    expect(reader.template).toBe('{prefix}/cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}');
    expect(reader.templateValues).toEqual({ prefix: 'events/raw' });
    expect(reader.describe()).toBe(`s3://${BUCKET}/events/raw`);
    const keys = batches.map(hive).sort();
    const listed = await reader.list('events/raw/cluster=demo/');
    expect(listed.objects.map((o) => o.key)).toEqual(keys);
    expect(listed.objects.map((o) => o.size)).toEqual(keys.map((k) => batches.find((b) => hive(b) === k)!.body.byteLength));
    for (const b of batches) expect(await reader.read(hive(b))).toEqual(b.body);
    expect(await reader.list('events/raw/cluster=', { delimiter: '/' })).toEqual({ objects: [], prefixes: ['events/raw/cluster=demo/'] });
    expect(await reader.list('events/raw/cluster=demo/dt=2026-12-08/', { delimiter: '/' })).toEqual({
      objects: [],
      prefixes: ['events/raw/cluster=demo/dt=2026-12-08/hour=09/', 'events/raw/cluster=demo/dt=2026-12-08/hour=11/'],
    });
    await reader.close?.();
  });

  it('returns every page of a long listing', async () => {
    const reader = await writeAndOpen(raw(), []);
    const keys = Array.from({ length: 1205 }, (_, i) => `many/${String(i).padStart(5, '0')}.ndjson`);
    for (let i = 0; i < keys.length; i += 50) {
      await Promise.all(keys.slice(i, i + 50).map((Key) => client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: 'x' }))));
    }
    const listed = await reader.list('many/');
    expect(listed.objects.map((o) => o.key)).toEqual(keys);
    await reader.close?.();
  });

  it('fails with ARCHIVE_UNAVAILABLE naming a missing bucket', async () => {
    const sink = createS3Sink(seams);
    const reader = await sink.archive!(sink.validate(raw({ bucket: 'no-such-bucket' })), ctx());
    await expect(reader.list('events/')).rejects.toMatchObject({
      code: 'ARCHIVE_UNAVAILABLE',
      message: expect.stringMatching(/^s3 archive s3:\/\/no-such-bucket\/events\/raw: bucket "no-such-bucket" does not exist: NoSuchBucket/),
    });
    await reader.close?.();
  });

  it('fails with ARCHIVE_UNAVAILABLE when access is denied, without the credentials in the message', async () => {
    const proxy = await startFaultProxy(endpoint);
    try {
      const sink = createS3Sink(seams);
      const reader = await sink.archive!(sink.validate(raw({ endpoint: proxy.endpoint, maxAttempts: 1 })), ctx());
      proxy.failNext(1, { kind: 'status', status: 403, code: 'AccessDenied', message: `Access Denied for ${TEST_CREDENTIALS.accessKeyId}` });
      const err = (await reader.list('events/raw/').catch((e: unknown) => e)) as Error & { code: string };
      expect(err.code).toBe('ARCHIVE_UNAVAILABLE');
      expect(err.message).toMatch(/^s3 archive s3:\/\/archive-read\/events\/raw: cannot list s3:\/\/archive-read\/events\/raw\/: AccessDenied \(HTTP 403\)/);
      expect(err.message).not.toContain(TEST_CREDENTIALS.accessKeyId);
      expect(err.message).not.toContain(TEST_CREDENTIALS.secretAccessKey);
      // A server error part-way is a failed read, not a missing archive.
      proxy.failNext(1, { kind: 'status', status: 500, code: 'InternalError', message: 'boom' });
      await expect(reader.list('events/raw/')).rejects.toMatchObject({
        code: 'ARCHIVE_READ_FAILED',
        message: expect.stringContaining('listing s3://archive-read/events/raw/ failed'),
      });
      await reader.close?.();
    } finally {
      await proxy.close();
    }
  });

  it('fails a read with ARCHIVE_READ_FAILED naming the key', async () => {
    const reader = await writeAndOpen(raw(), []);
    await expect(reader.read('events/raw/gone.ndjson.gz')).rejects.toMatchObject({
      code: 'ARCHIVE_READ_FAILED',
      message: expect.stringMatching(/^s3 archive s3:\/\/archive-read\/events\/raw: cannot read s3:\/\/archive-read\/events\/raw\/gone\.ndjson\.gz: NoSuchKey/),
    });
    await reader.close?.();
  });
});
