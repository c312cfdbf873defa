// Replayed events through the real pipeline into a real nats-server (JetStream), read back with
// the official client: per-record mode stores one message per event on its templated subject;
// per-batch mode stores one message per batch whose body decodes to the batch's records. Both:
// exact counts, every record id exactly once, nothing dead-lettered. The sink creates its stream.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { decodeBody } from '../../core/src/testing/index.js';
import { readStream, startNatsServer, testConnection } from '../helpers/nats.fixture.js';
import type { NatsServer } from '../helpers/nats.fixture.js';
import { CLUSTER, runIntoNats, writeReplayFile } from './helpers/pipeline.fixture.js';
import type { InputEvent } from './helpers/pipeline.fixture.js';

const N = 6000;
const BATCH = 500;

let dir: string;
let file: string;
let input: InputEvent[];
let server: NatsServer;
let nc: NatsConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-nats-pipeline-'));
  ({ file, events: input } = await writeReplayFile(dir, N));
  server = await startNatsServer();
  nc = await testConnection(server.url);
});

afterAll(async () => {
  await nc?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('NATS sink in the real pipeline', () => {
  it('publish: record stores each event once, on k8s.events.<cluster>.<namespace>.<type>, with Nats-Msg-Id = record id', async () => {
    const summary = await runIntoNats(dir, file, {
      batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
      config: { servers: server.url, stream: { create: true, name: 'EVENTS' } },
    });
    const stats = summary.sinks[0]!.stats;
    expect(summary.counters.received).toBe(N);
    expect(stats.eventsSent).toBe(N);
    expect(stats.batchesSent).toBe(N / BATCH);
    expect(stats.deadLettered).toBe(0);
    expect(stats.retries).toBe(0);
    await expect(readdir(join(dir, 'deadletter')).catch(() => [])).resolves.toEqual([]);

    // The stream the sink created: default subjects and duplicate window.
    const info = await (await jetstreamManager(nc)).streams.info('EVENTS');
    expect(info.config.subjects).toEqual(['k8s.events.>']);
    expect(info.config.duplicate_window).toBe(120_000_000_000);
    expect(info.config.storage).toBe('file');
    expect(info.state.messages).toBe(N);

    const messages = await readStream(nc, 'EVENTS');
    expect(messages).toHaveLength(N);
    const byId = new Map(input.map((e) => [e.id, e]));
    const ids = messages.map((m) => m.msgId);
    expect(new Set(ids).size).toBe(N);
    for (const m of messages) {
      const record = m.json<{ id: string; cluster: string; namespace: string; type: string }>();
      expect(m.msgId).toBe(record.id);
      const event = byId.get(record.id)!;
      expect(event, record.id).toBeDefined();
      expect(m.subject).toBe(`k8s.events.${CLUSTER}.${event.namespace}.${event.type}`);
      expect(m.headers?.get('Content-Type')).toBe('application/json');
    }
    expect([...ids].sort()).toEqual(input.map((e) => e.id).sort());
  });

  it('publish: batch stores one message per batch (body = the encoded batch, headers say how), every record once', async () => {
    const summary = await runIntoNats(dir, file, {
      name: 'batches',
      batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
      encoding: { format: 'ndjson', compression: 'gzip' },
      config: { servers: server.url, publish: 'batch', subject: 'k8s.batches.{cluster}', stream: { create: true, name: 'BATCHES' } },
    });
    const stats = summary.sinks[0]!.stats;
    expect(stats.eventsSent).toBe(N);
    expect(stats.batchesSent).toBe(N / BATCH);
    expect(stats.deadLettered).toBe(0);

    const messages = await readStream(nc, 'BATCHES');
    expect(messages).toHaveLength(N / BATCH);
    expect(new Set(messages.map((m) => m.msgId)).size).toBe(N / BATCH);
    const records: { id: string }[] = [];
    for (const m of messages) {
      expect(m.subject).toBe(`k8s.batches.${CLUSTER}`);
      expect(m.headers?.get('Content-Type')).toBe('application/x-ndjson');
      expect(m.headers?.get('Content-Encoding')).toBe('gzip');
      expect(m.headers?.get('K8stream-Batch-Id')).toBe(m.msgId);
      expect(m.headers?.get('K8stream-Cluster')).toBe(CLUSTER);
      const got = decodeBody(m.data, { format: 'ndjson', compression: 'gzip' }) as { id: string }[];
      expect(Number(m.headers?.get('K8stream-Records'))).toBe(got.length);
      records.push(...got);
    }
    expect(records).toHaveLength(N);
    const ids = records.map((r) => r.id);
    expect(new Set(ids).size).toBe(N);
    expect([...ids].sort()).toEqual(input.map((e) => e.id).sort());
  });
});
