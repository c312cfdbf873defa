// Issue 20: the NATS sink in the real pipeline. `records` replayed events (benchEvent, ~1.2 KB)
// → replay source → nats sink → a local nats-server with JetStream (file storage, its own store
// directory), once per publish mode:
// - record: one JetStream message per event (JSON), `maxInFlight` acks outstanding;
// - batch: one message per batch of `batchEvents` (gzip NDJSON body).
// Each run goes from the pipeline's start to its return (the replay source ended, every batch
// acked by JetStream), then checks the stream holds what was sent. The sink is the built package
// (`@k8stream/sink-nats`: run `npx tsc -b` first); nats-server must be on PATH (Debian package
// `nats-server`).
//
// Run alone: `node test/bench/nats.mjs` (BENCH_NATS_RECORDS sets the event count).
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { benchEvent } from './events.mjs';
import { benchConfig, startPipeline } from './harness.mjs';

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Starts nats-server with JetStream on a free port; resolves once it logs that it is ready. */
async function startServer(storeDir) {
  const port = await freePort();
  const child = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise((resolve, reject) => {
    let text = '';
    child.once('error', (err) => reject(new Error(`nats-server could not start (Debian package nats-server): ${err.message}`)));
    child.once('exit', (code) => reject(new Error(`nats-server exited (${code}):\n${text}`)));
    child.stderr.on('data', (chunk) => {
      text += chunk;
      if (text.includes('Server is ready')) resolve();
    });
  });
  return {
    url: `nats://127.0.0.1:${port}`,
    stop: async () => {
      child.removeAllListeners('exit');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function writeFixture(file, n) {
  const out = createWriteStream(file);
  for (let i = 0; i < n; i++) {
    if (!out.write(JSON.stringify({ type: 'ADDED', object: benchEvent(i) }) + '\n')) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((resolve, reject) => out.end((e) => (e ? reject(e) : resolve())));
}

/** One pipeline run into NATS; returns events/s and what the stream holds. */
async function runMode({ mode, url, file, out, records, batchEvents, maxInFlight }) {
  const stream = `BENCH_${mode.toUpperCase()}`;
  const subject = mode === 'batch' ? `bench.${mode}.{cluster}` : `bench.${mode}.{cluster}.{namespace}.{type}`;
  const config = benchConfig({
    source: { type: 'replay', replay: { file } },
    sinks: [
      {
        name: `nats-${mode}`,
        use: 'nats',
        batch: { maxEvents: batchEvents, maxBytes: '4MiB', maxAgeMs: 50 },
        encoding: mode === 'batch' ? { format: 'ndjson', compression: 'gzip' } : { format: 'ndjson', compression: 'none' },
        config: { servers: url, publish: mode, subject, maxInFlight, stream: { create: true, name: stream, subjects: [`bench.${mode}.>`] } },
      },
    ],
    out,
  });
  const t0 = performance.now();
  const summary = await startPipeline(config).done;
  const seconds = (performance.now() - t0) / 1000;
  const stats = summary.sinks[0].stats;
  const nc = await connect({ servers: url });
  let info;
  try {
    info = await (await jetstreamManager(nc)).streams.info(stream);
  } finally {
    await nc.close();
  }
  if (stats.eventsSent !== records || stats.deadLettered !== 0) throw new Error(`nats ${mode}: sent ${stats.eventsSent} of ${records}, dead-lettered ${stats.deadLettered}`);
  return {
    mode,
    records,
    batchEvents,
    maxInFlight,
    seconds: Number(seconds.toFixed(3)),
    eventsPerSec: Math.round(records / seconds),
    messages: info.state.messages,
    streamBytes: info.state.bytes,
  };
}

/**
 * N: `records` events through the real pipeline into a local nats-server, per-record and
 * per-batch publishing. Returns `{ records, rows: [{ mode, eventsPerSec, seconds, messages, streamBytes, ... }] }`.
 */
export async function natsScenario({ records = 100_000, batchEvents = 1000, maxInFlight = 256 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'k8stream-bench-nats-'));
  const server = await startServer(join(dir, 'js'));
  try {
    const file = join(dir, 'events.ndjson');
    await writeFixture(file, records);
    const rows = [];
    for (const mode of ['record', 'batch']) rows.push(await runMode({ mode, url: server.url, file, out: join(dir, `out-${mode}`), records, batchEvents, maxInFlight }));
    return { records, rows };
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

/** The scenario's result as report lines. */
export function formatNats(result) {
  const lines = [`N  NATS sink, real pipeline → local nats-server (JetStream, file storage), ${result.records} events`];
  for (const r of result.rows) {
    const unit = r.mode === 'batch' ? `${r.messages} messages of ${r.batchEvents} events, gzip` : `${r.messages} messages, ${r.maxInFlight} in flight`;
    lines.push(`   publish: ${r.mode.padEnd(6)} ${String(r.eventsPerSec).padStart(8)} events/s  (${r.seconds} s; ${unit}; stream ${(r.streamBytes / 1e6).toFixed(1)} MB)`);
  }
  return lines;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  const result = await natsScenario({ records: Number(process.env.BENCH_NATS_RECORDS ?? 100_000) });
  console.log(formatNats(result).join('\n'));
}
