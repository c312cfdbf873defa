// Faults between the NATS sink and a real nats-server, through the real pipeline: the server
// killed (SIGKILL) and started again on the same port and store mid-stream, and the network cut
// and restored by a TCP proxy. Publishes in flight lose their acks, the core retries those
// batches, and records already stored come again with the same Nats-Msg-Id: the stream still
// holds every record id exactly once, and nothing is dead-lettered.
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { readStream, startNatsServer, startTcpProxy, testConnection } from '../helpers/nats.fixture.js';
import type { NatsServer, TcpProxy } from '../helpers/nats.fixture.js';
import { runIntoNats, writeReplayFile } from './helpers/pipeline.fixture.js';
import type { InputEvent } from './helpers/pipeline.fixture.js';

const N = 6000;
const BATCH = 500;
/** Bytes the sink sends for N records (each record's JSON plus protocol and headers: ~1.3 KB). */
const ABOUT_ALL_BYTES = N * 1200;

let dir: string;
let file: string;
let input: InputEvent[];
let server: NatsServer;
let proxy: TcpProxy;
const open: NatsConnection[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-nats-faults-'));
  ({ file, events: input } = await writeReplayFile(dir, N));
  server = await startNatsServer();
  proxy = await startTcpProxy(server.port);
});

afterEach(async () => {
  for (const nc of open.splice(0)) await nc.close();
  await proxy?.close();
  await server?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const sinkThroughProxy = () => ({
  batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
  config: { servers: proxy.url, ackTimeout: '1s', reconnectWait: '20ms', connectTimeout: '1s', stream: { create: true, name: 'EVENTS' } },
});

/** Every record id in the stream appears once and they are exactly the input's. */
async function expectEachIdOnce(): Promise<void> {
  const nc = await testConnection(server.url);
  open.push(nc);
  const messages = await readStream(nc, 'EVENTS');
  expect(messages).toHaveLength(N);
  const ids = messages.map((m) => m.msgId);
  expect(new Set(ids).size).toBe(N);
  expect(messages.every((m) => m.json<{ id: string }>().id === m.msgId)).toBe(true);
  expect([...ids].sort()).toEqual(input.map((e) => e.id).sort());
}

describe('NATS sink under faults (real pipeline, real server)', () => {
  it('the server is killed mid-stream and restarted on the same port and store: nothing lost, each id stored once', async () => {
    const running = runIntoNats(dir, file, sinkThroughProxy());
    await proxy.whenBytesUp(ABOUT_ALL_BYTES / 3);
    await server.stop({ hard: true });
    // The sink tried to reconnect while the server was down, twice.
    await proxy.whenUpstreamFailed(2);
    await server.restart();
    const summary = await running;

    const stats = summary.sinks[0]!.stats;
    expect(summary.counters.received).toBe(N);
    expect(stats.eventsSent).toBe(N);
    expect(stats.batchesSent).toBe(N / BATCH);
    expect(stats.deadLettered).toBe(0);
    expect(stats.retries).toBeGreaterThan(0);
    await expect(readdir(join(dir, 'deadletter')).catch(() => [])).resolves.toEqual([]);
    await expectEachIdOnce();
  });

  it('the network is cut mid-stream and restored: nothing lost, redelivered records deduplicated by Nats-Msg-Id', async () => {
    // A subscriber straight on the server sees every message that reaches it, duplicates included.
    const watcher = await testConnection(server.url);
    open.push(watcher);
    let seen = 0;
    watcher.subscribe('k8s.events.>', {
      callback: () => {
        seen++;
      },
    });
    await watcher.flush();

    const running = runIntoNats(dir, file, sinkThroughProxy());
    await proxy.whenBytesUp(ABOUT_ALL_BYTES / 3);
    proxy.cut();
    // The sink kept trying while the network was down: three connections refused.
    await proxy.whenRefused(3);
    proxy.restore();
    const summary = await running;

    const stats = summary.sinks[0]!.stats;
    expect(stats.eventsSent).toBe(N);
    expect(stats.batchesSent).toBe(N / BATCH);
    expect(stats.deadLettered).toBe(0);
    expect(stats.retries).toBeGreaterThan(0);
    await expectEachIdOnce();
    // Records of the interrupted batch that were stored before the cut were published again.
    await watcher.flush();
    expect(seen).toBeGreaterThan(N);
  });
});
