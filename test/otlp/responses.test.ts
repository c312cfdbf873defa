// OTLP/HTTP responses through the real runtime (replayed events, batches of 10): 429/502/503/504
// are retried, honouring Retry-After as delay-seconds and as an HTTP-date (asserted on the
// receiver's recorded times); a 200 with partial_success acks the batch and is logged and counted;
// a 400 dead-letters its batch with the Status message, credentials redacted.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunSummary } from '../../core/src/runtime.js';
import { countBy, writeReplayFile } from '../cloud/helpers/pipeline.fixture.js';
import type { InputEvent } from '../cloud/helpers/pipeline.fixture.js';
import { listFiles, readRecords } from '../helpers/archive.fixture.js';
import { attrs, startOtlpReceiver } from './otlp-receiver.fixture.js';
import type { OtlpReceiver, ReceivedOtlp } from './otlp-receiver.fixture.js';
import { buildHttpSink, startRun } from './pipeline.fixture.js';
import type { LogLine } from './pipeline.fixture.js';

const N = 50;
const BATCH = 10;
const SECRET = 's3cr3t-otlp-token';

/** google.rpc.Status (code = 1, message = 2): the error body OTLP/HTTP servers send. */
const Status = new protobuf.Type('Status').add(new protobuf.Field('code', 1, 'int32')).add(new protobuf.Field('message', 2, 'string'));

let dir: string;
let file: string;
let input: InputEvent[];
let receiver: OtlpReceiver;

beforeAll(async () => {
  await buildHttpSink();
}, 120_000);

beforeEach(async () => {
  vi.stubEnv('OTLP_TOKEN', SECRET);
  dir = await mkdtemp(join(tmpdir(), 'k8stream-otlp-resp-'));
  ({ file, events: input } = await writeReplayFile(dir, N));
  receiver = await startOtlpReceiver();
});

afterEach(async () => {
  vi.unstubAllEnvs();
  await receiver.close();
  await rm(dir, { recursive: true, force: true });
});

/** Replays the file into the OTLP sink (and a file dead letter) until done. */
async function replay(encoding: 'protobuf' | 'json' = 'protobuf'): Promise<{ summary: RunSummary; logs: LogLine[] }> {
  const k = startRun({
    cluster: 'otlp-responses',
    source: { type: 'replay', replay: { file } },
    enrich: { objects: false, owners: false, nodes: false, services: false },
    sinks: [
      {
        name: 'otel',
        use: 'http',
        batch: { maxEvents: BATCH, maxAgeMs: 60_000 },
        retry: { maxAttempts: null, initialBackoffMs: 1, maxBackoffMs: 20 },
        timeoutMs: 20_000,
        config: { url: `${receiver.endpoint}/v1/logs`, body: 'otlp', otlp: { encoding }, bearerTokenEnv: 'OTLP_TOKEN' },
      },
    ],
    deadLetter: { use: 'file', config: { dir: join(dir, 'deadletter') } },
    shutdown: { graceMs: 30_000 },
  });
  const summary = await k.running;
  return { summary, logs: k.logs };
}

const key = (r: ReceivedOtlp) => String(r.headers['idempotency-key']);
const idsOf = (r: ReceivedOtlp) =>
  r.decoded.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((lr) => String(attrs(lr.attributes)['k8stream.record.id']))));

describe('retryable statuses', () => {
  it('retries 429, 502, 503 and 504, waiting out Retry-After (seconds and HTTP-date), and delivers every record once', async () => {
    let httpDate = 0;
    receiver.respond.push(
      { status: 429, headers: { 'retry-after': '1' }, body: '' },
      {
        status: 503,
        body: '',
        dynamicHeaders: (now) => {
          httpDate = Math.ceil((now + 1500) / 1000) * 1000; // an HTTP-date has whole seconds
          return { 'retry-after': new Date(httpDate).toUTCString() };
        },
      },
      { status: 502, headers: { 'retry-after': '1' }, body: '' },
      { status: 504, body: '' }, // no Retry-After: transient, retried with backoff
    );
    const { summary } = await replay();

    const stats = summary.sinks[0]!.stats;
    expect(stats.eventsSent).toBe(N);
    expect(stats.batchesSent).toBe(N / BATCH);
    expect(stats.retries).toBe(4);
    expect(stats.deadLettered).toBe(0);

    const reqs = receiver.requests;
    expect(reqs.map((r) => r.status)).toEqual([429, 503, 502, 504, ...Array<number>(N / BATCH).fill(200)]);
    // Each failure is followed by the same batch again, no sooner than it was told.
    const retryOf = (i: number) => reqs.slice(i + 1).find((r) => key(r) === key(reqs[i]!))!;
    for (let i = 0; i < 4; i++) expect(idsOf(retryOf(i))).toEqual(idsOf(reqs[i]!));
    expect(retryOf(0).arrivedAt - reqs[0]!.answeredAt).toBeGreaterThanOrEqual(1000 - 1);
    expect(httpDate).toBeGreaterThan(0);
    expect(retryOf(1).arrivedAt).toBeGreaterThanOrEqual(httpDate - 1);
    expect(retryOf(2).arrivedAt - reqs[2]!.answeredAt).toBeGreaterThanOrEqual(1000 - 1);

    // Exactly the input, once, among the accepted requests; copies only from the retried attempts.
    const accepted = receiver.accepted().map((g) => String(attrs(g.record.attributes)['k8stream.record.id']));
    expect(accepted).toHaveLength(N);
    expect([...accepted].sort()).toEqual(input.map((e) => e.id).sort());
    const sent = countBy(reqs.flatMap(idsOf), (id) => id);
    const failedAttempts = countBy(reqs.filter((r) => r.status !== 200).flatMap(idsOf), (id) => id);
    for (const e of input) expect(sent[e.id]).toBe(1 + (failedAttempts[e.id] ?? 0));
  }, 30_000);
});

describe.each(['protobuf', 'json'] as const)('200 with partial_success (%s)', (encoding) => {
  it('acks the batch, logs a warning with the rejected count and keeps a running total, secrets redacted', async () => {
    receiver.respond.push(
      { status: 200, partialSuccess: { rejectedLogRecords: 3, errorMessage: `3 records too large (token ${SECRET})` } },
      { status: 200 },
      { status: 200, partialSuccess: { rejectedLogRecords: 2, errorMessage: 'attribute limit' } },
      { status: 200, partialSuccess: { rejectedLogRecords: 0, errorMessage: 'a warning only' } },
    );
    const { summary, logs } = await replay(encoding);
    const stats = summary.sinks[0]!.stats;
    expect(stats.eventsSent).toBe(N);
    expect(stats.retries).toBe(0);
    expect(stats.deadLettered).toBe(0);
    expect(receiver.requests).toHaveLength(N / BATCH);

    const warnings = logs.filter((l) => l.msg.startsWith('OTLP receiver rejected log records'));
    expect(warnings.map((w) => [w.level, w.rejected, w.rejectedTotal, w.records, w.batch])).toEqual([
      ['warn', 3, 3, BATCH, key(receiver.requests[0]!)],
      ['warn', 2, 5, BATCH, key(receiver.requests[2]!)],
    ]);
    expect(warnings[0]!.error).toBe('3 records too large (token [REDACTED])');
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  }, 30_000);
});

describe('400 Bad Request', () => {
  it.each(['protobuf', 'json'] as const)(
    'dead-letters exactly that batch with the Status message (%s)',
    async (encoding) => {
      const status = { code: 3, message: `invalid LogRecord (Authorization: Bearer ${SECRET})` };
      receiver.respond.push({
        status: 400,
        headers: { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' },
        body: encoding === 'json' ? JSON.stringify(status) : Status.encode(Status.fromObject(status)).finish(),
      });
      const { summary, logs } = await replay(encoding);
      const stats = summary.sinks[0]!.stats;
      expect(stats.eventsSent).toBe(N - BATCH);
      expect(stats.deadLettered).toBe(BATCH);
      expect(stats.permanentFailures).toBe(1);
      expect(stats.retries).toBe(0);

      const rejected = idsOf(receiver.requests[0]!);
      expect(rejected).toHaveLength(BATCH);
      expect(receiver.requests).toHaveLength(N / BATCH);
      const dead = (await readRecords(await listFiles(join(dir, 'deadletter')))) as { schema: string; error: { code: string; message: string }; record: { id: string } }[];
      expect(dead).toHaveLength(BATCH);
      expect(dead.map((d) => d.record.id).sort()).toEqual([...rejected].sort());
      for (const d of dead) {
        expect(d.schema).toBe('k8stream.deadletter/v1');
        expect(d.error.code).toBe('SINK_PERMANENT');
        expect(d.error.message).toContain('answered 400: invalid LogRecord (Authorization: Bearer [REDACTED])');
      }
      const delivered = receiver.accepted().map((g) => String(attrs(g.record.attributes)['k8stream.record.id']));
      expect(delivered.sort()).toEqual(
        input
          .map((e) => e.id)
          .filter((id) => !rejected.includes(id))
          .sort(),
      );
      expect(JSON.stringify(logs)).not.toContain(SECRET);
      expect(JSON.stringify(dead)).not.toContain(SECRET);
    },
    30_000,
  );
});
