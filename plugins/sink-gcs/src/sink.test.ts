import * as path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError, PermanentError, RetryAfterError } from '@k8stream/core';
import type { Batch } from '@k8stream/core';
import { classifySinkError, decodeBody, makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { BATCH_ID_METADATA, createGcsSink, storageOptions, validateGcsSinkConfig } from './index.js';
import { startGcsServer } from './gcs-server.fixture.js';
import { listKeys, readAllRecords, testStorage } from './read-back.fixture.js';

const server = await startGcsServer();
afterAll(() => server.close());
beforeEach(() => server.reset(['events']));

const sink = createGcsSink();
const ctx = () => testSinkContext({ name: 'archive', configDir: '/etc/k8stream' });
const open = (config: Record<string, unknown> = {}) => sink.create(sink.validate({ bucket: 'events', prefix: 'k8s', apiEndpoint: server.url, ...config }), ctx());
const batchOf = (count: number, from = 0, compression: 'gzip' | 'zstd' | 'none' = 'gzip') =>
  makeTestBatch(sampleRecords(count, from), { format: 'ndjson', compression }, { sink: 'archive' });
const uploads = () => server.requests.filter((r) => r.path.startsWith('/upload/')).map((r) => `${r.method} ${r.uploadType ?? ''}`);
const stored = (key: string) => {
  const obj = server.buckets.get('events')?.get(key);
  if (!obj) throw new Error(`no object ${key}`);
  return obj;
};
async function sendError(run: () => Promise<unknown>): Promise<unknown> {
  try {
    await run();
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe('gcs sink: layout and metadata', () => {
  it('writes a small batch with one multipart upload at the default Hive-style key', async () => {
    const instance = await open();
    const batch = await batchOf(4);
    await instance.send(batch, testSendContext());
    const key = `k8s/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`;
    expect(await listKeys(testStorage(server.url), 'events')).toEqual([key]);
    expect(uploads()).toEqual(['POST multipart']);
    const obj = stored(key);
    expect(new Uint8Array(obj.data)).toEqual(batch.body);
    expect(obj.contentType).toBe('application/x-ndjson');
    expect(obj.contentEncoding).toBe('gzip');
    expect(obj.metadata).toEqual({ [BATCH_ID_METADATA]: batch.id, 'k8stream-cluster': 'test-cluster', 'k8stream-records': '4' });
    expect(server.requests.find((r) => r.path.startsWith('/upload/'))?.query['ifGenerationMatch']).toBe('0');
    expect(instance.describe?.()).toBe('gs://events/k8s');
  });

  it('follows a custom key template, leaves contentEncoding unset for uncompressed batches, and sets the storage class', async () => {
    const instance = await open({ prefix: 'a/b', key: '{prefix}/{sink}/{date}/{batchId}{ext}', storageClass: 'NEARLINE' });
    const batch = await makeTestBatch(sampleRecords(2), { format: 'json', compression: 'none' }, { sink: 'archive' });
    await instance.send(batch, testSendContext());
    const key = `a/b/archive/2026-01-02/${batch.id}.json`;
    const obj = stored(key);
    expect(obj.contentType).toBe('application/json');
    expect(obj.contentEncoding).toBeUndefined();
    expect(decodeBody(obj.data, batch.encoding)).toEqual(batch.records);
    expect(await readAllRecords(testStorage(server.url), 'events')).toEqual(batch.records);
  });
});

describe('gcs sink: upload type', () => {
  it('uses a resumable upload at or above resumableThreshold, byte for byte', async () => {
    const instance = await open({ resumableThreshold: '1KiB' });
    const batch = await batchOf(300, 0, 'none');
    expect(batch.body.byteLength).toBeGreaterThan(1024);
    await instance.send(batch, testSendContext());
    expect(uploads()[0]).toBe('POST resumable');
    expect(
      uploads()
        .slice(1)
        .every((u) => u.startsWith('PUT')),
    ).toBe(true);
    expect(uploads().length).toBeGreaterThanOrEqual(2);
    const obj = stored(`k8s/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson`);
    expect(new Uint8Array(obj.data)).toEqual(batch.body);
    expect(obj.contentType).toBe('application/x-ndjson');
    expect(obj.metadata[BATCH_ID_METADATA]).toBe(batch.id);
  });

  it('uses a multipart upload just below the threshold', async () => {
    const batch = await batchOf(3);
    const instance = await open({ resumableThreshold: batch.body.byteLength + 1 });
    await instance.send(batch, testSendContext());
    expect(uploads()).toEqual(['POST multipart']);
  });

  it('a resumable retry of an already written batch is acknowledged (412 at session start)', async () => {
    const instance = await open({ resumableThreshold: 0 });
    const batch = await batchOf(5);
    await instance.send(batch, testSendContext());
    const before = stored(`k8s/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`).generation;
    await instance.send(batch, testSendContext({ attempt: 2 }));
    expect(stored(`k8s/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`).generation).toBe(before);
  });
});

describe('gcs sink: never clobbers (ifGenerationMatch: 0)', () => {
  it('treats a 412 on the same batch id as success and leaves the object untouched', async () => {
    const instance = await open();
    const batch = await batchOf(6);
    await instance.send(batch, testSendContext());
    const key = `k8s/cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`;
    const generation = stored(key).generation;
    server.requests.length = 0;
    await expect(instance.send(batch, testSendContext({ attempt: 2 }))).resolves.toBeUndefined();
    expect(stored(key).generation).toBe(generation);
    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /upload/storage/v1/b/events/o', `GET /storage/v1/b/events/o/${encodeURIComponent(key)}`]);
  });

  it('rejects permanently when another batch already holds the key', async () => {
    const instance = await open({ key: '{prefix}/fixed-{batchId}' });
    const batch = await batchOf(2);
    const key = `k8s/fixed-${batch.id}`;
    server.putObject('events', { name: key, data: Buffer.from('other'), contentType: 'text/plain', contentEncoding: undefined, metadata: { [BATCH_ID_METADATA]: 'someone-else' } });
    const err = await sendError(() => instance.send(batch, testSendContext()));
    expect(err).toBeInstanceOf(PermanentError);
    expect((err as Error).message).toContain(`gs://events/${key} already exists and holds another batch ("someone-else")`);
    expect(stored(key).data.toString()).toBe('other');
  });
});

describe('gcs sink: error classification', () => {
  it('503 becomes RetryAfterError (default wait) and the client does not retry on its own', async () => {
    const instance = await open();
    server.inject({ method: 'POST', pathIncludes: '/upload/', status: 503 });
    const err = await sendError(async () => instance.send(await batchOf(2), testSendContext()));
    expect(err).toBeInstanceOf(RetryAfterError);
    expect((err as RetryAfterError).retryAfterMs).toBe(1000);
    expect(uploads()).toEqual(['POST multipart']);
  });

  it('429 honours Retry-After', async () => {
    const instance = await open();
    server.inject({ method: 'POST', pathIncludes: '/upload/', status: 429, headers: { 'retry-after': '7' } });
    const err = await sendError(async () => instance.send(await batchOf(2), testSendContext()));
    expect(classifySinkError(err)).toBe('retry-after');
    expect((err as RetryAfterError).retryAfterMs).toBe(7000);
    expect((err as Error).message).toMatch(/^gcs sink "archive": throttled writing gs:\/\/events\/k8s\/cluster=test-cluster\/.*HTTP 429/);
  });

  it('403 and 404 are permanent, with a hint', async () => {
    const instance = await open();
    server.inject({ method: 'POST', pathIncludes: '/upload/', status: 403, times: 1 });
    const denied = await sendError(async () => instance.send(await batchOf(2), testSendContext()));
    expect(denied).toBeInstanceOf(PermanentError);
    expect((denied as PermanentError).hint).toBe('grant the credentials roles/storage.objectCreator (storage.objects.create) on bucket "events"');
    server.buckets.delete('events');
    const missing = await sendError(async () => instance.send(await batchOf(2), testSendContext()));
    expect(missing).toBeInstanceOf(PermanentError);
    expect((missing as PermanentError).hint).toBe('check that bucket "events" exists');
  });

  it('a 503 during a resumable PUT is retry-after too; a 500 is transient', async () => {
    const instance = await open({ resumableThreshold: 0 });
    server.inject({ method: 'PUT', pathIncludes: '/upload/', status: 503, times: 1 });
    expect(classifySinkError(await sendError(async () => instance.send(await batchOf(2), testSendContext())))).toBe('retry-after');
    server.inject({ method: 'POST', pathIncludes: '/upload/', status: 500, times: 1 });
    const err = await sendError(async () => instance.send(await batchOf(2), testSendContext()));
    expect(classifySinkError(err)).toBe('transient');
    expect(err).toMatchObject({ code: 'SINK_TRANSIENT', plugin: 'archive' });
  });

  it('an aborted signal rejects before uploading, and a closed sink refuses to send', async () => {
    const instance = await open();
    const controller = new AbortController();
    controller.abort(new Error('send timeout'));
    await expect(instance.send(await batchOf(1), testSendContext({ signal: controller.signal }))).rejects.toThrow('send timeout');
    await instance.close?.();
    const err = await sendError(async () => instance.send(await batchOf(1), testSendContext()));
    expect((err as K8streamError).code).toBe('SINK_CLOSED');
    expect(uploads()).toEqual([]);
  });
});

describe('gcs sink: healthcheck', () => {
  it('passes on a writable bucket and removes its probe object', async () => {
    const instance = await open();
    await expect(instance.healthcheck?.()).resolves.toBeUndefined();
    expect(uploads()).toEqual(['POST multipart']);
    expect(server.buckets.get('events')?.size).toBe(0);
  });

  it('fails clearly on a missing bucket', async () => {
    const instance = await open({ bucket: 'missing-bucket' });
    const err = await sendError(() => instance.healthcheck!());
    expect(err).toBeInstanceOf(K8streamError);
    expect((err as K8streamError).code).toBe('SINK_UNHEALTHY');
    expect((err as Error).message).toBe('gcs sink "archive": bucket "missing-bucket" does not exist');
    expect((err as K8streamError).path).toBe('gs://missing-bucket');
  });

  it('fails clearly when writing is forbidden', async () => {
    const instance = await open();
    server.inject({ pathIncludes: '/upload/', status: 403 });
    const err = await sendError(() => instance.healthcheck!());
    expect((err as Error).message).toBe('gcs sink "archive": not allowed to write to bucket "events" (HTTP 403)');
  });
});

describe('gcs sink: client options', () => {
  it('resolves keyFilename against the config directory and turns the client retries off', () => {
    const config = validateGcsSinkConfig({ bucket: 'events', keyFilename: 'keys/sa.json', projectId: 'p1' });
    expect(storageOptions(config, '/etc/k8stream')).toEqual({
      retryOptions: { autoRetry: false },
      projectId: 'p1',
      keyFilename: path.join('/etc/k8stream', 'keys/sa.json'),
    });
  });

  it('passes a custom endpoint without auth unless asked', () => {
    const config = validateGcsSinkConfig({ bucket: 'events', apiEndpoint: 'http://localhost:4443/' });
    expect(config.apiEndpoint).toBe('http://localhost:4443');
    expect(config.resumableThreshold).toBe(8 * 1024 * 1024);
    expect(storageOptions(config, '/x')).toEqual({ retryOptions: { autoRetry: false }, apiEndpoint: 'http://localhost:4443', useAuthWithCustomEndpoint: false });
  });

  it('lets a test seam build the client', async () => {
    const seen: unknown[] = [];
    const seamed = createGcsSink({
      createStorage: (o) => {
        seen.push(o);
        return testStorage(server.url);
      },
    });
    const instance = await seamed.create(seamed.validate({ bucket: 'events' }), ctx());
    const batch: Batch<unknown> = await batchOf(1);
    await instance.send(batch, testSendContext());
    expect(seen).toEqual([{ retryOptions: { autoRetry: false } }]);
    expect(await listKeys(testStorage(server.url), 'events')).toEqual([`cluster=test-cluster/dt=2026-01-02/hour=03/${batch.id}.ndjson.gz`]);
  });
});
