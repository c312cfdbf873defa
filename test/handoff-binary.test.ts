// Issue 20 end to end through the binary: `k8stream run` (core/dist/cli/main.js, as the image runs
// it) replays events into a real nats-server (JetStream, the sink creates its stream) and an OTLP
// receiver at once, then exits 0; the stream holds every record id exactly once on its templated
// subject, and the receiver decoded every record with the official OpenTelemetry protos.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { runCli } from './helpers/cli.fixture.js';
import { readStream, startNatsServer, testConnection } from './helpers/nats.fixture.js';
import type { NatsServer } from './helpers/nats.fixture.js';
import { CLUSTER, writeReplayFile } from './cloud/helpers/pipeline.fixture.js';
import type { InputEvent } from './cloud/helpers/pipeline.fixture.js';
import { attrs, startOtlpReceiver } from './otlp/otlp-receiver.fixture.js';
import type { OtlpReceiver } from './otlp/otlp-receiver.fixture.js';

const N = 2000;

let dir: string;
let file: string;
let input: InputEvent[];
let server: NatsServer;
let receiver: OtlpReceiver;
let nc: NatsConnection;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k8stream-handoff-'));
  ({ file, events: input } = await writeReplayFile(dir, N));
  server = await startNatsServer();
  receiver = await startOtlpReceiver();
  nc = await testConnection(server.url);
});

afterAll(async () => {
  await nc?.close();
  await server?.close();
  await receiver?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('k8stream run → NATS JetStream and OTLP', () => {
  it('delivers every replayed event once to each, and exits 0', async () => {
    const config = join(dir, '.k8streamrc.json');
    await writeFile(
      config,
      JSON.stringify({
        cluster: CLUSTER,
        source: { type: 'replay', replay: { file } },
        enrich: { objects: false, owners: false, nodes: false, services: false },
        sinks: [
          { name: 'bus', use: 'nats', batch: { maxEvents: 500 }, config: { servers: [server.url], stream: { create: true } } },
          { name: 'otel', use: 'http', batch: { maxEvents: 500 }, encoding: { format: 'ndjson', compression: 'none' }, config: { url: receiver.endpoint, body: 'otlp' } },
        ],
        deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter') } },
        log: { level: 'warn', format: 'json' },
      }),
    );
    const result = await runCli(['run', '--config', config]);
    expect(result.stderr).not.toMatch(/"level":"(error|fatal)"/);
    expect(result.code).toBe(0);

    const stored = await readStream(nc, 'K8S_EVENTS');
    expect(stored).toHaveLength(N);
    const expected = new Set(input.map((e) => e.id));
    expect(new Set(stored.map((m) => m.msgId))).toEqual(expected);
    for (const e of input.slice(0, 50)) {
      const m = stored.find((s) => s.msgId === e.id)!;
      expect(m.subject).toBe(`k8s.events.${CLUSTER}.${e.namespace}.${e.type}`);
      expect(m.json()).toMatchObject({ id: e.id, reason: e.reason, type: e.type });
    }

    const accepted = receiver.accepted();
    expect(accepted).toHaveLength(N);
    expect(new Set(accepted.map((a) => attrs(a.record.attributes)['k8stream.record.id']))).toEqual(expected);
    expect(accepted.every((a) => attrs(a.resource)['k8s.cluster.name'] === CLUSTER)).toBe(true);
    expect(accepted.map((a) => a.record.severityText).sort()).toEqual(input.map((e) => e.type).sort());
    const byId = new Map(accepted.map((a) => [attrs(a.record.attributes)['k8stream.record.id'], a]));
    for (const e of input.slice(0, 50)) expect(attrs(byId.get(e.id)!.record.attributes)['k8s.event.reason']).toBe(e.reason);
  }, 120_000);
});
