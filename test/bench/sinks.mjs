// Sink benchmarks: batches/s and MB/s through each cloud sink's `send`, for batches of 1k and
// 10k records (gzip NDJSON), against fauxqs (S3) and the GCS JSON-API test server, in process.
// The sinks are the built packages (`@k8stream/sink-s3`, `@k8stream/sink-gcs`: run `npx tsc -b`
// first), created the way the runtime does it (default export's `validate` then `create`).
//
// The GCS test server is TypeScript outside the build (`plugins/sink-gcs/src/*.fixture.ts`):
// Node 24 strips its types, and a small resolve hook maps its `./x.js` imports to `./x.ts`.
//
// Run alone: `node test/bench/sinks.mjs` (BENCH_SINK_REPS scales the batch counts).
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startFauxqs } from 'fauxqs';
import { makeTestBatch, sampleRecords, testSendContext, testSinkContext } from '../../core/dist/testing/index.js';

/** Lets `.ts` sources outside node_modules import their siblings as `./x.js` (TypeScript's convention). */
registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      const fromTs = context.parentURL?.endsWith('.ts') === true && !context.parentURL.includes('/node_modules/');
      if (err?.code === 'ERR_MODULE_NOT_FOUND' && fromTs && specifier.startsWith('.') && specifier.endsWith('.js')) {
        return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
      }
      throw err;
    }
  },
});

const SIZES = [1_000, 10_000];
const SCALE = Number(process.env.BENCH_SINK_REPS ?? 1);
/** Batches sent per size: enough for a stable rate, few enough to stay quick. */
const REPS = { 1000: Math.max(1, Math.round(200 * SCALE)), 10000: Math.max(1, Math.round(50 * SCALE)) };
const BUCKET = 'k8stream-bench';

/** Starts the two test servers; returns the targets and a stop function. */
async function startServers() {
  const fauxqs = await startFauxqs({ port: 0, logger: false });
  fauxqs.createBucket(BUCKET);
  const { startGcsServer } = await import(fileURLToPath(new URL('../../plugins/sink-gcs/src/gcs-server.fixture.ts', import.meta.url)));
  const gcs = await startGcsServer({ buckets: [BUCKET] });
  return {
    targets: [
      {
        sink: 's3',
        target: 'fauxqs',
        pkg: '@k8stream/sink-s3',
        config: { bucket: BUCKET, region: 'us-east-1', endpoint: `http://127.0.0.1:${fauxqs.port}`, forcePathStyle: true, prefix: 'bench' },
      },
      { sink: 'gcs', target: 'gcs test server', pkg: '@k8stream/sink-gcs', config: { bucket: BUCKET, apiEndpoint: gcs.url, projectId: 'bench', prefix: 'bench' } },
    ],
    stop: async () => {
      await gcs.close();
      await fauxqs.stop();
    },
  };
}

/** Sends `reps` copies of `batch` (each with its own id, so each is a new object) one after another. */
async function measure(instance, batch, reps) {
  const ctx = testSendContext();
  // One warm-up send (connection, lazy SDK setup) outside the timing.
  await instance.send({ ...batch, id: `${batch.id}-warm` }, ctx);
  const t0 = performance.now();
  for (let k = 0; k < reps; k++) await instance.send({ ...batch, id: `${batch.id}-${k}` }, ctx);
  return (performance.now() - t0) / 1000;
}

/**
 * Runs every sink × batch size and prints a table. Each row: sink, target, records per batch,
 * batches sent, compressed and raw bytes per batch, seconds, batches/s, MB/s (compressed, as
 * sent) and raw MB/s (uncompressed NDJSON). MB = 10^6 bytes.
 */
export async function sinkBenchmarks() {
  process.env.AWS_ACCESS_KEY_ID ??= 'AKIABENCHFAUXQS00001';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench-secret-not-real';
  const { targets, stop } = await startServers();
  const rows = [];
  try {
    const batches = new Map();
    for (const size of SIZES) batches.set(size, await makeTestBatch(sampleRecords(size), { format: 'ndjson', compression: 'gzip' }, { sink: 'bench', cluster: 'bench' }));
    for (const t of targets) {
      const definition = (await import(t.pkg)).default;
      const instance = await definition.create(definition.validate(t.config), testSinkContext({ name: `bench-${t.sink}`, cluster: 'bench' }));
      try {
        await instance.healthcheck?.();
        for (const size of SIZES) {
          const batch = batches.get(size);
          const reps = REPS[size];
          const seconds = await measure(instance, batch, reps);
          const bodyBytes = batch.body.byteLength;
          rows.push({
            sink: t.sink,
            target: t.target,
            records: size,
            batches: reps,
            bodyBytes,
            rawBytes: batch.rawBytes,
            seconds: Number(seconds.toFixed(3)),
            batchesPerSec: Number((reps / seconds).toFixed(1)),
            mbPerSec: Number(((reps * bodyBytes) / seconds / 1e6).toFixed(2)),
            rawMbPerSec: Number(((reps * batch.rawBytes) / seconds / 1e6).toFixed(2)),
          });
        }
      } finally {
        await instance.close?.();
      }
    }
  } finally {
    await stop();
  }
  console.log('\nsink benchmarks (send() only, sequential, gzip NDJSON, in-process servers)');
  console.table(
    rows.map((r) => ({
      sink: r.sink,
      target: r.target,
      records: r.records,
      batches: r.batches,
      'KB/batch': (r.bodyBytes / 1024).toFixed(0),
      'batches/s': r.batchesPerSec,
      'MB/s': r.mbPerSec,
      'raw MB/s': r.rawMbPerSec,
    })),
  );
  return rows;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  await sinkBenchmarks();
}
