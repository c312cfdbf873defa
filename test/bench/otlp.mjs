// OTLP sink benchmark (issue 20): events/s through the HTTP sink's `send` with `body: otlp`
// (protobuf + gzip, the default; also OTLP/JSON + gzip and protobuf without compression for
// comparison), for batches of 1k and 10k sample records, into a local receiver that reads each
// request and answers 200 with an empty ExportLogsServiceResponse. The sink is the built package
// (`@k8stream/sink-http`: run `npx tsc -b` first), created the way the runtime does it (default
// export's `validate` then `create`), the same way as the other sink scenarios (sinks.mjs).
//
// Also reported: the cost of the first `create` of an otlp sink (the serializer's dynamic import:
// time and heap), and the per-event CPU of building the body alone (no HTTP).
//
// Run alone: `node test/bench/otlp.mjs` (BENCH_OTLP_REPS scales the batch counts).
import * as http from 'node:http';
import { fileURLToPath } from 'node:url';
import { makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '../../core/dist/testing/index.js';

const SIZES = [1_000, 10_000];

/** A receiver that drains each request and answers 200 (empty protobuf response). */
async function startReceiver() {
  let requests = 0;
  let bytes = 0;
  const server = http.createServer((req, res) => {
    req.on('data', (c) => (bytes += c.length));
    req.on('end', () => {
      requests++;
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    stats: () => ({ requests, bytes }),
    close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))),
  };
}

/** Sends `reps` copies of `batch` (each with its own id) one after another; returns seconds. */
async function measure(instance, batch, reps) {
  const ctx = testSendContext();
  await instance.send({ ...batch, id: `${batch.id}-warm` }, ctx);
  const t0 = performance.now();
  for (let k = 0; k < reps; k++) await instance.send({ ...batch, id: `${batch.id}-${k}` }, ctx);
  return (performance.now() - t0) / 1000;
}

/**
 * Runs the OTLP scenario. Each row: variant (encoding/compression), records per batch, batches
 * sent, request body bytes per batch, seconds, events/s, request MB/s. `load` is the first otlp
 * `create` (dynamic import of the serializer): ms and heap/RSS growth in MB.
 */
export async function otlpScenario({ reps = Number(process.env.BENCH_OTLP_REPS ?? 1) } = {}) {
  const definition = (await import('@k8stream/sink-http')).default;
  const receiver = await startReceiver();
  const variants = [
    { name: 'protobuf+gzip', config: { body: 'otlp' } },
    { name: 'json+gzip', config: { body: 'otlp', otlp: { encoding: 'json' } } },
    { name: 'protobuf', config: { body: 'otlp', compression: 'none' } },
  ];
  const rows = [];
  let load;
  try {
    const batches = new Map();
    for (const size of SIZES) batches.set(size, await makeTestBatch(sampleRecords(size), { format: 'ndjson', compression: 'gzip' }, { sink: 'bench', cluster: 'bench' }));
    for (const v of variants) {
      const heap0 = process.memoryUsage();
      const t0 = performance.now();
      const instance = await definition.create(definition.validate({ url: receiver.endpoint, ...v.config }), testSinkContext({ name: `bench-otlp`, cluster: 'bench' }));
      if (load === undefined) {
        const heap1 = process.memoryUsage();
        load = {
          ms: Number((performance.now() - t0).toFixed(1)),
          heapMB: Number(((heap1.heapUsed - heap0.heapUsed) / 1e6).toFixed(1)),
          rssMB: Number(((heap1.rss - heap0.rss) / 1e6).toFixed(1)),
        };
      }
      try {
        for (const size of SIZES) {
          const batch = batches.get(size);
          // Enough batches for a stable rate: ~200k events per row at reps = 1.
          const count = Math.max(2, Math.round((200_000 / size) * reps));
          const before = receiver.stats();
          const seconds = await measure(instance, batch, count);
          const after = receiver.stats();
          const bodyBytes = (after.bytes - before.bytes) / (after.requests - before.requests);
          rows.push({
            variant: v.name,
            records: size,
            batches: count,
            bodyBytes: Math.round(bodyBytes),
            seconds: Number(seconds.toFixed(3)),
            eventsPerSec: Math.round((count * size) / seconds),
            mbPerSec: Number(((count * bodyBytes) / seconds / 1e6).toFixed(2)),
          });
        }
      } finally {
        await instance.close?.();
      }
    }
  } finally {
    await receiver.close();
  }
  return { load, rows };
}

/** The scenario's result as printable lines. */
export function formatOtlp(r) {
  const lines = ['OTLP logs through the HTTP sink (send() only, sequential, local receiver answering 200)'];
  lines.push(`  first otlp sink create (serializer import): ${r.load.ms} ms, heap +${r.load.heapMB} MB, rss +${r.load.rssMB} MB`);
  lines.push('  variant         records  batches  KB/request  events/s   MB/s');
  for (const row of r.rows) {
    lines.push(
      `  ${row.variant.padEnd(14)} ${String(row.records).padStart(8)} ${String(row.batches).padStart(8)} ${(row.bodyBytes / 1024).toFixed(0).padStart(11)} ${String(row.eventsPerSec).padStart(9)} ${String(row.mbPerSec).padStart(6)}`,
    );
  }
  return lines.join('\n');
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(formatOtlp(await otlpScenario()));
}
