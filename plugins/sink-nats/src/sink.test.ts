// Behaviour of the NATS sink against a real nats-server: the bounded publish window, abort,
// the healthcheck's stream checks, stream creation, and dead-letter records.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { classifySinkError, makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '@k8stream/core/testing';
import type { SinkInstance } from '@k8stream/core';
import { createStream, readStream, startNatsServer, startTcpProxy, testConnection } from '../../../test/helpers/nats.fixture.js';
import type { NatsServer, TcpProxy } from '../../../test/helpers/nats.fixture.js';
import { createNatsSink } from './index.js';

let server: NatsServer;
let nc: NatsConnection;
const open: SinkInstance[] = [];

beforeAll(async () => {
  server = await startNatsServer();
  nc = await testConnection(server.url);
});

afterAll(async () => {
  await nc?.close();
  await server?.close();
});

beforeEach(async () => {
  const jsm = await jetstreamManager(nc);
  for await (const name of jsm.streams.names()) await jsm.streams.delete(name);
});

afterEach(async () => {
  for (const sink of open.splice(0)) await sink.close?.();
});

async function sinkWith(config: Record<string, unknown>, cluster = 'test-cluster'): Promise<SinkInstance> {
  const plugin = createNatsSink();
  const sink = await plugin.create(plugin.validate({ servers: server.url, ...config }), testSinkContext({ cluster }));
  open.push(sink);
  return sink;
}

async function healthError(sink: SinkInstance): Promise<{ code?: string; message: string; hint?: string }> {
  return sink.healthcheck!().then(
    () => {
      throw new Error('healthcheck should fail');
    },
    (err: unknown) => err as { code?: string; message: string; hint?: string },
  );
}

/** Counts publishes (HPUB) going up and acks (MSG to the reply inbox) coming down, line by line. */
function protocolCounter() {
  const state = { pubs: 0, acks: 0, maxInFlight: 0 };
  const rest = { up: '', down: '' };
  const tap = (direction: 'up' | 'down', chunk: Buffer) => {
    const lines = (rest[direction] + chunk.toString('latin1')).split('\r\n');
    rest[direction] = lines.pop()!;
    for (const line of lines) {
      if (direction === 'up' && line.startsWith('HPUB ')) state.pubs++;
      if (direction === 'down' && line.startsWith('MSG _INBOX.')) state.acks++;
    }
    state.maxInFlight = Math.max(state.maxInFlight, state.pubs - state.acks);
  };
  return { state, tap };
}

describe('publish window', () => {
  let proxy: TcpProxy;
  afterEach(async () => {
    await proxy?.close();
  });

  it('never has more than maxInFlight publishes awaiting their ack, and uses the window', async () => {
    const counter = protocolCounter();
    proxy = await startTcpProxy(server.port, { tap: counter.tap });
    await createStream(nc, 'EVENTS', ['k8s.events.>']);
    const sink = await sinkWith({ servers: proxy.url, maxInFlight: 4 });
    const batch = await makeTestBatch(sampleRecords(400));
    await sink.send(batch, testSendContext());
    expect(counter.state.pubs).toBe(400);
    expect(counter.state.acks).toBe(400);
    expect(counter.state.maxInFlight).toBeLessThanOrEqual(4);
    expect(counter.state.maxInFlight).toBeGreaterThanOrEqual(2);
    expect(await readStream(nc, 'EVENTS')).toHaveLength(400);
  });

  it('an abort of the send signal rejects the send at once, with the abort reason', async () => {
    proxy = await startTcpProxy(server.port);
    await createStream(nc, 'EVENTS', ['k8s.events.>']);
    const sink = await sinkWith({ servers: proxy.url, ackTimeout: '60s' });
    await sink.healthcheck!();
    proxy.pause(); // publishes leave the client but never reach the server: no ack comes
    const controller = new AbortController();
    const sending = sink.send(await makeTestBatch(sampleRecords(50)), testSendContext({ signal: controller.signal }));
    const reason = new Error('send timed out (test)');
    await proxy.whenHeld(50 * 1000); // the 50 publishes left the client and wait for acks
    controller.abort(reason);
    await expect(sending).rejects.toBe(reason);
    proxy.resume();

    const already = new AbortController();
    already.abort(reason);
    await expect(sink.send(await makeTestBatch(sampleRecords(1)), testSendContext({ signal: already.signal }))).rejects.toBe(reason);
  });
});

describe('healthcheck', () => {
  it('passes when a stream binds every subject of the template', async () => {
    await createStream(nc, 'EVENTS', ['k8s.events.>']);
    await expect((await sinkWith({})).healthcheck!()).resolves.toBeUndefined();
    await expect((await sinkWith({ stream: { name: 'EVENTS' } })).healthcheck!()).resolves.toBeUndefined();
  });

  it('fails when no stream binds the subjects, naming them', async () => {
    const err = await healthError(await sinkWith({}));
    expect(err).toMatchObject({ code: 'SINK_UNHEALTHY', message: 'nats sink "test": no JetStream stream binds k8s.events.test-cluster.*.*' });
    expect(err.hint).toContain('stream.create: true');
  });

  it('fails when the named stream does not exist', async () => {
    await createStream(nc, 'EVENTS', ['k8s.events.>']);
    const err = await healthError(await sinkWith({ stream: { name: 'MISSING' } }));
    expect(err).toMatchObject({ code: 'SINK_UNHEALTHY', message: 'nats sink "test": stream MISSING does not exist' });
  });

  it('fails when the stream binds only some of the subjects (another cluster)', async () => {
    await createStream(nc, 'EVENTS', ['k8s.events.other-cluster.>']);
    const err = await healthError(await sinkWith({ stream: { name: 'EVENTS' } }));
    expect(err).toMatchObject({
      code: 'SINK_UNHEALTHY',
      message: 'nats sink "test": stream EVENTS (subjects k8s.events.other-cluster.>) does not bind every subject of k8s.events.test-cluster.*.*',
    });
  });

  it('fails with a reachability hint when nothing listens, and leaves no connection behind', async () => {
    const sink = await sinkWith({ servers: 'nats://127.0.0.1:1', connectTimeout: '1s' });
    const err = await healthError(sink);
    expect(err.code).toBe('SINK_UNHEALTHY');
    expect(err.message).toMatch(/^nats sink "test": connecting to nats:\/\/127\.0\.0\.1:1 failed: /);
    expect(err.hint).toContain('reachable');
  });
});

describe('stream creation (stream.create)', () => {
  it('creates the stream with the documented defaults: subjects from the template, 2 min duplicate window, file storage', async () => {
    await (
      await sinkWith({ stream: { create: true } })
    ).healthcheck!();
    const info = await (await jetstreamManager(nc)).streams.info('K8S_EVENTS');
    expect(info.config).toMatchObject({
      name: 'K8S_EVENTS',
      subjects: ['k8s.events.>'],
      duplicate_window: 120_000_000_000,
      max_age: 7 * 86_400_000_000_000,
      num_replicas: 1,
      storage: 'file',
    });
  });

  it('takes the configured name, subjects and limits', async () => {
    await (
      await sinkWith({ subject: 'ev.{cluster}.{type}', stream: { create: true, name: 'EV', subjects: ['ev.>'], maxAge: '1h', duplicateWindow: '5m', storage: 'memory' } })
    ).healthcheck!();
    const info = await (await jetstreamManager(nc)).streams.info('EV');
    expect(info.config).toMatchObject({ name: 'EV', subjects: ['ev.>'], duplicate_window: 300_000_000_000, max_age: 3_600_000_000_000, storage: 'memory' });
  });

  it('leaves an existing stream as it is', async () => {
    await createStream(nc, 'K8S_EVENTS', ['k8s.events.>'], { duplicateWindowMs: 60_000 });
    await (
      await sinkWith({ stream: { create: true } })
    ).healthcheck!();
    const info = await (await jetstreamManager(nc)).streams.info('K8S_EVENTS');
    expect(info.config.duplicate_window).toBe(60_000_000_000);
  });

  it('creates it again when it was deleted after start (the failed send is transient, the next one goes through)', async () => {
    const sink = await sinkWith({ stream: { create: true } });
    await sink.send(await makeTestBatch(sampleRecords(2)), testSendContext());
    await (await jetstreamManager(nc)).streams.delete('K8S_EVENTS');
    const failed = await sink.send(await makeTestBatch(sampleRecords(3)), testSendContext()).then(
      () => null,
      (err: unknown) => err,
    );
    expect(classifySinkError(failed)).toBe('transient');
    expect((failed as Error).message).toMatch(
      /^nats sink "test": no JetStream stream binds subject k8s\.events\.test-cluster\.shop\.(Normal|Warning); stream K8S_EVENTS is created again on the next attempt$/,
    );
    await sink.send(await makeTestBatch(sampleRecords(3)), testSendContext({ attempt: 2 }));
    expect(await readStream(nc, 'K8S_EVENTS')).toHaveLength(3);
  });

  it('also creates it on the first send when no healthcheck ran', async () => {
    const sink = await sinkWith({ stream: { create: true } });
    await sink.send(await makeTestBatch(sampleRecords(3)), testSendContext());
    expect(await readStream(nc, 'K8S_EVENTS')).toHaveLength(3);
  });
});

describe('records', () => {
  it('sanitises subject tokens and publishes dead letters under the subject of the record they carry, with their own id', async () => {
    await createStream(nc, 'EVENTS', ['k8s.events.>']);
    const [a, b] = (sampleRecords(2) as unknown as Record<string, unknown>[]).map((r): Record<string, unknown> => ({ ...r, cluster: 'prod.eu 1' }));
    const odd = { ...a!, namespace: '', type: 'Warn ing.x' };
    const letter = { schema: 'k8stream.deadletter/v1', id: b!.id, time: '2026-01-02T03:04:05Z', stage: 'sink', component: 'x', error: { code: 'E', message: 'm' }, record: b };
    const sink = await sinkWith({}, 'prod.eu 1');
    await sink.send(await makeTestBatch([odd, letter, b]), testSendContext());
    const messages = await readStream(nc, 'EVENTS');
    expect(messages.map((m) => [m.subject, m.msgId])).toEqual([
      [`k8s.events.prod_eu_1._.Warn_ing_x`, a!.id],
      [`k8s.events.prod_eu_1.${String(b!.namespace)}.${String(b!.type)}`, `deadletter/${String(b!.id)}`],
      [`k8s.events.prod_eu_1.${String(b!.namespace)}.${String(b!.type)}`, b!.id],
    ]);
  });
});

describe('send failures', () => {
  async function sendError(sink: SinkInstance, records = 3, encoding?: Parameters<typeof makeTestBatch>[1]): Promise<{ code?: string; message: string; hint?: string }> {
    return sink.send(await makeTestBatch(sampleRecords(records), encoding), testSendContext()).then(
      () => {
        throw new Error('send should fail');
      },
      (err: unknown) => err as { code?: string; message: string; hint?: string },
    );
  }

  it('a batch message over the server max_payload is permanent, with a hint to lower batch.maxBytes', async () => {
    await createStream(nc, 'BATCHES', ['k8s.batches.>']);
    const sink = await sinkWith({ publish: 'batch', subject: 'k8s.batches.{cluster}' });
    const err = await sendError(sink, 1500, { format: 'ndjson', compression: 'none' });
    expect(classifySinkError(err)).toBe('permanent');
    expect(err.message).toMatch(/^nats sink "test": cannot publish to k8s\.batches\.test-cluster: .*max_payload/);
    expect(err.hint).toContain('batch.maxBytes');
  });

  it('a server without JetStream (not up yet) answers no one: transient, not a config error', async () => {
    const plain = await startNatsServer({ jetstream: false });
    try {
      const err = await sendError(await sinkWith({ servers: plain.url, ackTimeout: '1s' }));
      expect(classifySinkError(err)).toBe('transient');
      expect(err.code).toBe('SINK_TRANSIENT');
    } finally {
      await plain.close();
    }
  });

  it('a credentials file that cannot be read is a config error naming the file', async () => {
    const err = await sendError(await sinkWith({ auth: { credsFile: 'missing/user.creds' } }));
    expect(err).toMatchObject({ code: 'PLUGIN_CONFIG_INVALID', path: 'auth.credsFile' });
    expect(err.message).toMatch(/cannot read auth\.credsFile .*missing\/user\.creds: ENOENT$/);
  });
});

describe('describe()', () => {
  it('names servers, subject and stream, without the credentials of a server URL', async () => {
    const plugin = createNatsSink();
    const sink = plugin.create(plugin.validate({ servers: ['nats://bob:hunter22@nats-a:4222', 'nats-b:4222'], stream: { name: 'EVENTS' } }), testSinkContext()) as SinkInstance;
    expect(sink.describe?.()).toBe('nats://nats-a:4222,nats-b:4222 k8s.events.{cluster}.{namespace}.{type} (stream EVENTS)');
    await sink.close?.();
  });
});
