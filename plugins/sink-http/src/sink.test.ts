import { gunzipSync } from 'node:zlib';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { K8streamError, PermanentError, RetryAfterError } from '@k8stream/core';
import type { Batch, SinkInstance } from '@k8stream/core';
import { classifySinkError, makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import { createHttpSink } from './sink.js';
import { closedPort, startReceiver } from './receiver.fixture.js';

const TOKEN = 's3cr3t-t0ken-value';
const env = { SINK_TOKEN: TOKEN, SINK_USER: 'alice', SINK_PASS: 'pa55-w0rd' };
const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const receiver = await startReceiver();
afterAll(() => receiver.close());
beforeEach(() => receiver.reset());

async function sinkFor(config: Record<string, unknown>, environment: NodeJS.ProcessEnv = env): Promise<SinkInstance> {
  const plugin = createHttpSink({ env: environment, now: () => NOW });
  return plugin.create(plugin.validate({ url: receiver.url, ...config }), testSinkContext({ name: 'collector' }));
}

async function failure(sink: SinkInstance, batch?: Batch<unknown>): Promise<unknown> {
  try {
    await sink.send(batch ?? (await makeTestBatch(sampleRecords(3))), testSendContext());
  } catch (err) {
    return err;
  }
  throw new Error('send resolved');
}

describe('requests', () => {
  it('sends the batch body with its content headers, configured headers and the batch id', async () => {
    const sink = await sinkFor({ headers: { 'X-Scope-OrgID': 'team-a' } });
    const batch = await makeTestBatch(sampleRecords(4));
    await sink.send(batch, testSendContext());
    expect(receiver.requests).toHaveLength(1);
    const [req] = receiver.requests;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/ingest');
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.headers['content-encoding']).toBe('gzip');
    expect(req?.headers['x-scope-orgid']).toBe('team-a');
    expect(req?.headers['idempotency-key']).toBe(batch.id);
    expect(req?.headers['x-k8stream-records']).toBe('4');
    expect(req?.headers.authorization).toBeUndefined();
    expect(new Uint8Array(req?.body ?? [])).toEqual(batch.body);
  });

  it('uses PUT when configured', async () => {
    await (await sinkFor({ method: 'PUT' })).send(await makeTestBatch(sampleRecords(1)), testSendContext());
    expect(receiver.requests[0]?.method).toBe('PUT');
  });

  it('sends a bearer token read from the named environment variable', async () => {
    await (await sinkFor({ bearerTokenEnv: 'SINK_TOKEN' })).send(await makeTestBatch(sampleRecords(1)), testSendContext());
    expect(receiver.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('sends basic auth read from the named environment variables', async () => {
    const sink = await sinkFor({ basicAuth: { usernameEnv: 'SINK_USER', passwordEnv: 'SINK_PASS' } });
    await sink.send(await makeTestBatch(sampleRecords(1)), testSendContext());
    expect(receiver.requests[0]?.headers.authorization).toBe(`Basic ${Buffer.from('alice:pa55-w0rd').toString('base64')}`);
  });

  it('fails at create when a named environment variable is missing, naming the variable', async () => {
    const err = await sinkFor({ basicAuth: { usernameEnv: 'SINK_USER', passwordEnv: 'MISSING_PASS' } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(K8streamError);
    expect((err as K8streamError).code).toBe('PLUGIN_CONFIG_INVALID');
    expect((err as K8streamError).path).toBe('basicAuth.passwordEnv');
    expect((err as Error).message).toBe('environment variable MISSING_PASS (named by basicAuth.passwordEnv of the http sink) is not set or empty');
    expect((err as Error).message).not.toContain('alice');
  });

  it('fails at create when tls.caFile cannot be read', async () => {
    const err = await sinkFor({ tls: { caFile: '/nonexistent/ca.pem' } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'SINK_UNHEALTHY', plugin: 'collector' });
    expect((err as Error).message).toBe('cannot read tls.caFile /nonexistent/ca.pem of the http sink');
  });
});

describe('responses', () => {
  it('acknowledges any 2xx', async () => {
    const sink = await sinkFor({});
    receiver.respond.push({ status: 204 }, { status: 202, body: 'queued' });
    await expect(sink.send(await makeTestBatch(sampleRecords(1)), testSendContext())).resolves.toBeUndefined();
    await expect(sink.send(await makeTestBatch(sampleRecords(2)), testSendContext())).resolves.toBeUndefined();
  });

  it('turns 429 with Retry-After seconds into a RetryAfterError with that delay', async () => {
    receiver.respond.push({ status: 429, headers: { 'retry-after': '7' }, body: 'slow down' });
    const err = await failure(await sinkFor({}));
    expect(err).toBeInstanceOf(RetryAfterError);
    expect(err).toMatchObject({ retryAfterMs: 7000, plugin: 'collector' });
    expect((err as Error).message).toBe(`POST ${receiver.url} answered 429: slow down`);
  });

  it('turns 429 with an HTTP-date Retry-After into the time left until that date', async () => {
    receiver.respond.push({ status: 429, headers: { 'retry-after': new Date(NOW + 90_000).toUTCString() } });
    const err = await failure(await sinkFor({}));
    expect((err as RetryAfterError).retryAfterMs).toBe(90_000);
  });

  it('retries 5xx with backoff as SINK_TRANSIENT naming the sink instance, or after Retry-After when given', async () => {
    const sink = await sinkFor({});
    receiver.respond.push({ status: 502, body: 'bad gateway' }, { status: 500, headers: { 'retry-after': '2' } });
    const plain = await failure(sink);
    expect(classifySinkError(plain)).toBe('transient');
    expect(plain).toMatchObject({ code: 'SINK_TRANSIENT', plugin: 'collector' });
    expect((plain as Error).message).toBe(`POST ${receiver.url} answered 502: bad gateway`);
    const after = await failure(sink);
    expect((after as RetryAfterError).retryAfterMs).toBe(2000);
  });

  it('waits at least a second on 503 without Retry-After (throttling)', async () => {
    receiver.respond.push({ status: 503, body: 'unavailable' });
    const err = await failure(await sinkFor({}));
    expect(err).toMatchObject({ code: 'SINK_RETRY_AFTER', retryAfterMs: 1000, plugin: 'collector' });
  });

  it('makes 400 and 404 permanent', async () => {
    const sink = await sinkFor({});
    receiver.respond.push({ status: 400, body: '{"error":"bad line"}' }, { status: 404 });
    const bad = await failure(sink);
    expect(bad).toBeInstanceOf(PermanentError);
    expect((bad as Error).message).toBe(`POST ${receiver.url} answered 400: {"error":"bad line"}`);
    expect(classifySinkError(await failure(sink))).toBe('permanent');
  });

  it('treats a refused connection as transient', async () => {
    const port = await closedPort();
    const plugin = createHttpSink({ env });
    const sink = await plugin.create(plugin.validate({ url: `http://127.0.0.1:${port}/x` }), testSinkContext());
    const err = await failure(sink);
    expect(classifySinkError(err)).toBe('transient');
    expect(err).toMatchObject({ code: 'SINK_TRANSIENT', plugin: 'test' });
    expect((err as Error).message).toContain(`POST http://127.0.0.1:${port}/x failed: `);
    expect((err as Error).message).toContain('ECONNREFUSED');
  });

  it('never puts the token in messages, even when the server echoes it', async () => {
    const sink = await sinkFor({ bearerTokenEnv: 'SINK_TOKEN' });
    receiver.respond.push({ status: 401, body: `invalid token Bearer ${TOKEN}` });
    const err = await failure(sink);
    expect(err).toBeInstanceOf(PermanentError);
    expect(err).toMatchObject({ plugin: 'collector', hint: 'check the credentials (bearerTokenEnv/basicAuth) and their permissions' });
    expect((err as Error).message).toBe(`POST ${receiver.url} answered 401: invalid token Bearer [REDACTED]`);
    expect(JSON.stringify({ ...(err as object), message: (err as Error).message })).not.toContain(TOKEN);
    expect(sink.describe?.()).not.toContain(TOKEN);
  });

  it('never puts basic auth credentials or URL passwords in messages', async () => {
    const sink = await sinkFor({ basicAuth: { usernameEnv: 'SINK_USER', passwordEnv: 'SINK_PASS' } });
    const encoded = Buffer.from('alice:pa55-w0rd').toString('base64');
    receiver.respond.push({ status: 403, body: `denied ${encoded} pa55-w0rd` });
    const err = await failure(sink);
    expect((err as Error).message).toBe(`POST ${receiver.url} answered 403: denied [REDACTED] [REDACTED]`);
    const withPassword = await sinkFor({ url: receiver.url.replace('http://', 'http://bob:hunter22@') });
    receiver.respond.push({ status: 500, body: 'hunter22' });
    const err2 = await failure(withPassword);
    expect((err2 as Error).message).toBe(`POST ${receiver.url} answered 500: [REDACTED]`);
    expect(withPassword.describe?.()).toBe(`batch POST ${receiver.url}`);
  });
});

describe('loki body', () => {
  it('posts a push request grouped by cluster/namespace/type/reason with ns timestamps', async () => {
    const records = sampleRecords(6);
    const batch = await makeTestBatch(records);
    await (await sinkFor({ body: 'loki' })).send(batch, testSendContext());
    const [req] = receiver.requests;
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['content-encoding']).toBeUndefined();
    const push = JSON.parse(req?.body.toString('utf8') ?? '') as { streams: { stream: Record<string, string>; values: [string, string][] }[] };
    const expected = new Map<string, [string, string][]>();
    for (const r of records) {
      const key = JSON.stringify({ cluster: r.cluster, namespace: r.namespace, type: r.type, reason: r.reason });
      const ts = (BigInt(Date.parse(r.lastTimestamp ?? r.eventTime ?? r.firstTimestamp ?? '')) * 1_000_000n).toString();
      expected.set(key, [...(expected.get(key) ?? []), [ts, JSON.stringify(r)]]);
    }
    expect(push.streams.map((s) => JSON.stringify(s.stream)).sort()).toEqual([...expected.keys()].sort());
    for (const s of push.streams) {
      const want = [...(expected.get(JSON.stringify(s.stream)) ?? [])].sort((a, b) => (BigInt(a[0]) < BigInt(b[0]) ? -1 : BigInt(a[0]) > BigInt(b[0]) ? 1 : 0));
      expect(s.values).toEqual(want);
      for (const [ts] of s.values) expect(ts).toMatch(/^\d{19}$/);
    }
  });

  it('gzips the push request when compression is gzip', async () => {
    await (await sinkFor({ body: 'loki', compression: 'gzip' })).send(await makeTestBatch(sampleRecords(2)), testSendContext());
    const [req] = receiver.requests;
    expect(req?.headers['content-encoding']).toBe('gzip');
    const push = JSON.parse(gunzipSync(req?.body ?? Buffer.alloc(0)).toString('utf8')) as { streams: unknown[] };
    expect(push.streams.length).toBeGreaterThan(0);
  });
});

describe('elasticsearch body', () => {
  const bulkLines = (body: Buffer) =>
    body
      .toString('utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as unknown);

  it('posts an NDJSON _bulk body with _id = record id and a dated index', async () => {
    const records = sampleRecords(3);
    const batch = await makeTestBatch(records);
    await (await sinkFor({ body: 'elasticsearch', index: 'k8s-{cluster}-{yyyy}.{MM}.{dd}' })).send(batch, testSendContext());
    const [req] = receiver.requests;
    expect(req?.headers['content-type']).toBe('application/x-ndjson');
    expect(req?.body.toString('utf8').endsWith('\n')).toBe(true);
    const expected = records.flatMap((r) => {
      const d = new Date(Date.parse(r.lastTimestamp ?? r.eventTime ?? r.firstTimestamp ?? ''));
      const day = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
      return [{ index: { _index: `k8s-${r.cluster}-${day}`, _id: r.id } }, r];
    });
    expect(bulkLines(req?.body ?? Buffer.alloc(0))).toEqual(expected);
  });

  it('sends the same _ids when a batch is redelivered, so documents are overwritten, not duplicated', async () => {
    const sink = await sinkFor({ body: 'elasticsearch' });
    const batch = await makeTestBatch(sampleRecords(5));
    await sink.send(batch, testSendContext());
    await sink.send(batch, testSendContext({ attempt: 2 }));
    const ids = receiver.requests.map((r) => bulkLines(r.body).filter((_, i) => i % 2 === 0));
    expect(ids[0]).toEqual(ids[1]);
    expect(ids[0]).toEqual(batch.records.map((r) => ({ index: { _index: expect.any(String) as unknown, _id: (r as { id: string }).id } })));
  });

  it('reads the errors flag: per-item 429 retries after Retry-After, other item errors are permanent', async () => {
    const sink = await sinkFor({ body: 'elasticsearch' });
    const item = (status: number, type?: string) => ({ index: { _id: 'x', status, ...(type ? { error: { type, reason: `${type} happened` } } : {}) } });
    receiver.respond.push(
      { status: 200, body: JSON.stringify({ errors: false, items: [item(201)] }) },
      { status: 200, headers: { 'retry-after': '5' }, body: JSON.stringify({ errors: true, items: [item(201), item(429, 'es_rejected_execution_exception')] }) },
      { status: 200, body: JSON.stringify({ errors: true, items: [item(429, 'es_rejected_execution_exception')] }) },
      { status: 200, body: JSON.stringify({ errors: true, items: [item(200), item(400, 'mapper_parsing_exception')] }) },
      { status: 200, body: JSON.stringify({ errors: true, items: [item(503, 'unavailable_shards_exception')] }) },
    );
    await expect(sink.send(await makeTestBatch(sampleRecords(1)), testSendContext())).resolves.toBeUndefined();
    const throttled = await failure(sink);
    expect((throttled as RetryAfterError).retryAfterMs).toBe(5000);
    expect((throttled as Error).message).toBe(`POST ${receiver.url} rejected 1 bulk item(s) with 429`);
    expect((await failure(sink)) as RetryAfterError).toMatchObject({ code: 'SINK_RETRY_AFTER', retryAfterMs: 1000 });
    const permanent = await failure(sink);
    expect(permanent).toBeInstanceOf(PermanentError);
    expect((permanent as Error).message).toBe(`POST ${receiver.url} rejected 1 bulk item(s): 400 mapper_parsing_exception: mapper_parsing_exception happened`);
    const transient = await failure(sink);
    expect(classifySinkError(transient)).toBe('transient');
    expect(transient).toMatchObject({ code: 'SINK_TRANSIENT', plugin: 'collector' });
  });

  it('never puts the token in bulk item errors', async () => {
    const sink = await sinkFor({ body: 'elasticsearch', bearerTokenEnv: 'SINK_TOKEN' });
    const item = { index: { _id: 'x', status: 400, error: { type: 'security_exception', reason: `bad token ${TOKEN}` } } };
    receiver.respond.push({ status: 200, body: JSON.stringify({ errors: true, items: [item] }) });
    const err = await failure(sink);
    expect((err as Error).message).toBe(`POST ${receiver.url} rejected 1 bulk item(s): 400 security_exception: bad token [REDACTED]`);
  });
});

describe('close', () => {
  it('rejects sends after close with SINK_CLOSED naming the instance', async () => {
    const sink = await sinkFor({});
    await sink.close?.();
    await expect(sink.send(await makeTestBatch(sampleRecords(1)), testSendContext())).rejects.toMatchObject({
      code: 'SINK_CLOSED',
      message: 'http sink "collector" is closed',
      plugin: 'collector',
    });
    expect(receiver.requests).toHaveLength(0);
  });
});
