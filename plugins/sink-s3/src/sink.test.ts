import type { S3Client } from '@aws-sdk/client-s3';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError } from '@k8stream/core';
import { classifySinkError, makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createS3Sink, HEALTHCHECK_OBJECT } from './index.js';
import type { S3SinkOptions } from './index.js';
import { startFaultProxy } from './fault-proxy.fixture.js';
import type { FaultProxy } from './fault-proxy.fixture.js';
import { TEST_CREDENTIALS, listKeys, readAllRecords, startS3, testClient } from './s3.fixture.js';

const BUCKET = 'archive-bucket';
const { server, endpoint } = await startS3([BUCKET]);
const client: S3Client = testClient(endpoint);
afterAll(async () => {
  client.destroy();
  await server.stop();
});

const seams: S3SinkOptions = { clientConfig: { credentials: TEST_CREDENTIALS } };
const ctx = () => testSinkContext({ name: 'archive', configDir: '/nonexistent' });
const config = (extra: Record<string, unknown> = {}) => ({
  bucket: BUCKET,
  region: 'us-east-1',
  endpoint,
  forcePathStyle: true,
  prefix: 'events',
  ...extra,
});

async function open(raw: Record<string, unknown>, options: S3SinkOptions = seams) {
  const sink = createS3Sink(options);
  return sink.create(sink.validate(raw), ctx());
}

beforeEach(() => server.emptyBucket(BUCKET));

describe('s3 sink: layout', () => {
  it('writes one object per batch under hive-style partitions, with Content-Type and Content-Encoding', async () => {
    const instance = await open(config());
    const batch = await makeTestBatch(sampleRecords(4), undefined, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    const key = `events/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`;
    expect(await listKeys(client, BUCKET)).toEqual([key]);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('application/x-ndjson');
    expect(head.ContentEncoding).toBe('gzip');
    expect(head.ContentLength).toBe(batch.body.byteLength);
    expect(head.Metadata).toEqual({ 'k8stream-batch-id': batch.id, 'k8stream-records': '4' });
    expect(await readAllRecords(client, BUCKET)).toEqual(batch.records);
    expect(instance.describe?.()).toBe(`s3://${BUCKET}/events`);
    await instance.close?.();
  });

  it('follows a custom key template; uncompressed JSON has no Content-Encoding', async () => {
    const instance = await open(config({ prefix: 'a/b', key: '{prefix}/{sink}/{yyyy}{MM}{dd}-{HH}{mm}-{batchId}{ext}' }));
    const batch = await makeTestBatch(sampleRecords(2), { format: 'json', compression: 'none' }, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    const key = `a/b/archive/20260102-0304-${batch.id}.json`;
    expect(await listKeys(client, BUCKET)).toEqual([key]);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentType).toBe('application/json');
    expect(head.ContentEncoding).toBeUndefined();
    await instance.close?.();
  });

  it('fills in defaults', () => {
    expect(createS3Sink().validate({ bucket: 'my-bucket' })).toEqual({
      bucket: 'my-bucket',
      region: undefined,
      prefix: '',
      key: '{prefix}/cluster={cluster}/dt={date}/hour={HH}/{batchId}{ext}',
      endpoint: undefined,
      forcePathStyle: false,
      profile: undefined,
      storageClass: undefined,
      serverSideEncryption: undefined,
      kmsKeyId: undefined,
      multipartThreshold: 8 * 1024 * 1024,
      partSize: 8 * 1024 * 1024,
      queueSize: 4,
      maxAttempts: 3,
    });
  });
});

describe('s3 sink: multipart', () => {
  it('uploads a body above multipartThreshold in parts, and a retry overwrites the same key', async () => {
    const MiB = 1024 * 1024;
    const instance = await open(config({ multipartThreshold: '5MiB', partSize: '5MiB', queueSize: 2 }));
    const batch = await makeTestBatch(sampleRecords(9000), { format: 'ndjson', compression: 'none' }, { sink: 'archive' });
    expect(batch.body.byteLength).toBeGreaterThan(5 * MiB);
    expect(batch.body.byteLength).toBeLessThan(10 * MiB);
    await instance.send(batch, testSendContext());
    const keys = await listKeys(client, BUCKET);
    expect(keys).toEqual([`events/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson`]);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: keys[0]! }));
    // A multipart object's ETag is `"<md5 of part md5s>-<part count>"`.
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}-2"$/);
    expect(head.ContentType).toBe('application/x-ndjson');
    expect(head.ContentLength).toBe(batch.body.byteLength);
    expect(await readAllRecords(client, BUCKET)).toEqual(batch.records);
    await instance.send(batch, testSendContext({ attempt: 2 }));
    expect(await listKeys(client, BUCKET)).toEqual(keys);
    await instance.close?.();
  });

  it('a body below the threshold is one PutObject (plain ETag)', async () => {
    const instance = await open(config());
    const batch = await makeTestBatch(sampleRecords(50), undefined, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    const [key] = await listKeys(client, BUCKET);
    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key! }));
    expect(head.ETag).toMatch(/^"[0-9a-f]{32}"$/);
    await instance.close?.();
  });
});

describe('s3 sink: failures through a faulty proxy', () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await startFaultProxy(endpoint);
  });
  afterEach(async () => {
    await proxy.close();
  });

  it('SlowDown (503) is retry-after with the Retry-After wait; the retried batch overwrites the same key', async () => {
    const instance = await open(config({ endpoint: proxy.endpoint, maxAttempts: 1 }));
    const batch = await makeTestBatch(sampleRecords(5), undefined, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    const keys = await listKeys(client, BUCKET);
    expect(keys).toHaveLength(1);

    proxy.failNext(1, { kind: 'status', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.', headers: { 'retry-after': '2' } });
    const err = await instance.send(batch, testSendContext({ attempt: 2 })).catch((e: unknown) => e);
    expect(classifySinkError(err)).toBe('retry-after');
    expect(err).toMatchObject({ code: 'SINK_RETRY_AFTER', retryAfterMs: 2000, plugin: 'archive' });
    expect((err as Error).message).toBe(`s3 sink "archive": throttled writing s3://${BUCKET}/${keys[0]}: SlowDown (HTTP 503): Please reduce your request rate.`);

    await instance.send(batch, testSendContext({ attempt: 3 }));
    expect(await listKeys(client, BUCKET)).toEqual(keys);
    expect(await readAllRecords(client, BUCKET)).toEqual(batch.records);
    expect(proxy.requests.map((r) => [r.method, r.faulted])).toEqual([
      ['PUT', false],
      ['PUT', true],
      ['PUT', false],
    ]);
    await instance.close?.();
  });

  it('the SDK retries 503 SlowDown, 500 and a connection reset itself, then succeeds (maxAttempts 4)', async () => {
    const instance = await open(config({ endpoint: proxy.endpoint, maxAttempts: 4 }));
    const batch = await makeTestBatch(sampleRecords(5), undefined, { sink: 'archive' });
    proxy.failNext(1, { kind: 'status', status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' });
    await instance.send(batch, testSendContext());
    proxy.failNext(2, { kind: 'status', status: 500, code: 'InternalError', message: 'We encountered an internal error.' });
    await instance.send(batch, testSendContext({ attempt: 2 }));
    proxy.failNext(1, { kind: 'reset' });
    await instance.send(batch, testSendContext({ attempt: 3 }));
    expect(proxy.requests.map((r) => r.faulted)).toEqual([true, false, true, true, false, true, false]);
    expect(await listKeys(client, BUCKET)).toEqual([`events/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`]);
    expect(await readAllRecords(client, BUCKET)).toEqual(batch.records);
    await instance.close?.();
  });

  it('500 and a connection reset are transient (the core backs off and retries)', async () => {
    const instance = await open(config({ endpoint: proxy.endpoint, maxAttempts: 1 }));
    const batch = await makeTestBatch(sampleRecords(5), undefined, { sink: 'archive' });
    proxy.failNext(1, { kind: 'status', status: 500, code: 'InternalError', message: 'We encountered an internal error.' });
    expect(classifySinkError(await instance.send(batch, testSendContext()).catch((e: unknown) => e))).toBe('transient');
    proxy.failNext(1, { kind: 'reset' });
    expect(classifySinkError(await instance.send(batch, testSendContext({ attempt: 2 })).catch((e: unknown) => e))).toBe('transient');
    expect(await listKeys(client, BUCKET)).toEqual([]);
    await instance.send(batch, testSendContext({ attempt: 3 }));
    expect(await listKeys(client, BUCKET)).toHaveLength(1);
    await instance.close?.();
  });

  it('AccessDenied (403) is permanent, with a hint naming the permission', async () => {
    const instance = await open(config({ endpoint: proxy.endpoint, maxAttempts: 3 }));
    const batch = await makeTestBatch(sampleRecords(5), undefined, { sink: 'archive' });
    proxy.failNext(5, { kind: 'status', status: 403, code: 'AccessDenied', message: 'Access Denied' });
    const err = (await instance.send(batch, testSendContext()).catch((e: unknown) => e)) as K8streamError;
    expect(classifySinkError(err)).toBe('permanent');
    expect(err.message).toMatch(/^s3 sink "archive": cannot write s3:\/\/archive-bucket\/events\/.*\.ndjson\.gz: AccessDenied \(HTTP 403\): Access Denied$/);
    expect(err.hint).toContain('grant s3:PutObject');
    expect(proxy.requests).toHaveLength(1);
    await instance.close?.();
  });

  it('an error for bad credentials names neither the access key id nor the secret', async () => {
    const creds = { accessKeyId: 'AKIAZZBADKEY12345678', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYBADSECRET1' };
    const instance = await open(config({ endpoint: proxy.endpoint, maxAttempts: 1 }), { clientConfig: { credentials: creds } });
    const fault = {
      kind: 'status',
      status: 403,
      code: 'InvalidAccessKeyId',
      message: `The AWS Access Key Id you provided does not exist in our records: ${creds.accessKeyId}`,
      extraXml: `<AWSAccessKeyId>${creds.accessKeyId}</AWSAccessKeyId>`,
    } as const;
    proxy.failNext(2, fault);
    const health = (await instance.healthcheck?.().catch((e: unknown) => e)) as K8streamError;
    const send = (await instance.send(await makeTestBatch(sampleRecords(1)), testSendContext()).catch((e: unknown) => e)) as K8streamError;
    expect(health.code).toBe('SINK_UNHEALTHY');
    expect(health.message).toBe(`s3 sink "archive": reaching bucket s3://${BUCKET} failed: HTTP 403`);
    expect(health.hint).toContain('check the credentials');
    expect(classifySinkError(send)).toBe('permanent');
    expect(send.message).toContain('InvalidAccessKeyId (HTTP 403): The AWS Access Key Id you provided does not exist in our records: [REDACTED]');
    for (const err of [health, send]) {
      const everything = `${err.toUserString()}\n${JSON.stringify(err)}\n${String(err.cause)}\n${err.stack}`;
      expect(everything).not.toContain(creds.accessKeyId);
      expect(everything).not.toContain(creds.secretAccessKey);
      expect(everything).not.toContain('BADSECRET');
    }
    await instance.close?.();
  });
});

describe('s3 sink: healthcheck', () => {
  it('passes for a reachable, writable bucket and leaves only its probe object', async () => {
    const instance = await open(config());
    await expect(instance.healthcheck?.()).resolves.toBeUndefined();
    expect(await listKeys(client, BUCKET, true)).toEqual([`events/${HEALTHCHECK_OBJECT}`]);
    await instance.close?.();
  });

  it('fails clearly for a missing bucket', async () => {
    const instance = await open(config({ bucket: 'missing-bucket', maxAttempts: 1 }));
    const err = (await instance.healthcheck?.().catch((e: unknown) => e)) as K8streamError;
    expect(err).toBeInstanceOf(K8streamError);
    expect(err.code).toBe('SINK_UNHEALTHY');
    expect(err.plugin).toBe('archive');
    expect(err.message).toBe('s3 sink "archive": reaching bucket s3://missing-bucket failed: NotFound (HTTP 404)');
    expect(err.hint).toBe('create the bucket s3://missing-bucket or fix "bucket" (k8stream never creates buckets)');
    await instance.close?.();
  });

  it('fails clearly when nothing listens at the endpoint', async () => {
    const instance = await open(config({ endpoint: 'http://127.0.0.1:1', maxAttempts: 1 }));
    const err = (await instance.healthcheck?.().catch((e: unknown) => e)) as K8streamError;
    expect(err.code).toBe('SINK_UNHEALTHY');
    expect(err.message).toMatch(/^s3 sink "archive": reaching bucket s3:\/\/archive-bucket failed: .*ECONNREFUSED/);
    expect(err.hint).toBe('check "endpoint" and "region" and that the store is reachable from here');
    await instance.close?.();
  });

  it('fails clearly when no credentials can be found', async () => {
    const noCreds = async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' });
    };
    const instance = await open(config({ maxAttempts: 1 }), { clientConfig: { credentials: noCreds } });
    const err = (await instance.healthcheck?.().catch((e: unknown) => e)) as K8streamError;
    expect(err.code).toBe('SINK_UNHEALTHY');
    expect(err.message).toBe('s3 sink "archive": no AWS credentials found');
    expect(err.hint).toContain('AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY');
    expect(err.hint).toContain('IRSA');
    await instance.close?.();
  });
});
